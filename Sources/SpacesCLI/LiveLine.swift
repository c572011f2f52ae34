import UnixSignals
#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A status line: rewritten in place on a terminal, printed as plain lines otherwise.
struct LiveLine: Sendable {
    let isTerminal: Bool
    /// Off a terminal, print one line every this many updates (updates come once a second).
    let plainEvery: Int

    init(plainEvery: Int = 5) {
        self.isTerminal = isatty(STDOUT_FILENO) == 1
        self.plainEvery = plainEvery
    }

    func update(_ text: String, tick: Int) {
        if self.isTerminal {
            print("\r\u{1B}[2K" + text, terminator: "")
            fflush(stdout)
        } else if tick % self.plainEvery == 0 {
            print(text)
        }
    }

    /// Ends the line in place so later output starts on a fresh line.
    func finish() {
        if self.isTerminal { print("") }
    }
}

/// Waits for SIGINT or SIGTERM. Returns only when one arrived (a process started in the
/// background of a script may have them ignored, and then this waits until cancelled).
func waitForTerminationSignal() async throws {
    for await _ in await UnixSignalsSequence(trapping: .sigint, .sigterm) { return }
    try await Task.sleep(for: .seconds(Double(Int32.max)))
}

/// Makes standard output line-buffered, so that a script or a pipe sees each line (a URL, a
/// status) as it is printed, not when the buffer fills.
func lineBufferedOutput() {
    setvbuf(stdout, nil, _IOLBF, 0)
}
