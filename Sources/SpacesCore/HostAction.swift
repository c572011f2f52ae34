import Foundation

/// What the host does to the conversation: sent as text on the publish socket
/// (`{"type":"pick","id":"q7"}`, `{"type":"invite","listenerId":"k2"}`) or as
/// `POST /v1/spaces/{id}/questions/{qid}/{action}` and `POST /v1/spaces/{id}/hands/{lid}/invite`.
///
/// Authorisation is the transport's: the publish socket was opened with the host token, and each
/// HTTP call carries it.
public enum HostAction: Sendable, Equatable {
    case pick(questionID: String)
    case answer(questionID: String)
    case dismiss(questionID: String)
    case pin(questionID: String)
    case unpin(questionID: String)
    /// Invites the listener (its `listenerId` from `welcome`, base 36) whose hand is raised.
    case invite(listenerID: String)

    /// The question actions by name, as in the HTTP path and the message `type`.
    public static let questionActions = ["pick", "answer", "dismiss", "pin", "unpin"]

    /// The action named `name` on question `questionID`; nil for a name that is not one.
    public init?(name: String, questionID: String) {
        switch name {
        case "pick": self = .pick(questionID: questionID)
        case "answer": self = .answer(questionID: questionID)
        case "dismiss": self = .dismiss(questionID: questionID)
        case "pin": self = .pin(questionID: questionID)
        case "unpin": self = .unpin(questionID: questionID)
        default: return nil
        }
    }

    public var name: String {
        switch self {
        case .pick: "pick"
        case .answer: "answer"
        case .dismiss: "dismiss"
        case .pin: "pin"
        case .unpin: "unpin"
        case .invite: "invite"
        }
    }

    /// The question or listener the action is about.
    public var target: String {
        switch self {
        case .pick(let id), .answer(let id), .dismiss(let id), .pin(let id), .unpin(let id): id
        case .invite(let id): id
        }
    }

    /// Parses a host's text message on the publish socket.
    public static func parse(_ bytes: some Collection<UInt8>) throws(ClientEvent.Invalid) -> HostAction {
        let data = Data(bytes)
        guard let kind = try? JSONDecoder().decode(TypeOnly.self, from: data).type else { throw .malformed }
        if kind == "invite" {
            let id = try ClientEvent.field(Fields<String>.self, "listenerId", of: kind, in: data, expected: "a listener id")
            return .invite(listenerID: id)
        }
        guard Self.questionActions.contains(kind) else { throw .unknownType(kind) }
        let id = try ClientEvent.field(Fields<String>.self, "id", of: kind, in: data, expected: "a question id")
        return HostAction(name: kind, questionID: id)!
    }

    /// The JSON text of this action, as the host sends it.
    public func json() -> String {
        let key = if case .invite = self { "listenerId" } else { "id" }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(["type": self.name, key: self.target]), as: UTF8.self)
    }
}
