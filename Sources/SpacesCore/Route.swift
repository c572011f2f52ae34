/// What an HTTP request path names in protocol v1.
public enum Route: Sendable, Equatable {
    case health
    case metrics
    case spaces
    case space(id: String)
    case listen(spaceID: String)
    case publish(spaceID: String)
    /// The host's view of the question queue.
    case questions(spaceID: String)
    /// A host action on one question: pick, answer, dismiss, pin, unpin.
    case questionAction(spaceID: String, questionID: String, action: String)
    /// The host's view of the raised hands.
    case hands(spaceID: String)
    /// The host invites a listener whose hand is raised.
    case invite(spaceID: String, listenerID: String)
    /// The host mints an invite to an invite-only Space (`POST`).
    case invites(spaceID: String)
    /// The listener page's list of live Spaces.
    case home
    /// The listener page of one Space.
    case spacePage(spaceID: String)
    /// A file of the listener page (script, style sheet).
    case asset(name: String)
    case notFound

    public init(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        let spaces = parts.count >= 3 && parts[0] == "v1" && parts[1] == "spaces"
        switch parts.count {
        case 0: self = .home
        case 2 where parts[0] == "s": self = .spacePage(spaceID: String(parts[1]))
        case 2 where parts[0] == "web": self = .asset(name: String(parts[1]))
        case 1 where parts[0] == "healthz": self = .health
        case 1 where parts[0] == "metrics": self = .metrics
        case 2 where parts[0] == "v1" && parts[1] == "spaces": self = .spaces
        case 3 where parts[0] == "v1" && parts[1] == "spaces": self = .space(id: String(parts[2]))
        case 4 where parts[0] == "v1" && parts[1] == "spaces" && parts[3] == "listen":
            self = .listen(spaceID: String(parts[2]))
        case 4 where parts[0] == "v1" && parts[1] == "spaces" && parts[3] == "publish":
            self = .publish(spaceID: String(parts[2]))
        case 4 where spaces && parts[3] == "questions":
            self = .questions(spaceID: String(parts[2]))
        case 4 where spaces && parts[3] == "hands":
            self = .hands(spaceID: String(parts[2]))
        case 4 where spaces && parts[3] == "invites":
            self = .invites(spaceID: String(parts[2]))
        case 6 where spaces && parts[3] == "questions":
            self = .questionAction(spaceID: String(parts[2]), questionID: String(parts[4]), action: String(parts[5]))
        case 6 where spaces && parts[3] == "hands" && parts[5] == "invite":
            self = .invite(spaceID: String(parts[2]), listenerID: String(parts[4]))
        default: self = .notFound
        }
    }
}

extension Route {
    /// The Space a route is about, if any.
    public var spaceID: String? {
        switch self {
        case .space(let id), .listen(let id), .publish(let id), .questions(let id), .hands(let id), .spacePage(let id),
            .invites(let id): id
        case .questionAction(let id, _, _), .invite(let id, _): id
        case .health, .metrics, .spaces, .home, .asset, .notFound: nil
        }
    }
}
