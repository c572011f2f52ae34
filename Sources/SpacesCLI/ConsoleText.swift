/// Text measured in terminal columns: what the console needs to fit lines to the screen.
///
/// A terminal gives a character one or two columns (East Asian wide characters and emoji take
/// two); `String.count` counts grapheme clusters and would let such lines overflow and wrap,
/// which scrolls a full-screen view. The widths here follow Unicode's East Asian Width and
/// Emoji_Presentation properties closely enough for questions and reactions; a terminal that
/// disagrees on a rare character shifts one line, and the next redraw rewrites it.
enum ConsoleText {
    static let ellipsis: Character = "…"

    /// Columns a terminal gives `character`: 0 (control, or combining alone), 1 or 2.
    static func width(of character: Character) -> Int {
        let scalars = character.unicodeScalars
        guard let first = scalars.first else { return 0 }
        if first.properties.generalCategory == .control || first.properties.generalCategory == .format { return 0 }
        // An emoji presented as one (a default-emoji character, a text one with U+FE0F, a flag,
        // a keycap) takes two columns.
        if first.properties.isEmojiPresentation { return 2 }
        if first.properties.isEmoji, scalars.contains(where: { $0.value == 0xFE0F || $0.value == 0x20E3 }) { return 2 }
        if (0x1F1E6...0x1F1FF).contains(first.value) { return 2 }  // regional indicators (flags)
        if Self.isWide(first.value) { return 2 }
        if first.properties.generalCategory == .nonspacingMark || first.properties.generalCategory == .enclosingMark { return 0 }
        return 1
    }

    /// Columns of `text`.
    static func width(_ text: some StringProtocol) -> Int {
        text.reduce(0) { $0 + Self.width(of: $1) }
    }

    /// `text` in exactly `columns` columns: padded with spaces, or cut and ended with "…" when
    /// longer (a wide character that would straddle the edge is replaced by a space).
    static func fit(_ text: some StringProtocol, _ columns: Int) -> String {
        guard columns > 0 else { return "" }
        let total = Self.width(text)
        if total <= columns { return String(text) + String(repeating: " ", count: columns - total) }
        var out = ""
        var used = 0
        for character in text {
            let w = Self.width(of: character)
            if used + w > columns - 1 { break }
            out.append(character)
            used += w
        }
        out.append(Self.ellipsis)
        used += 1
        return out + String(repeating: " ", count: max(0, columns - used))
    }

    /// `text` cut to at most `columns` columns (with "…"), not padded.
    static func truncate(_ text: some StringProtocol, _ columns: Int) -> String {
        guard Self.width(text) > columns else { return String(text) }
        var fitted = Self.fit(text, columns)
        while fitted.last == " " { fitted.removeLast() }
        return fitted
    }

    /// `text` made safe to print: control characters (ESC above all) become U+FFFD and line or
    /// paragraph separators a space. A node refuses such characters in questions already, but
    /// what reaches a terminal should never be able to move its cursor or change its modes.
    static func sanitize(_ text: some StringProtocol) -> String {
        var out = ""
        out.reserveCapacity(text.utf8.count)
        for scalar in text.unicodeScalars {
            switch scalar.value {
            case 0x2028, 0x2029, 0x0A, 0x09: out.unicodeScalars.append(" ")
            case 0x00...0x1F, 0x7F...0x9F: out.unicodeScalars.append("\u{FFFD}")
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out
    }

    /// East Asian Wide and Fullwidth blocks (Unicode's EastAsianWidth.txt, condensed).
    private static func isWide(_ value: UInt32) -> Bool {
        switch value {
        case 0x1100...0x115F, 0x231A...0x231B, 0x2329...0x232A, 0x2E80...0x303E, 0x3041...0x33FF,
            0x3400...0x4DBF, 0x4E00...0x9FFF, 0xA000...0xA4CF, 0xA960...0xA97F, 0xAC00...0xD7A3,
            0xF900...0xFAFF, 0xFE10...0xFE19, 0xFE30...0xFE6F, 0xFF00...0xFF60, 0xFFE0...0xFFE6,
            0x1F300...0x1F64F, 0x1F900...0x1F9FF, 0x20000...0x2FFFD, 0x30000...0x3FFFD:
            true
        default:
            false
        }
    }
}
