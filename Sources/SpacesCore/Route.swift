/// What an HTTP request path names in protocol v1.
public enum Route: Sendable, Equatable {
    case health
    case metrics
    case spaces
    case space(id: String)
    case listen(spaceID: String)
    case publish(spaceID: String)
    case notFound

    public init(path: String) {
        let parts = path.split(separator: "/", omittingEmptySubsequences: true)
        switch parts.count {
        case 1 where parts[0] == "healthz": self = .health
        case 1 where parts[0] == "metrics": self = .metrics
        case 2 where parts[0] == "v1" && parts[1] == "spaces": self = .spaces
        case 3 where parts[0] == "v1" && parts[1] == "spaces": self = .space(id: String(parts[2]))
        case 4 where parts[0] == "v1" && parts[1] == "spaces" && parts[3] == "listen":
            self = .listen(spaceID: String(parts[2]))
        case 4 where parts[0] == "v1" && parts[1] == "spaces" && parts[3] == "publish":
            self = .publish(spaceID: String(parts[2]))
        default: self = .notFound
        }
    }
}
