/// A key the host pressed in the console.
enum ConsoleKey: Sendable, Equatable {
    case up
    case down
    case tab
    /// A printable character (`p`, `a`, `j`, …).
    case character(Character)
    /// Ctrl-C or Ctrl-D: the terminal is in raw mode, so these arrive as bytes.
    case interrupt

    /// Decodes the bytes a terminal sends for keys, across reads: an escape sequence may be split
    /// between two `read(2)`s.
    ///
    /// Arrows arrive as `ESC [ A` (normal mode) or `ESC O A` (application mode); other escape
    /// sequences (function keys, `ESC [ 1 ; 5 A`) are consumed whole and ignored, so that their
    /// tail is never taken for letters. A lone ESC is ignored.
    struct Decoder: Sendable {
        private var pending: [UInt8] = []

        mutating func feed(_ bytes: some Sequence<UInt8>) -> [ConsoleKey] {
            self.pending.append(contentsOf: bytes)
            var keys: [ConsoleKey] = []
            var index = 0
            let bytes = self.pending
            while index < bytes.count {
                let byte = bytes[index]
                if byte == 0x1B {
                    guard index + 1 < bytes.count else { break }  // wait for the rest
                    let kind = bytes[index + 1]
                    guard kind == UInt8(ascii: "[") || kind == UInt8(ascii: "O") else {
                        index += 1  // ESC then something else (Alt-key): drop the ESC
                        continue
                    }
                    // CSI / SS3: parameters and intermediates, then one final byte in 0x40…0x7E.
                    var end = index + 2
                    while end < bytes.count, !(0x40...0x7E).contains(bytes[end]) { end += 1 }
                    guard end < bytes.count else { break }
                    let parameters = bytes[(index + 2)..<end]
                    if parameters.isEmpty || parameters.elementsEqual([UInt8(ascii: "1")]) {
                        switch bytes[end] {
                        case UInt8(ascii: "A"): keys.append(.up)
                        case UInt8(ascii: "B"): keys.append(.down)
                        default: break
                        }
                    }
                    index = end + 1
                    continue
                }
                switch byte {
                case 0x09: keys.append(.tab)
                case 0x03, 0x04: keys.append(.interrupt)
                case 0x20...0x7E: keys.append(.character(Character(Unicode.Scalar(byte))))
                default: break  // other control bytes and UTF-8 letters: not keys of the console
                }
                index += 1
            }
            self.pending.removeFirst(index)
            // A stuck half sequence (a lone ESC followed by nothing for long) must not grow.
            if self.pending.count > 16 { self.pending.removeAll() }
            return keys
        }
    }
}
