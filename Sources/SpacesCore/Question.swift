/// A listener's question in a Space's ``QuestionQueue``.
///
/// Votes start at 0: asking is not a vote, and an asker cannot upvote its own question, so
/// `votes` counts the other listeners who want it answered.
public struct Question: Sendable, Equatable, Identifiable {
    /// Where a question stands. `open` questions are ranked in the queue; at most one is `onAir`;
    /// `answered` and `dismissed` are final. The raw values are the wire names.
    public enum State: String, Sendable, CaseIterable, CustomStringConvertible {
        case open
        case onAir = "on_air"
        case answered
        case dismissed

        /// Open or on air: not yet done with. A listener has at most one such question, and
        /// only such questions take upvotes.
        public var isOutstanding: Bool { self == .open || self == .onAir }

        public var description: String {
            switch self {
            case .open: "open"
            case .onAir: "on air"
            case .answered: "answered"
            case .dismissed: "dismissed"
            }
        }
    }

    /// Short and unique within the Space: "q" and the question's number in base 36.
    public let id: String
    public let askerListenerID: UInt64
    /// Trimmed of surrounding whitespace; 1…`maximumTextLength` characters, one line.
    public let text: String
    public internal(set) var votes: Int
    public internal(set) var state: State
    /// Put first by the host. Only an open question is pinned: leaving `open` clears it.
    public internal(set) var pinned: Bool
    public let askedAtMicros: UInt64
    /// The order of asking (1, 2, …): breaks ties between questions asked in the same microsecond.
    let sequence: UInt64

    init(sequence: UInt64, askerListenerID: UInt64, text: String, askedAtMicros: UInt64, id: String? = nil) {
        self.id = id ?? Self.id(sequence: sequence)
        self.askerListenerID = askerListenerID
        self.text = text
        self.votes = 0
        self.state = .open
        self.pinned = false
        self.askedAtMicros = askedAtMicros
        self.sequence = sequence
    }

    /// "q" and `sequence` in base 36: q1, q2, … qa, … q10, …
    static func id(sequence: UInt64) -> String {
        "q" + String(sequence, radix: 36)
    }

    /// The queue's order: pinned first, then more votes, then older, then asked first.
    /// A strict total order over questions of one queue (sequences are unique).
    public func ranks(before other: Question) -> Bool {
        if self.pinned != other.pinned { return self.pinned }
        if self.votes != other.votes { return self.votes > other.votes }
        if self.askedAtMicros != other.askedAtMicros { return self.askedAtMicros < other.askedAtMicros }
        return self.sequence < other.sequence
    }

    /// The text a question is stored with: `text` trimmed of surrounding whitespace.
    ///
    /// Refused: any control character (Unicode general category Cc, newline and tab included,
    /// anywhere in the text, even where trimming would remove it) and the line and paragraph
    /// separators U+2028/U+2029: a question is shown as one line, and these would break it just
    /// as a newline does. Then 1…`maximumLength` characters, counted as Swift `Character`s
    /// (grapheme clusters), so an emoji or a letter with combining marks counts as one, as a
    /// reader sees it. A Swift `String` is valid Unicode already; the parser upstream refuses
    /// invalid UTF-8.
    public static func normalize(_ text: String, maximumLength: Int) throws(QuestionQueueError) -> String {
        for scalar in text.unicodeScalars {
            switch scalar.properties.generalCategory {
            case .control, .lineSeparator, .paragraphSeparator:
                throw .controlCharacter
            default:
                continue
            }
        }
        guard let first = text.firstIndex(where: { !$0.isWhitespace }),
            let last = text.lastIndex(where: { !$0.isWhitespace })
        else { throw .emptyText }
        let trimmed = text[first...last]
        let length = trimmed.count
        guard length <= maximumLength else { throw .textTooLong(length: length, limit: maximumLength) }
        return String(trimmed)
    }
}
