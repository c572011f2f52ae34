import SpacesCore

/// Draws a ``ConsoleState`` as the lines of a full screen: exactly `height` lines of exactly
/// `width` columns each, so that a redraw overwrites the previous one without clearing (no
/// flicker) and nothing wraps (a wrapped line would scroll the whole view).
///
/// The only escape codes are the reverse video of the selected row in the focused list
/// (``highlightOn``/``highlightOff``); placing the lines is the terminal's business.
enum ConsoleScreen {
    static let highlightOn = "\u{1B}[7m"
    static let highlightOff = "\u{1B}[0m"

    /// The keys, most used first: a narrow terminal cuts the end.
    static let footer = "↑/↓ j/k select  p pick  a answer  d dismiss  n pin/unpin  Tab hands  i invite  q quit"

    /// Lines that are not list rows: title, figures, 3 rules, 2 list headings, reactions,
    /// status, footer.
    static let fixedLines = 10

    static func render(_ state: ConsoleState, width: Int, height: Int) -> [String] {
        guard width > 0, height > 0 else { return [] }
        let rule = String(repeating: "─", count: width)
        var top: [String] = [
            Self.titleLine(state, width: width),
            ConsoleText.fit(Self.figures(state), width),
            rule,
        ]
        let bottom: [String] = [
            rule,
            ConsoleText.fit(Self.reactions(state), width),
            ConsoleText.fit(state.status.map { " " + ConsoleText.sanitize($0.text) } ?? "", width),
            ConsoleText.fit(" " + Self.footer, width),
        ]
        // Rows left for the two lists: hands get up to a third (at least one row, for "none"),
        // questions the rest.
        let rows = max(0, height - Self.fixedLines)
        let handRows = min(max(1, state.hands.count), max(1, rows / 3))
        let questionRows = max(1, rows - handRows)

        let onAir = state.onAir == nil ? "" : ", 1 on air"
        top.append(ConsoleText.fit(Self.heading("Questions", "\(state.openTotal) open\(onAir)", focused: state.focus == .questions), width))
        let questions = Self.questionLines(state, width: width, rows: questionRows)
        // The hands keep their place while the questions come and go.
        top += questions + Array(repeating: String(repeating: " ", count: width), count: max(0, questionRows - questions.count))
        top.append(rule)
        top.append(ConsoleText.fit(Self.heading("Hands", "\(state.handsTotal) raised", focused: state.focus == .hands), width))
        top += Self.handLines(state, width: width, rows: handRows)

        var lines = top + bottom
        if lines.count > height {
            // A short terminal: keep the top (title, questions first) and the footer of keys.
            lines = Array(lines.prefix(height - 1)) + [lines.last!]
            if height == 1 { lines = [top[0]] }
        }
        while lines.count < height { lines.insert(String(repeating: " ", count: width), at: lines.count - 1) }
        return lines
    }

    /// The line without its highlight codes, as it appears.
    static func visible(_ line: String) -> String {
        line.replacingOccurrences(of: Self.highlightOn, with: "").replacingOccurrences(of: Self.highlightOff, with: "")
    }

    // MARK: Parts

    static func titleLine(_ state: ConsoleState, width: Int) -> String {
        let badge = state.ended ? "■ ENDED" : "● LIVE"
        let right = "\(Self.clock(Int(state.now - state.startedAt))) "
        let left = " \(badge)  \(ConsoleText.sanitize(state.title))  · \(state.spaceID)"
        let rightWidth = ConsoleText.width(right)
        guard width > rightWidth + 8 else { return ConsoleText.fit(left, width) }
        return ConsoleText.fit(left, width - rightWidth) + right
    }

    static func figures(_ state: ConsoleState) -> String {
        func number(_ value: Int?) -> String { value.map(String.init) ?? "–" }
        let joins = state.joinsPerSecond.map { Self.oneDecimal($0) } ?? "–"
        var text = " listeners \(number(state.listeners))   waiting \(number(state.waiting))   joins/s \(joins)"
        if let frames = state.framesRelayed { text += "   frames \(frames)" }
        return text
    }

    static func heading(_ name: String, _ detail: String, focused: Bool) -> String {
        (focused ? "▸ " : "  ") + name.uppercased() + "  " + detail
    }

    /// The question rows, scrolled so that the selection shows.
    static func questionLines(_ state: ConsoleState, width: Int, rows: Int) -> [String] {
        let items = state.questionRows
        guard !items.isEmpty else { return [ConsoleText.fit("   no questions yet", width)] }
        let window = Self.window(count: items.count, selected: state.selectedQuestion, rows: rows)
        let rankOffset = state.onAir == nil ? 1 : 0
        return window.map { index in
            let item = items[index]
            let label = item.state == "on_air" ? "ON AIR" : String(index + rankOffset)
            let pin = item.pinned ? "📌 " : ""
            let selected = index == state.selectedQuestion
            let text = "\(selected ? "›" : " ")\(Self.pad(label, 6))  ▲\(Self.pad(String(item.votes), 4))  \(pin)\(ConsoleText.sanitize(item.text))"
            return Self.row(text, width: width, highlighted: selected && state.focus == .questions)
        }
    }

    static func handLines(_ state: ConsoleState, width: Int, rows: Int) -> [String] {
        guard !state.hands.isEmpty else { return [ConsoleText.fit("   no hands raised", width)] }
        let window = Self.window(count: state.hands.count, selected: state.selectedHand, rows: rows)
        return window.map { index in
            let hand = state.hands[index]
            let selected = index == state.selectedHand
            let text = "\(selected ? "›" : " ")\(Self.pad(String(index + 1), 6))  listener \(ConsoleText.sanitize(hand.listenerId))  waited \(Self.clock(state.waited(hand)))"
            return Self.row(text, width: width, highlighted: selected && state.focus == .hands)
        }
    }

    static func reactions(_ state: ConsoleState) -> String {
        func list(_ counts: [String: Int]) -> String {
            counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
                .map { "\(ConsoleText.sanitize($0.key)) \($0.value)" }.joined(separator: "  ")
        }
        let now = state.currentReactions
        let total = state.reactionTotals
        return " REACTIONS  last 1s: " + (now.isEmpty ? "–" : list(now)) + "   total: " + (total.isEmpty ? "–" : list(total))
    }

    // MARK: Helpers

    /// Indices of the rows shown: the first `rows`, or a window ending at the selection.
    static func window(count: Int, selected: Int, rows: Int) -> Range<Int> {
        let rows = max(1, rows)
        let start = max(0, min(selected - rows + 1, count - rows))
        return start..<min(count, start + rows)
    }

    static func row(_ text: String, width: Int, highlighted: Bool) -> String {
        let fitted = ConsoleText.fit(text, width)
        return highlighted ? Self.highlightOn + fitted + Self.highlightOff : fitted
    }

    static func pad(_ text: String, _ width: Int) -> String {
        String(repeating: " ", count: max(0, width - text.count)) + text
    }

    /// `m:ss`, or `h:mm:ss` past an hour.
    static func clock(_ seconds: Int) -> String {
        let s = max(0, seconds)
        func two(_ n: Int) -> String { n < 10 ? "0\(n)" : String(n) }
        return s >= 3600 ? "\(s / 3600):\(two(s / 60 % 60)):\(two(s % 60))" : "\(s / 60):\(two(s % 60))"
    }

    static func oneDecimal(_ value: Double) -> String {
        let tenths = Int((value * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}
