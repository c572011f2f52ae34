#if canImport(Glibc)
import Glibc
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
            fflush(nil)
        } else if tick % self.plainEvery == 0 {
            print(text)
        }
    }

    /// Ends the line in place so later output starts on a fresh line.
    func finish() {
        if self.isTerminal { print("") }
    }
}
