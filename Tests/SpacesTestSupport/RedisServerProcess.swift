import Foundation

/// A real `redis-server` on a free loopback port, started for a test and stopped by its PID.
///
/// Nothing is saved to disk unless `appendOnlyFolder` is given (then the AOF lives there, so a
/// restart on the same folder finds the data again). A missing `redis-server` is an error, not
/// a skip: `.ci/run` installs it.
public final class RedisServerProcess: @unchecked Sendable {
    public let port: Int
    public let appendOnlyFolder: URL?
    private var process: Process?

    /// `redis://127.0.0.1:PORT`.
    public var url: String { "redis://127.0.0.1:\(self.port)" }

    public struct NotStarted: Error, CustomStringConvertible {
        public let description: String
    }

    /// Starts a server and waits until it answers, within `timeout`.
    public static func start(port: Int? = nil, appendOnlyFolder: URL? = nil, timeout: TimeInterval = 10) throws -> RedisServerProcess {
        let server = RedisServerProcess(port: try port ?? Self.freePort(), appendOnlyFolder: appendOnlyFolder)
        try server.launch(timeout: timeout)
        return server
    }

    private init(port: Int, appendOnlyFolder: URL?) {
        self.port = port
        self.appendOnlyFolder = appendOnlyFolder
    }

    /// Starts it again on the same port (after ``kill()`` or ``stop()``).
    public func restart(timeout: TimeInterval = 10) throws {
        try self.launch(timeout: timeout)
    }

    private func launch(timeout: TimeInterval) throws {
        guard let binary = Self.findBinary() else {
            throw NotStarted(description: "redis-server is not installed (apt-get install redis-server; .ci/run does)")
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        var arguments = [
            "--port", String(self.port), "--bind", "127.0.0.1", "--save", "", "--daemonize", "no",
            "--protected-mode", "yes", "--loglevel", "warning",
        ]
        if let folder = self.appendOnlyFolder {
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            arguments += ["--dir", folder.path, "--appendonly", "yes", "--appendfsync", "everysec"]
        } else {
            arguments += ["--appendonly", "no"]
        }
        process.arguments = arguments
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.process = process
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            if Self.answersPing(port: self.port) { return }
            guard process.isRunning else { break }
            Thread.sleep(forTimeInterval: 0.02)
        }
        self.stop()
        throw NotStarted(description: "redis-server on port \(self.port) did not answer within \(timeout) s")
    }

    /// SIGKILL: the server dies as in a crash.
    public func kill() {
        guard let process = self.process else { return }
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        self.process = nil
    }

    /// Asks it to shut down (`SHUTDOWN`, which also flushes the AOF), and waits for it to exit;
    /// SIGKILL after 3 s. (Not SIGTERM: a test runner may hand its children a blocked SIGTERM.)
    public func stop() {
        guard let process = self.process else { return }
        _ = Self.send("SHUTDOWN\r\n", port: self.port)
        let deadline = Date().addingTimeInterval(3)
        while process.isRunning && Date() < deadline { Thread.sleep(forTimeInterval: 0.01) }
        if process.isRunning { Foundation.kill(process.processIdentifier, SIGKILL) }
        process.waitUntilExit()
        self.process = nil
    }

    deinit { self.stop() }

    private static func findBinary() -> String? {
        ["/usr/bin/redis-server", "/usr/local/bin/redis-server", "/usr/sbin/redis-server"].first {
            FileManager.default.isExecutableFile(atPath: $0)
        }
    }

    /// A port the kernel has just handed out and released (a race with other programs is
    /// possible but rare; a failed start says so).
    public static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw NotStarted(description: "socket() failed") }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard bound == 0 else { throw NotStarted(description: "bind() failed") }
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Whether something on `port` answers `PING` with `+PONG`.
    static func answersPing(port: Int) -> Bool {
        Self.send("PING\r\n", port: port)?.starts(with: Array("+PONG".utf8)) ?? false
    }

    /// Sends an inline command on a fresh connection and returns the first bytes of the answer.
    static func send(_ command: String, port: Int) -> [UInt8]? {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var timeout = timeval(tv_sec: 1, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = UInt16(port).bigEndian
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        let connected = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
        guard connected == 0 else { return nil }
        let bytes = Array(command.utf8)
        guard write(fd, bytes, bytes.count) == bytes.count else { return nil }
        var reply = [UInt8](repeating: 0, count: 64)
        let count = read(fd, &reply, reply.count)
        return count > 0 ? Array(reply.prefix(count)) : nil
    }
}
