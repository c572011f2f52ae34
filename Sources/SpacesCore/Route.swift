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

    /// Matches on bytes, not characters: this runs on every join.
    public init(path: String) {
        let parts = path.utf8.split(separator: UInt8(ascii: "/"))
        func word(_ index: Int, _ word: String) -> Bool { parts[index].elementsEqual(word.utf8) }
        func text(_ index: Int) -> String { String(Substring(parts[index])) }
        let spaces = parts.count >= 3 && word(0, "v1") && word(1, "spaces")
        switch parts.count {
        case 0: self = .home
        case 1 where word(0, "healthz"): self = .health
        case 1 where word(0, "metrics"): self = .metrics
        case 2 where word(0, "s"): self = .spacePage(spaceID: text(1))
        case 2 where word(0, "web"): self = .asset(name: text(1))
        case 2 where word(0, "v1") && word(1, "spaces"): self = .spaces
        case 3 where spaces: self = .space(id: text(2))
        case 4 where spaces && word(3, "listen"): self = .listen(spaceID: text(2))
        case 4 where spaces && word(3, "publish"): self = .publish(spaceID: text(2))
        case 4 where spaces && word(3, "questions"): self = .questions(spaceID: text(2))
        case 4 where spaces && word(3, "hands"): self = .hands(spaceID: text(2))
        case 4 where spaces && word(3, "invites"): self = .invites(spaceID: text(2))
        case 6 where spaces && word(3, "questions"):
            self = .questionAction(spaceID: text(2), questionID: text(4), action: text(5))
        case 6 where spaces && word(3, "hands") && word(5, "invite"):
            self = .invite(spaceID: text(2), listenerID: text(4))
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
