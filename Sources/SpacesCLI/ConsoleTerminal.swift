#if canImport(Glibc)
@preconcurrency import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import NIOConcurrencyHelpers

/// The terminal under the host's console: the alternate screen, single keys without echo, its
/// size, and putting everything back.
///
/// Keys are read from standard input when it is a terminal, else from `/dev/tty` (with
/// `--input -` standard input carries the audio). Only canonical mode and echo are turned off:
/// the terminal still turns Ctrl-C into SIGINT, which stops the host the way it always has
/// (the signal is trapped, the Space ended, and ``leave()`` runs as the console unwinds). The
/// suspend character is disabled, because a process stopped by Ctrl-Z would leave the shell
/// on the alternate screen with echo off.
final class ConsoleTerminal: Sendable {
    static let enterAlternateScreen = "\u{1B}[?1049h"
    static let leaveAlternateScreen = "\u{1B}[?1049l"
    static let hideCursor = "\u{1B}[?25l"
    static let showCursor = "\u{1B}[?25h"
    static let clearScreen = "\u{1B}[2J"

    let inputFD: Int32
    let outputFD: Int32
    private let ownsInput: Bool
    private let original: termios
    private let entered = NIOLockedValueBox(false)

    private init(inputFD: Int32, outputFD: Int32, ownsInput: Bool, original: termios) {
        self.inputFD = inputFD
        self.outputFD = outputFD
        self.ownsInput = ownsInput
        self.original = original
    }

    deinit {
        if self.ownsInput { close(self.inputFD) }
    }

    /// The terminal, when standard output is one (and not `TERM=dumb`, which has no cursor
    /// addressing) and a terminal for keys can be opened; nil otherwise (then the console
    /// prints plain lines).
    static func open() -> ConsoleTerminal? {
        guard isatty(STDOUT_FILENO) == 1, getenv("TERM").map({ String(cString: $0) }) != "dumb" else { return nil }
        var input = STDIN_FILENO
        var owns = false
        if isatty(STDIN_FILENO) != 1 {
            input = openControllingTerminal()
            guard input >= 0 else { return nil }
            owns = true
        }
        var original = termios()
        guard tcgetattr(input, &original) == 0 else {
            if owns { close(input) }
            return nil
        }
        return ConsoleTerminal(inputFD: input, outputFD: STDOUT_FILENO, ownsInput: owns, original: original)
    }

    /// Single keys, no echo, the alternate screen, no cursor.
    func enter() {
        self.entered.withLockedValue { entered in
            guard !entered else { return }
            var raw = self.original
            raw.c_lflag &= ~tcflag_t(ICANON | ECHO | IEXTEN)
            raw.c_iflag &= ~tcflag_t(IXON | ICRNL)
            withUnsafeMutableBytes(of: &raw.c_cc) { cc in
                cc[Int(VMIN)] = 1
                cc[Int(VTIME)] = 0
                cc[Int(VSUSP)] = 0  // _POSIX_VDISABLE: no Ctrl-Z
            }
            _ = tcsetattr(self.inputFD, TCSANOW, &raw)
            self.write(Self.enterAlternateScreen + Self.hideCursor + Self.clearScreen)
            entered = true
        }
    }

    /// Puts the terminal back as it was; safe to call more than once. Leaving the alternate
    /// screen is the last thing written, so the shell's screen comes back with the cursor.
    func leave() {
        self.entered.withLockedValue { entered in
            guard entered else { return }
            var original = self.original
            _ = tcsetattr(self.inputFD, TCSANOW, &original)
            self.write(Self.showCursor + Self.leaveAlternateScreen)
            entered = false
        }
    }

    /// Columns and rows; 80×24 when the terminal does not say.
    func size() -> (width: Int, height: Int) {
        var size = winsize()
        guard ioctl(self.outputFD, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0, size.ws_row > 0 else { return (80, 24) }
        return (Int(size.ws_col), Int(size.ws_row))
    }

    /// The bytes typed so far, without waiting; empty when there are none.
    func readAvailable() -> [UInt8] {
        var bytes: [UInt8] = []
        var descriptor = pollfd(fd: self.inputFD, events: Int16(POLLIN), revents: 0)
        while poll(&descriptor, 1, 0) == 1, descriptor.revents & Int16(POLLIN) != 0 {
            var buffer = [UInt8](repeating: 0, count: 256)
            let count = read(self.inputFD, &buffer, buffer.count)
            guard count > 0 else { break }
            bytes += buffer.prefix(count)
            if bytes.count >= 4096 { break }
        }
        return bytes
    }

    /// Writes `lines` as the whole screen, each at its row, in one write.
    func draw(_ lines: [String], clearFirst: Bool) {
        var out = clearFirst ? Self.clearScreen : ""
        for (index, line) in lines.enumerated() {
            out += "\u{1B}[\(index + 1);1H" + line
        }
        self.write(out)
    }

    func write(_ text: String) {
        var bytes = Array(text.utf8)[...]
        while !bytes.isEmpty {
            let written = bytes.withUnsafeBytes { writeBytes(self.outputFD, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR || errno == EAGAIN { continue }
                return
            }
            bytes = bytes.dropFirst(written)
        }
    }
}

// At file scope, where `open` and `write` are the system's and not the class's methods.

private func openControllingTerminal() -> Int32 {
    open("/dev/tty", O_RDONLY | O_NOCTTY | O_CLOEXEC)
}

private func writeBytes(_ fd: Int32, _ bytes: UnsafeRawPointer?, _ count: Int) -> Int {
    write(fd, bytes, count)
}
