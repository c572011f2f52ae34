import Foundation
import ScenarioSupport
import Synchronization

/// A `spaces serve` child process: started pinned to one core, on a free port, stopped with
/// SIGTERM (then SIGKILL if it does not go).
final class SpacesNode: Sendable {
    let process: Process
    let port: Int
    let logFile: URL
    private let stdout: OutputLines

    var pid: Int32 { self.process.processIdentifier }
    var base: String { "http://127.0.0.1:\(self.port)" }

    struct StartFailure: Error, CustomStringConvertible {
        var description: String
    }

    /// Starts `executable serve` with one event loop on a port it picks, pinned to `cpu` with
    /// taskset, and waits for the line that names the port.
    static func start(executable: String, cpu: Int, hostKey: String, environment extra: [String: String]) throws -> SpacesNode {
        guard FileManager.default.isExecutableFile(atPath: executable) else {
            throw StartFailure(description: "no spaces executable at \(executable): build it with `swift build -c release --product spaces` in the main package, or pass --spaces PATH")
        }
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spaces-handshakes-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let logFile = directory.appendingPathComponent("node.log")
        _ = FileManager.default.createFile(atPath: logFile.path, contents: nil)

        var arguments = ["-c", String(cpu)]
        // Line-buffered standard output, so the port line arrives while the node runs.
        if let stdbuf = Self.which("stdbuf") { arguments += [stdbuf, "-oL"] }
        arguments += [
            executable, "serve", "--port", "0", "--bind", "127.0.0.1", "--event-loops", "1", "--host-key", hostKey, "--log-level", "warning",
        ]
        let process = Process()
        guard let taskset = Self.which("taskset") else { throw StartFailure(description: "taskset (util-linux) is needed to pin the node") }
        process.executableURL = URL(fileURLWithPath: taskset)
        process.arguments = arguments
        // An empty folder: no Config/spaces.yaml is picked up by accident.
        process.currentDirectoryURL = directory
        // The rehearsal comes from this one machine: no per-address shares.
        let unshared = [
            "SPACES_LIMITS_CONNECTIONS_PER_ADDRESS": "0", "SPACES_LIMITS_LINE_PLACES_PER_ADDRESS": "0",
            "SPACES_LIMITS_HANDSHAKES_PER_SECOND_PER_ADDRESS": "0",
        ]
        process.environment = ProcessInfo.processInfo.environment.merging(unshared) { $1 }.merging(extra) { $1 }
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = try FileHandle(forWritingTo: logFile)
        process.standardInput = FileHandle.nullDevice
        let lines = OutputLines(handle: pipe.fileHandleForReading)
        try process.run()
        guard let line = lines.first(containing: "spaces listening on", seconds: 30),
            let colon = line.lastIndex(of: ":"), let port = Int(line[line.index(after: colon)...].trimmingCharacters(in: .whitespaces))
        else {
            process.terminate()
            let log = (try? String(contentsOf: logFile, encoding: .utf8)) ?? ""
            throw StartFailure(description: "the node did not say which port it listens on; its log: \(log.suffix(800))")
        }
        return SpacesNode(process: process, port: port, logFile: logFile, stdout: lines)
    }

    private init(process: Process, port: Int, logFile: URL, stdout: OutputLines) {
        self.process = process
        self.port = port
        self.logFile = logFile
        self.stdout = stdout
    }

    /// Nil while the node runs; else how it ended and the end of its log.
    var exitDescription: String? {
        guard !self.process.isRunning else { return nil }
        let log = (try? String(contentsOf: self.logFile, encoding: .utf8)) ?? ""
        let how = self.process.terminationReason == .uncaughtSignal ? "was killed by signal" : "exited with status"
        // A Swift crash report starts with the fatal error and the crashed thread's frames.
        let report = log.range(of: "Fatal error").map { log[$0.lowerBound...] } ?? log.range(of: "Program crashed").map { log[$0.lowerBound...] }
        let excerpt = report.map { String($0.prefix(3000)) } ?? String(log.suffix(1500))
        return "the node \(how) \(self.process.terminationStatus) during the run; its log:\n\(excerpt)"
    }

    /// Seconds of CPU the node has used so far.
    func cpuSeconds() -> Double {
        ProcessCPU.seconds(pid: self.pid) ?? 0
    }

    /// SIGTERM, up to `seconds` for a graceful exit, then SIGKILL.
    func stop(seconds: Double = 10) {
        guard self.process.isRunning else { return }
        kill(self.pid, SIGTERM)
        let deadline = Date().addingTimeInterval(seconds)
        while self.process.isRunning && Date() < deadline {
            usleep(20_000)
        }
        if self.process.isRunning {
            kill(self.pid, SIGKILL)
            self.process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: self.logFile.deletingLastPathComponent())
    }

    private static func which(_ name: String) -> String? {
        let path = ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"
        return path.split(separator: ":").map { "\($0)/\(name)" }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}

/// Reads a child's standard output on its own thread, line by line, for as long as it runs (so
/// the child never blocks on a full pipe), and lets the caller wait for a line.
final class OutputLines: Sendable {
    private let lines = Mutex<[String]>([])
    private let arrived = DispatchSemaphore(value: 0)

    init(handle: FileHandle) {
        let thread = Thread { [self] in
            var pending = Data()
            while true {
                let data = handle.availableData
                if data.isEmpty { break }
                pending.append(data)
                while let newline = pending.firstIndex(of: 0x0A) {
                    let line = String(decoding: pending[pending.startIndex..<newline], as: UTF8.self)
                    pending.removeSubrange(pending.startIndex...newline)
                    self.lines.withLock { $0.append(line) }
                    self.arrived.signal()
                }
            }
        }
        thread.start()
    }

    /// The first line containing `text`, waiting up to `seconds` for it.
    func first(containing text: String, seconds: Double) -> String? {
        let deadline = DispatchTime.now() + seconds
        while true {
            if let line = self.lines.withLock({ $0.first { $0.contains(text) } }) { return line }
            guard self.arrived.wait(timeout: deadline) == .success else { return nil }
        }
    }
}
