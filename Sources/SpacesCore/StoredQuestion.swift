/// A question as a cluster keeps it in Redis: one field of the Space's `questions` hash, the
/// question id as the field's name and its value one line of text (docs/PROTOCOL.md §15):
///
/// ```
/// <state>|<pinned 0/1>|<asker listener id>|<asked at, Unix µs>|<votes>|<text>
/// ```
///
/// The text comes last, as it is (a normalised question has no control character, but may hold
/// `|`), so the fields before it are found from the left. The conversation script reads and
/// writes the same format in Lua.
public enum StoredQuestion {
    /// The ids a cluster gives questions: `q` and the Space's question sequence, nine digits,
    /// so that Redis's order of equal scores (by member, bytewise) is the order of asking.
    public static func id(sequence: UInt64) -> String {
        let digits = String(sequence)
        return "q" + String(repeating: "0", count: max(0, 9 - digits.count)) + digits
    }

    public static func encode(_ question: Question) -> String {
        "\(question.state.rawValue)|\(question.pinned ? 1 : 0)|\(question.askerListenerID)|\(question.askedAtMicros)|\(question.votes)|\(question.text)"
    }

    /// The question stored under `id`, or nil if `record` is not in the format.
    public static func decode(id: String, record: Substring) -> Question? {
        var rest = record[...]
        var fields: [Substring] = []
        for _ in 0..<5 {
            guard let bar = rest.firstIndex(of: "|") else { return nil }
            fields.append(rest[..<bar])
            rest = rest[rest.index(after: bar)...]
        }
        guard let state = Question.State(rawValue: String(fields[0])), fields[1] == "0" || fields[1] == "1",
            let asker = UInt64(fields[2]), let askedAt = UInt64(fields[3]), let votes = Int(fields[4]), votes >= 0
        else { return nil }
        let sequence = id.hasPrefix("q") ? UInt64(id.dropFirst()) ?? 0 : 0
        var question = Question(sequence: sequence, askerListenerID: asker, text: String(rest), askedAtMicros: askedAt, id: id)
        question.state = state
        question.pinned = fields[1] == "1"
        question.votes = votes
        return question
    }
}
