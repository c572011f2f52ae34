import Foundation

/// Text events the server sends on a listener or publisher socket; each has a `"type"`.
public enum ServerEvent: Sendable, Equatable {
    case welcome(Welcome)
    case state(State)
    case ended(Ended)
    case error(ErrorEvent)
    case publishing(Publishing)
    case waiting(Waiting)
    case refused(Refused)
    case pong

    /// Sent once, first, to an admitted listener.
    public struct Welcome: Codable, Sendable, Equatable {
        public var space: SpaceSummary
        public var codec: Codec
        public var listenerId: String
        /// Reconnect with `?resume=` within the grace period to skip the line.
        public var resumeToken: String?
        public init(space: SpaceSummary, codec: Codec, listenerId: String, resumeToken: String? = nil) {
            self.space = space
            self.codec = codec
            self.listenerId = listenerId
            self.resumeToken = resumeToken
        }
    }

    /// In the waiting room: sent on entry, then at most every 2 s while the position changes.
    public struct Waiting: Codable, Sendable, Equatable {
        /// 1 is next in line.
        public var position: Int
        /// From the Space's observed admission rate; null while none has been observed.
        public var etaSeconds: Int?
        public init(position: Int, etaSeconds: Int?) {
            self.position = position
            self.etaSeconds = etaSeconds
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.position, forKey: .position)
            try container.encode(self.etaSeconds, forKey: .etaSeconds)  // null, not absent
        }
    }

    /// No place after all (the line filled, or an earlier ticket holder took the place):
    /// come back after `retryAfterSeconds` with `?ticket=`. The server closes with 1013.
    public struct Refused: Codable, Sendable, Equatable {
        public var reason: String
        public var retryAfterSeconds: Int
        public var ticket: String
        public init(reason: String, retryAfterSeconds: Int, ticket: String) {
            self.reason = reason
            self.retryAfterSeconds = retryAfterSeconds
            self.ticket = ticket
        }
    }

    /// The Space's live figures; coalesced, at most one per second.
    public struct State: Codable, Sendable, Equatable {
        public var listeners: Int
        /// Sent to the publisher only: host packets refused since the Space started.
        public var invalidPackets: Int?
        /// Sent to the publisher only: frames relayed since the Space started.
        public var framesRelayed: Int?
        public init(listeners: Int, invalidPackets: Int? = nil, framesRelayed: Int? = nil) {
            self.listeners = listeners
            self.invalidPackets = invalidPackets
            self.framesRelayed = framesRelayed
        }
    }

    /// The Space ended; the server closes with 1000 right after.
    public struct Ended: Codable, Sendable, Equatable {
        public var reason: String
        public init(reason: String) { self.reason = reason }
    }

    /// Something the client sent was refused; see docs/PROTOCOL.md for the codes.
    public struct ErrorEvent: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        public init(code: String, message: String) {
            self.code = code
            self.message = message
        }
    }

    /// Sent once, first, to the publisher: audio may flow.
    public struct Publishing: Codable, Sendable, Equatable {
        public var space: SpaceSummary
        public var codec: Codec
        public init(space: SpaceSummary, codec: Codec) {
            self.space = space
            self.codec = codec
        }
    }

    public var type: String {
        switch self {
        case .welcome: "welcome"
        case .state: "state"
        case .ended: "ended"
        case .error: "error"
        case .publishing: "publishing"
        case .waiting: "waiting"
        case .refused: "refused"
        case .pong: "pong"
        }
    }

    /// The JSON text of this event.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body: Data
        switch self {
        case .welcome(let v): body = try! encoder.encode(Typed(type: self.type, body: v))
        case .state(let v): body = try! encoder.encode(Typed(type: self.type, body: v))
        case .ended(let v): body = try! encoder.encode(Typed(type: self.type, body: v))
        case .error(let v): body = try! encoder.encode(Typed(type: self.type, body: v))
        case .publishing(let v): body = try! encoder.encode(Typed(type: self.type, body: v))
        case .waiting(let v): body = try! encoder.encode(Typed(type: self.type, body: v))
        case .refused(let v): body = try! encoder.encode(Typed(type: self.type, body: v))
        case .pong: body = try! encoder.encode(["type": self.type])
        }
        return String(decoding: body, as: UTF8.self)
    }

    /// Parses a server event; unknown types give `nil` so that old clients ignore new events.
    public static func parse(_ text: String) throws -> ServerEvent? {
        let data = Data(text.utf8)
        let decoder = JSONDecoder()
        let kind = try decoder.decode(TypeOnly.self, from: data).type
        switch kind {
        case "welcome": return .welcome(try decoder.decode(Welcome.self, from: data))
        case "state": return .state(try decoder.decode(State.self, from: data))
        case "ended": return .ended(try decoder.decode(Ended.self, from: data))
        case "error": return .error(try decoder.decode(ErrorEvent.self, from: data))
        case "publishing": return .publishing(try decoder.decode(Publishing.self, from: data))
        case "waiting": return .waiting(try decoder.decode(Waiting.self, from: data))
        case "refused": return .refused(try decoder.decode(Refused.self, from: data))
        case "pong": return .pong
        default: return nil
        }
    }
}

/// `{"type": …}` followed by the fields of `body`, flattened.
struct Typed<Body: Encodable>: Encodable {
    var type: String
    var body: Body

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        try container.encode(self.type, forKey: .type)
        try self.body.encode(to: encoder)
    }
}

enum TypeKey: String, CodingKey { case type }

/// Decodes only the `type` field of a message.
public struct TypeOnly: Decodable, Sendable {
    public var type: String
}
