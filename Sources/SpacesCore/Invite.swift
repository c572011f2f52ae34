import Foundation

/// `POST /v1/spaces/{id}/invites` body (optional): how long the invite lasts.
public struct InviteRequest: Codable, Sendable, Equatable {
    /// Seconds, within 60…``maxSeconds``; ``defaultSeconds`` when absent.
    public var ttlSeconds: Int?

    /// A day: long enough to share a link before an event, short enough that a leaked link dies.
    public static let defaultSeconds = 86_400
    /// Thirty days.
    public static let maxSeconds = 30 * 86_400

    public init(ttlSeconds: Int? = nil) {
        self.ttlSeconds = ttlSeconds
    }

    /// Reads a body (empty: the defaults); the lifetime checked.
    public static func decode(_ data: Data) throws(APIError) -> Int {
        guard !data.isEmpty else { return Self.defaultSeconds }
        let request: InviteRequest
        do {
            request = try JSONDecoder().decode(InviteRequest.self, from: data)
        } catch {
            throw APIError(.badRequest, "expected JSON {\"ttlSeconds\": integer} or no body")
        }
        try JSONIntegers.require(["ttlSeconds"], in: data)
        let seconds = request.ttlSeconds ?? Self.defaultSeconds
        guard (60...Self.maxSeconds).contains(seconds) else {
            throw APIError(.badRequest, "ttlSeconds must be within 60…\(Self.maxSeconds)")
        }
        return seconds
    }
}

/// `201` answer to `POST /v1/spaces/{id}/invites`: a signed invite, and the links that carry it.
public struct InviteResponse: Codable, Sendable, Equatable {
    public var invite: String
    /// The listen URL with `?invite=`.
    public var listenURL: String
    /// The listener page with `?invite=`: the link a host shares.
    public var pageURL: String
    /// ISO 8601, UTC.
    public var expiresAt: String

    public init(invite: String, listenURL: String, pageURL: String, expiresAt: String) {
        self.invite = invite
        self.listenURL = listenURL
        self.pageURL = pageURL
        self.expiresAt = expiresAt
    }
}
