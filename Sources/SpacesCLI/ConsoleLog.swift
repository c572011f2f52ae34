import SpacesCore

/// The console's plain form, for a pipe, a log file or `--plain`: one line per change of the
/// conversation, no escape codes. The server sends `questions` and `hands` only when they
/// changed and `reactions` only when there were some, so one line per event is one per change.
enum ConsoleLog {
    /// Questions named in a `questions` line: enough to follow the queue in a log.
    static let topQuestions = 3
    /// Characters of a question's text in a `questions` line.
    static let questionCharacters = 60

    /// The line for `event`, or nil for events the log does not show (audio figures have the
    /// live line).
    static func line(for event: ServerEvent) -> String? {
        switch event {
        case .questions(let questions):
            var line = "questions: \(questions.total) open"
            if let onAir = questions.onAir { line += "; on air \(onAir.id) \(Self.quote(onAir.text))" }
            let top = questions.top.prefix(Self.topQuestions).map { "\($0.id) (\($0.votes)) \(Self.quote($0.text))" }
            if !top.isEmpty { line += "; top: " + top.joined(separator: ", ") }
            return line
        case .hands(let hands):
            let first = hands.hands.first.map { "; first \($0.listenerId) waited \($0.waitedSeconds)s" } ?? ""
            return "hands: \(hands.total) raised\(first)"
        case .reactions(let reactions):
            let counts = reactions.counts.sorted { ($0.value, $1.key) > ($1.value, $0.key) }
            return "reactions: " + counts.map { "\(ConsoleText.sanitize($0.key)) \($0.value)" }.joined(separator: " ")
        case .applied(let applied):
            return "applied: \(applied.action) \(applied.target)"
        case .error(let error):
            return "error: \(error.code): \(ConsoleText.sanitize(error.message))"
        default:
            return nil
        }
    }

    private static func quote(_ text: String) -> String {
        let text = ConsoleText.sanitize(text)
        return "\"" + (text.count > Self.questionCharacters ? text.prefix(Self.questionCharacters - 1) + "…" : text) + "\""
    }
}
