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
        self.server = try ServerURL(server)
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
