import NIOCore
import NIOPosix
import SpacesCore

/// Where a listener goes when its node is lost: it asks `GET /v1/spaces/{id}` of each node it
/// knows (its own first, then those its `welcome` named) until one answers, and resumes at
/// the `listenURL` given, with `?resume=` (docs/PROTOCOL.md §15).
public struct NodeFailover: Sendable {
    public enum Outcome: Sendable, Equatable {
        /// Listen here (the resume token is on it).
        case listen(ServerURL)
        /// The Space has ended (or no node knows it).
        case ended
        /// No node answered.
        case unreachable
    }

    public let spaceID: String
    /// WebSocket or HTTP bases (`ws://host:port`), the lost node's first.
    public let nodes: [ServerURL]

    public init(spaceID: String, lost: ServerURL, nodes: [String]?) {
        self.spaceID = spaceID
        var all = [lost.with(target: "/")]
        for node in nodes ?? [] {
            guard let url = try? ServerURL(node), !all.contains(where: { $0.hostHeader == url.hostHeader }) else { continue }
            all.append(url.with(target: "/"))
        }
        self.nodes = all
    }

    /// The Space id of a listen URL (`…/v1/spaces/{id}/listen`).
    public static func spaceID(of url: ServerURL) -> String? {
        let path = url.target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? url.target
        let parts = path.split(separator: "/")
        guard parts.count == 4, parts[0] == "v1", parts[1] == "spaces", parts[3] == "listen" else { return nil }
        return String(parts[2])
    }

    /// Asks each node in turn (the lost one last if others are known: it is likely gone).
    public func find(resumeToken: String?, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) async -> Outcome {
        let order = self.nodes.count > 1 ? Array(self.nodes.dropFirst()) + [self.nodes[0]] : self.nodes
        var answered = false
        for node in order {
            let api = SpacesAPIClient(server: node, group: group)
            do {
                let info = try await api.space(id: self.spaceID)
                answered = true
                guard info.state == .live else { return .ended }
                var url = (try? info.listenURL.map { try ServerURL($0) }) ?? nil
                    ?? node.with(target: "/v1/spaces/\(self.spaceID)/listen")
                if let resumeToken { url = url.settingQuery("resume", to: resumeToken) }
                return .listen(url)
            } catch let error as HTTPStatusError where error.response.status == 404 || error.response.status == 410 {
                answered = true
            } catch {
                continue
            }
        }
        return answered ? .ended : .unreachable
    }
}
