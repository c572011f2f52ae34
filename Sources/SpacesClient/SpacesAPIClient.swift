import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import SpacesCore

/// The Spaces HTTP API, typed.
public struct SpacesAPIClient: Sendable {
    public let server: ServerURL
    public let group: any EventLoopGroup

    public init(server: String, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        self.init(server: try ServerURL(server), group: group)
    }

    public init(server: ServerURL, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.server = server
        self.group = group
    }

    public func createSpace(_ request: CreateSpaceRequest, hostKey: String) async throws -> CreateSpaceResponse {
        let body = try JSONEncoder().encode(request)
        return try await self.call(.POST, "/v1/spaces", token: hostKey, body: Array(body)).decode(CreateSpaceResponse.self)
    }

    public func space(id: String) async throws -> SpaceInfo {
        try await self.call(.GET, "/v1/spaces/\(id)").decode(SpaceInfo.self)
    }

    public func spaces() async throws -> SpaceList {
        try await self.call(.GET, "/v1/spaces").decode(SpaceList.self)
    }

    /// Ends a Space with its host token or the host key.
    @discardableResult
    public func endSpace(id: String, token: String) async throws -> SpaceInfo {
        try await self.call(.DELETE, "/v1/spaces/\(id)", token: token).decode(SpaceInfo.self)
    }

    /// A signed invite to an invite-only Space, and the links that carry it.
    public func invite(spaceID: String, token: String, ttlSeconds: Int? = nil) async throws -> InviteResponse {
        let body = try JSONEncoder().encode(InviteRequest(ttlSeconds: ttlSeconds))
        return try await self.call(.POST, "/v1/spaces/\(Self.segment(spaceID))/invites", token: token, body: Array(body)).decode(InviteResponse.self)
    }

    // MARK: The host's view and actions (docs/PROTOCOL.md §6.3), with the Space's host token

    /// The whole question queue: every open question ranked, and the one on air.
    public func questions(spaceID: String, token: String) async throws -> ServerEvent.Questions {
        try await self.call(.GET, "/v1/spaces/\(Self.segment(spaceID))/questions", token: token).decode(ServerEvent.Questions.self)
    }

    /// The raised hands, first raised first.
    public func hands(spaceID: String, token: String) async throws -> ServerEvent.Hands {
        try await self.call(.GET, "/v1/spaces/\(Self.segment(spaceID))/hands", token: token).decode(ServerEvent.Hands.self)
    }

    /// Applies a host action over HTTP: `POST …/questions/{qid}/{action}` or
    /// `POST …/hands/{listenerId}/invite`.
    @discardableResult
    public func act(_ action: HostAction, spaceID: String, token: String) async throws -> HostActionResult {
        let path: String
        if case .invite(let listener) = action {
            path = "/v1/spaces/\(Self.segment(spaceID))/hands/\(Self.segment(listener))/invite"
        } else {
            path = "/v1/spaces/\(Self.segment(spaceID))/questions/\(Self.segment(action.target))/\(action.name)"
        }
        return try await self.call(.POST, path, token: token).decode(HostActionResult.self)
    }

    /// `value` as one path segment: ids come from the command line, and a `/` or `?` in one
    /// must not reach another resource.
    static func segment(_ value: String) -> String {
        var allowed = CharacterSet.urlPathAllowed
        allowed.remove(charactersIn: "/?#%")
        return value.addingPercentEncoding(withAllowedCharacters: allowed) ?? value
    }

    /// Any request; throws ``HTTPStatusError`` for a status of 400 or more.
    public func call(_ method: HTTPMethod, _ path: String, token: String? = nil, body: [UInt8]? = nil) async throws -> HTTPResponse {
        var headers: [(String, String)] = [("accept", "application/json")]
        if let token { headers.append(("authorization", "Bearer \(token)")) }
        if body != nil { headers.append(("content-type", "application/json")) }
        let response = try await HTTPClient.request(method, self.server.with(target: path), headers: headers, body: body, group: self.group)
        guard response.status < 400 else { throw HTTPStatusError(response: response) }
        return response
    }
}
