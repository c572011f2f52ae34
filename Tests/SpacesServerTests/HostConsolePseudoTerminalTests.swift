import Foundation
@testable import SpacesCLI
import SpacesClient
import SpacesCore
import SpacesTestSupport
import XCTest

#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers

/// The real console: `spaces host start --tone 440` in its own process under a pseudo-terminal
/// (the built executable: see ``SpacesProcess``),
/// against a node in this process, with listeners asking questions over loopback. Keys are
/// typed into the terminal; the screen is read from it.
final class HostConsolePseudoTerminalTests: XCTestCase {
    func testConsoleShowsQuestionsPicksOnKeyAndRestoresTheTerminal() async throws {
        let node = try await TestServer.start { $0.conversation.questionsIntervalMs = 100 }
        let terminal = try PseudoTerminal(width: 100, height: 30)
        let process = try SpacesProcess.make([
            "host", "start", "--server", node.base, "--host-key", TestServer.hostKey,
            "--title", "Console test", "--tone", "440", "--duration", "60",
        ])
        let errors = FileManager.default.temporaryDirectory.appendingPathComponent("spaces-console-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: errors.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errors) }
        process.standardInput = terminal.follower
        process.standardOutput = terminal.follower
        process.standardError = try FileHandle(forWritingTo: errors)
        print("running spaces as \(process.executableURL?.path ?? "?") \(process.arguments ?? [])")
        try process.run()
        defer {
            // Only the process this test started, and only if it is still there.
            if process.isRunning { process.terminate() }
            terminal.close()
        }

        // The Space, and the host token the command printed before the console took the screen.
        var spaceID: String?
        try await eventually(timeout: .seconds(20)) {
            spaceID = node.server.registry.all().first { $0.title == "Console test" }?.id
            return spaceID != nil
        }
        let id = try XCTUnwrap(spaceID)
        try await eventually(timeout: .seconds(10)) { terminal.output.contains(ConsoleCodes.enterAlternateScreen) }
        XCTAssertTrue(terminal.output.contains("spaces host end \(id) --token "), "the end command is printed before the console")

        // Two listeners: the first asks, the second upvotes it and asks its own.
        let url = try node.url("/v1/spaces/\(id)/listen")
        let first = try await ConsoleTestListener.connect(url)
        let second = try await ConsoleTestListener.connect(url)
        try await eventually { first.welcomed && second.welcomed }
        try await first.send(#"{"type":"ask","text":"Will the slides be shared?"}"#)
        var asked: String?
        try await eventually { asked = first.askedID; return asked != nil }
        let qid = try XCTUnwrap(asked)
        try await second.send(#"{"type":"upvote","id":"\#(qid)"}"#)
        try await second.send(#"{"type":"ask","text":"How does admission work?"}"#)
        try await eventually { second.askedID != nil && second.hasUpvoted }

        // The screen shows both, the upvoted one first with its votes as the node counts them.
        var votes = 0
        try await eventually(timeout: .seconds(10)) {
            guard let top = try await node.api.questions(spaceID: id, token: self.hostToken(terminal.output)).top.first,
                top.id == qid
            else { return false }
            votes = top.votes
            return terminal.screenRows.contains { $0.contains("1  ▲\(Self.pad(votes))  Will the slides be shared?") }
                && terminal.screenRows.contains { $0.contains("2  ▲") && $0.contains("How does admission work?") }
        }
        XCTAssertGreaterThanOrEqual(votes, 1)

        // `p` puts the selected (top) question on air: the listeners hear of it, the screen shows it.
        let beforePick = terminal.output.count
        terminal.type("p")
        try await eventually(timeout: .seconds(10)) { first.onAirID == qid && second.onAirID == qid }
        try await eventually(timeout: .seconds(10)) {
            let rows = terminal.rows(since: beforePick)
            return rows.contains { $0.contains("ON AIR  ▲\(Self.pad(votes))  Will the slides be shared?") }
                && rows.contains { $0.contains("✓ pick \(qid)") }
        }

        // `q` stops the host: the Space ends, the process exits, the terminal is as it was.
        terminal.type("q")
        let exited = await Self.waitForExit(process, timeout: .seconds(20))
        XCTAssertTrue(exited, "the host exits after q")
        guard exited else { return }
        XCTAssertEqual(process.terminationStatus, 0, TextFile.read(errors))
        terminal.finishReading()
        let output = terminal.output
        let leave = try XCTUnwrap(output.range(of: ConsoleCodes.leaveAlternateScreen, options: .backwards), "left the alternate screen")
        let enter = try XCTUnwrap(output.range(of: ConsoleCodes.enterAlternateScreen, options: .backwards))
        XCTAssertLessThan(enter.lowerBound, leave.lowerBound)
        let after = output[leave.upperBound...]
        XCTAssertFalse(after.contains("\u{1B}"), "leaving the alternate screen is the last escape code; then only plain lines: \(after.debugDescription)")
        XCTAssertTrue(after.contains("ended Space \(id): "), "the summary follows on the shell's screen: \(after.debugDescription)")
        XCTAssertTrue(output[..<leave.lowerBound].hasSuffix(ConsoleCodes.showCursor), "the cursor is shown again")
        XCTAssertTrue(terminal.isCanonicalWithEcho, "line mode and echo are back")
        let info = try await node.api.space(id: id)
        XCTAssertEqual(info.state, .ended, "q ends the Space as Ctrl-C does")
        await first.close()
        await second.close()
        await node.stop()
    }

    func hostToken(_ output: String) throws -> String {
        let marker = "--token "
        let start = try XCTUnwrap(output.range(of: marker)).upperBound
        return String(output[start...].prefix { $0.isHexDigit })
    }

    static func pad(_ votes: Int) -> String {
        let text = String(votes)
        return String(repeating: " ", count: max(0, 4 - text.count)) + text
    }

    static func waitForExit(_ process: Process, timeout: Duration) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while process.isRunning, ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(50))
        }
        return !process.isRunning
    }
}

/// The escape codes the console is expected to write (spelled out here, not taken from the
/// code under test).
enum ConsoleCodes {
    static let enterAlternateScreen = "\u{1B}[?1049h"
    static let leaveAlternateScreen = "\u{1B}[?1049l"
    static let showCursor = "\u{1B}[?25h"
}

/// A pseudo-terminal pair: the follower side is the child's terminal, the leader side is
/// read in the background and written to as keys.
final class PseudoTerminal: Sendable {
    let leader: Int32
    let follower: FileHandle
    private let followerFD: Int32
    private let bytes = NIOLockedValueBox<[UInt8]>([])
    private let stop = NIOLockedValueBox(false)
    private let done = DispatchSemaphore(value: 0)

