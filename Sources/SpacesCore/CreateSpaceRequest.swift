import Foundation

/// `POST /v1/spaces` body.
public struct CreateSpaceRequest: Codable, Sendable, Equatable {
    public var title: String
    /// Listener capacity; the server's default when absent.
    public var capacity: Int?
    /// 1 (mono, the default) or 2.
    public var channels: Int?
    /// `open` (the default) or `invite`: only holders of an invite may listen.
    public var access: SpaceAccess?

    /// Reads a request body. `capacity` and `channels` must be written as JSON integers: the
    /// decoder alone would take `1.0` or `1e6` for an `Int`, and a number in another spelling is
    /// a client's mistake to point out, not to guess at.
    public static func decode(_ data: Data) throws(APIError) -> CreateSpaceRequest {
        let request: CreateSpaceRequest
        do {
            request = try JSONDecoder().decode(CreateSpaceRequest.self, from: data)
        } catch {
            throw APIError(.badRequest, "expected JSON {\"title\": string, \"capacity\": integer, \"channels\": 1 or 2, \"access\": \"open\" or \"invite\"}")
        }
        try JSONIntegers.require(["capacity", "channels"], in: data)
        return request
    }

    public init(title: String, capacity: Int? = nil, channels: Int? = nil, access: SpaceAccess? = nil) {
        self.title = title
        self.capacity = capacity
        self.channels = channels
        self.access = access
    }

    /// Checks the request against the server's limits and fills in defaults.
    public func validated(limits: SpacesConfiguration.Spaces) throws(APIError) -> CreateSpaceRequest {
        let title = self.title.trimmingCharacters(in: .whitespacesAndNewlines)
        guard !title.isEmpty, title.count <= limits.maxTitleLength else {
            throw APIError(.badRequest, "title must have 1…\(limits.maxTitleLength) characters")
        }
        guard !title.unicodeScalars.contains(where: { $0.properties.generalCategory == .control }) else {
            throw APIError(.badRequest, "title must not contain control characters")
        }
        let capacity = self.capacity ?? limits.defaultCapacity
        guard capacity >= 1, capacity <= limits.maxCapacity else {
            throw APIError(.badRequest, "capacity must be within 1…\(limits.maxCapacity)")
        }
        let channels = self.channels ?? 1
        guard channels == 1 || channels == 2 else {
            throw APIError(.badRequest, "channels must be 1 or 2")
        }
        return CreateSpaceRequest(title: title, capacity: capacity, channels: channels, access: self.access ?? .open)
    }
}

/// `201` answer to `POST /v1/spaces`.
public struct CreateSpaceResponse: Codable, Sendable, Equatable {
    public var id: String
    public var title: String
    /// Authorises publishing to and ending this Space; shown once.
    public var hostToken: String
    public var listenURL: String
    public var publishURL: String
    /// The listener page (`http(s)://host/s/{id}`) to share with people who listen in a browser.
    public var pageURL: String?

    public init(id: String, title: String, hostToken: String, listenURL: String, publishURL: String, pageURL: String? = nil) {
        self.id = id
        self.title = title
        self.hostToken = hostToken
        self.listenURL = listenURL
        self.publishURL = publishURL
        self.pageURL = pageURL
    }
}
