/// Why a listener's question, upvote, reaction or raised hand (or a host's action on a question)
/// was refused. Everything here is something a peer can send, so each case is thrown, never
/// trapped; the socket stays open and the server answers with an `error` event carrying ``code``
/// and ``message``.
///
/// ``rateLimited(retryAfterMicros:)`` is the one case the server treats apart (close code 4029
/// after repeated offences): test it with ``isRateLimited``.
public enum QuestionQueueError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Nothing but whitespace (or nothing at all).
    case emptyText
    /// Longer than the limit, in characters (grapheme clusters) after trimming.
    case textTooLong(length: Int, limit: Int)
    /// A control character (general category Cc: newline and tab included) or a line or
    /// paragraph separator.
    case controlCharacter
    /// The listener already has a question open or on air.
    case oneOpenQuestion(id: String)
    /// Over the listener's rate for this kind of action; a token is due in `retryAfterMicros`.
    case rateLimited(retryAfterMicros: UInt64)
    /// The Space keeps its maximum of questions and every one of them is still open or on air.
    case queueFull(limit: Int)
    /// No question with this id (never asked, withdrawn, or evicted).
    case noSuchQuestion(id: String)
    /// The listener already upvoted this question.
    case alreadyVoted(id: String)
    /// A listener cannot upvote its own question.
    case ownQuestion(id: String)
    /// The question is not in a state that allows the action.
    case notOpen(id: String, state: Question.State)
    /// Only the asker may withdraw a question.
    case notYours(id: String)
    /// Not one of the Space's reactions.
    case unknownReaction(String)
    /// The hand queue holds its maximum of raised hands.
    case handsFull(limit: Int)
    /// The host invited a listener whose hand is not raised (lowered, invited already, or gone).
    case handNotRaised(listenerID: String)
    /// In a cluster, the shared conversation (Redis) could not be reached; nothing was applied.
    case unavailable

    /// The stable code of the `error` event (docs/PROTOCOL.md lists them).
    public var code: String {
        switch self {
        case .emptyText: "empty_text"
        case .textTooLong: "text_too_long"
        case .controlCharacter: "control_character"
        case .oneOpenQuestion: "one_open_question"
        case .rateLimited: "rate_limited"
        case .queueFull: "queue_full"
        case .noSuchQuestion: "no_such_question"
        case .alreadyVoted: "already_voted"
        case .ownQuestion: "own_question"
        case .notOpen: "not_open"
        case .notYours: "not_yours"
        case .unknownReaction: "unknown_reaction"
        case .handsFull: "hands_full"
        case .handNotRaised: "hand_not_raised"
        case .unavailable: "unavailable"
        }
    }

    /// Whether this is ``rateLimited(retryAfterMicros:)``, which the server maps to 4029.
    public var isRateLimited: Bool {
        if case .rateLimited = self { return true }
        return false
    }

    /// A human sentence for the `error` event. Strings a peer sent are cut to 40 characters.
    public var message: String {
        switch self {
        case .emptyText:
            "a question needs at least one character besides whitespace"
        case .textTooLong(let length, let limit):
            "question of \(length) characters exceeds the limit of \(limit)"
        case .controlCharacter:
            "a question must be one line without control characters (newline and tab included)"
        case .oneOpenQuestion(let id):
            "your question \(id) is still open: withdraw it or wait until it is answered"
        case .rateLimited(let retryAfterMicros):
            "too many requests: retry in \(Self.seconds(retryAfterMicros)) s"
        case .queueFull(let limit):
            "the question queue is full (\(limit) questions, all still open)"
        case .noSuchQuestion(let id):
            "no question \"\(id.prefix(40))\""
        case .alreadyVoted(let id):
            "you already upvoted question \(id)"
        case .ownQuestion(let id):
            "question \(id) is your own: you cannot upvote it"
        case .notOpen(let id, let state):
            "question \(id) is \(state.description)"
        case .notYours(let id):
            "question \(id) was asked by another listener"
        case .unknownReaction(let reaction):
            "unknown reaction \"\(reaction.prefix(40))\""
        case .handsFull(let limit):
            "too many raised hands (limit \(limit))"
        case .handNotRaised(let id):
            "listener \"\(id.prefix(40))\" has no hand raised"
        case .unavailable:
            "the conversation is unavailable for a moment: try again"
        }
    }

    public var description: String { "\(self.code): \(self.message)" }

    /// Seconds until a rate-limited action may be tried again; nil for other errors.
    public var retryAfterSeconds: Int? {
        if case .rateLimited(let micros) = self { return Int(Self.seconds(micros)) }
        return nil
    }

    /// The HTTP status a host action refused with this error answers.
    public var httpStatus: Int {
        switch self {
        case .noSuchQuestion, .handNotRaised: 404
        case .notOpen, .notYours, .alreadyVoted, .ownQuestion, .oneOpenQuestion: 409
        case .rateLimited, .queueFull, .handsFull: 429
        case .emptyText, .textTooLong, .controlCharacter, .unknownReaction: 400
        case .unavailable: 503
        }
    }

    /// The refusal a cluster's conversation script answered with (its code and one argument:
    /// a question id, a limit or a state); nil for a code it does not know.
    public init?(code: String, argument: String) {
        switch code {
        case "one_open_question": self = .oneOpenQuestion(id: argument)
        case "queue_full": self = .queueFull(limit: Int(argument) ?? 0)
        case "no_such_question": self = .noSuchQuestion(id: argument)
        case "already_voted": self = .alreadyVoted(id: argument)
        case "own_question": self = .ownQuestion(id: argument)
        case "not_yours": self = .notYours(id: argument)
        case "hands_full": self = .handsFull(limit: Int(argument) ?? 0)
        case "hand_not_raised": self = .handNotRaised(listenerID: argument)
        default:
            // "not_open" carries "<id>,<state>".
            guard code == "not_open", let comma = argument.lastIndex(of: ","),
                let state = Question.State(rawValue: String(argument[argument.index(after: comma)...]))
            else { return nil }
            self = .notOpen(id: String(argument[..<comma]), state: state)
        }
    }

    /// Whole seconds, rounded up, at least 1: "retry in 0 s" would invite an immediate retry.
    private static func seconds(_ micros: UInt64) -> UInt64 {
        max(1, (micros + 999_999) / 1_000_000)
    }
}