    init(width: Int, height: Int) throws {
        // posix_openpt(3) is opening /dev/ptmx; grantpt, unlockpt and ptsname_r are not in
        // Swift's Glibc module (they need _XOPEN_SOURCE), so they are looked up in libc.
        let leader = open("/dev/ptmx", O_RDWR | O_NOCTTY)
        guard leader >= 0 else { throw POSIXError(.ENOTTY) }
        var name = [CChar](repeating: 0, count: 128)
        guard PseudoTerminal.libc.grantpt(leader) == 0, PseudoTerminal.libc.unlockpt(leader) == 0,
            PseudoTerminal.libc.ptsname(leader, &name, name.count) == 0
        else {
            closeDescriptor(leader)
            throw POSIXError(.ENOTTY)
        }
        let follower = open(name, O_RDWR | O_NOCTTY)
        guard follower >= 0 else { throw POSIXError(.ENOTTY) }
        var size = winsize(ws_row: UInt16(height), ws_col: UInt16(width), ws_xpixel: 0, ws_ypixel: 0)
        _ = ioctl(leader, UInt(TIOCSWINSZ), &size)
        self.leader = leader
        self.followerFD = follower
        self.follower = FileHandle(fileDescriptor: follower, closeOnDealloc: false)
        Thread.detachNewThread { [self] in self.readLoop() }
    }

    /// Reads until told to stop and nothing more is pending.
    private func readLoop() {
        var buffer = [UInt8](repeating: 0, count: 4096)
        while true {
            var descriptor = pollfd(fd: self.leader, events: Int16(POLLIN), revents: 0)
            let ready = poll(&descriptor, 1, 50)
            if ready == 1 {
                let count = read(self.leader, &buffer, buffer.count)
                if count > 0 {
                    self.bytes.withLockedValue { $0 += buffer.prefix(count) }
                    continue
                }
                if count < 0, errno == EINTR { continue }
                break  // EIO: no process holds the follower side any more
            }
            if self.stop.withLockedValue({ $0 }) { break }
        }
        self.done.signal()
    }

    /// Everything the child wrote, as text.
    var output: String { String(decoding: self.bytes.withLockedValue { $0 }, as: UTF8.self) }

    /// The rows written since byte `offset`: the console places each row with a cursor move
    /// (`ESC [ row ; 1 H`) and writes it whole, so splitting on escape codes gives its rows.
    func rows(since offset: Int) -> [String] {
        let bytes = self.bytes.withLockedValue { Array($0.dropFirst(offset)) }
        return String(decoding: bytes, as: UTF8.self).components(separatedBy: "\u{1B}[")
    }

    /// The rows written so far.
    var screenRows: [String] { self.rows(since: 0) }

    func type(_ text: String) {
        let bytes = Array(text.utf8)
        _ = bytes.withUnsafeBytes { write(self.leader, $0.baseAddress, $0.count) }
    }

    /// Whether the terminal is back in line mode with echo, as a shell expects it.
    var isCanonicalWithEcho: Bool {
        var settings = termios()
        guard tcgetattr(self.followerFD, &settings) == 0 else { return false }
        return settings.c_lflag & tcflag_t(ICANON) != 0 && settings.c_lflag & tcflag_t(ECHO) != 0
    }

    /// Waits until what the child wrote has been read.
    func finishReading() {
        self.stop.withLockedValue { $0 = true }
        _ = self.done.wait(timeout: .now() + 5)
        self.stop.withLockedValue { $0 = false }
    }

    func close() {
        self.stop.withLockedValue { $0 = true }
        _ = self.done.wait(timeout: .now() + 5)
        closeDescriptor(self.followerFD)
        closeDescriptor(self.leader)
    }

    /// grantpt, unlockpt and ptsname_r from the C library.
    struct LibC {
        let grantpt: @convention(c) (Int32) -> Int32
        let unlockpt: @convention(c) (Int32) -> Int32
        let ptsname: @convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32

        init() {
            func symbol<F>(_ name: String, as type: F.Type) -> F {
                guard let address = dlsym(UnsafeMutableRawPointer(bitPattern: 0), name) else { fatalError("no \(name) in libc") }
                return unsafeBitCast(address, to: type)
            }
            self.grantpt = symbol("grantpt", as: (@convention(c) (Int32) -> Int32).self)
            self.unlockpt = symbol("unlockpt", as: (@convention(c) (Int32) -> Int32).self)
            self.ptsname = symbol("ptsname_r", as: (@convention(c) (Int32, UnsafeMutablePointer<CChar>?, Int) -> Int32).self)
        }
    }

    static let libc = LibC()
}

/// How the test runs `spaces`: the executable built beside this test bundle (the same products
/// directory, whatever the scratch path). The README's test command builds it first
/// (`swift build && swift test`): `swift test` alone compiles the `SpacesCLI` module into the
/// test bundle but does not link the `spaces` product.
enum SpacesProcess {
    struct Missing: Error, CustomStringConvertible {
        let path: String
        var description: String { "no spaces executable at \(self.path): run `swift build` (same scratch path) before `swift test`" }
    }

    static func make(_ arguments: [String]) throws -> Process {
        let process = Process()
        var environment = ProcessInfo.processInfo.environment
        environment["TERM"] = "xterm-256color"
        let bundle = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        let executable = bundle.deletingLastPathComponent().appendingPathComponent("spaces")
        guard FileManager.default.isExecutableFile(atPath: executable.path) else { throw Missing(path: executable.path) }
        process.executableURL = executable
        process.arguments = arguments
        process.environment = environment
        return process
    }
}

/// A listener that takes part in the conversation: sends text, records the events it gets.
final class ConsoleTestListener: Sendable {
    private let events = NIOLockedValueBox<[ServerEvent]>([])
    private let sender = NIOLockedValueBox<WebSocketSender?>(nil)
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    static func connect(_ url: ServerURL) async throws -> ConsoleTestListener {
        let connection = try await WebSocketClient.connect(url)
        let listener = ConsoleTestListener()
        let ready = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            _ = try? await connection.run { messages, sender in
                listener.sender.withLockedValue { $0 = sender }
                ready.continuation.yield()
                while let message = try await messages.next() {
                    if case .text(let text) = message, let event = try? ServerEvent.parse(text) {
                        listener.events.withLockedValue { $0.append(event) }
                    }
                }
            }
        }
        listener.task.withLockedValue { $0 = task }
        for await _ in ready.stream { break }
        return listener
    }

    func send(_ text: String) async throws {
        try await XCTUnwrap(self.sender.withLockedValue { $0 }).send(text: text)
    }

    var all: [ServerEvent] { self.events.withLockedValue { $0 } }
    var welcomed: Bool { self.all.contains { if case .welcome = $0 { true } else { false } } }
    var askedID: String? { self.all.lazy.compactMap { if case .asked(let reference) = $0 { reference.id } else { nil } }.first }
    var hasUpvoted: Bool { self.all.contains { if case .upvoted = $0 { true } else { false } } }
    var invited: Bool { self.all.contains { $0 == .invited } }
    var errors: [ServerEvent.ErrorEvent] { self.all.compactMap { if case .error(let error) = $0 { error } else { nil } } }
    /// The question on air in the latest `questions` event.
    var onAirID: String? {
        self.all.last { if case .questions = $0 { true } else { false } }.flatMap { if case .questions(let q) = $0 { q.onAir?.id } else { nil } }
    }

    func close() async {
        try? await self.sender.withLockedValue { $0 }?.close()
        await self.task.withLockedValue { $0 }?.value
    }
}

/// At file scope, where `close` is the system's and not a method.
private func closeDescriptor(_ fd: Int32) {
    _ = close(fd)
}
