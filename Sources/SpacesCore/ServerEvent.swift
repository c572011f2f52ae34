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
    /// The listener's question was accepted.
    case asked(QuestionReference)
    /// The listener's upvote was counted.
    case upvoted(QuestionReference)
    /// The listener's question was taken back.
    case withdrawn(QuestionReference)
    /// The listener's hand is up (with its place in line) or down.
    case hand(HandState)
    /// Where the listener's own question stands; sent when it changes.
    case question(OwnQuestion)
    /// The Space's question queue: the top questions and the one on air.
    case questions(Questions)
    /// Reactions counted since the last such event.
    case reactions(Reactions)
    /// The host invites this listener to speak.
    case invited
    /// The raised hands, to the host.
    case hands(Hands)
    /// A host action was applied.
    case applied(Applied)

    /// Sent once, first, to an admitted listener.
    public struct Welcome: Codable, Sendable, Equatable {
        public var space: SpaceSummary
        public var codec: Codec
        public var listenerId: String
        /// Reconnect with `?resume=` within the grace period to skip the line.
        public var resumeToken: String?
        /// In a cluster: WebSocket bases (`ws://host:port`) of live nodes, at most 8, where to
        /// ask `GET /v1/spaces/{id}` for a new `listenURL` if this node is lost.
        public var nodes: [String]?
        public init(space: SpaceSummary, codec: Codec, listenerId: String, resumeToken: String? = nil, nodes: [String]? = nil) {
            self.nodes = nodes
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

    /// Something the client sent was refused; see docs/PROTOCOL.md for the codes. The socket
    /// stays open.
    public struct ErrorEvent: Codable, Sendable, Equatable {
        public var code: String
        public var message: String
        /// 4029 (``CloseCode/rateLimited``) when the client is over a rate: a number clients can
        /// branch on, sent on the event and never as a close.
        public var status: Int?
        /// With `rate_limited`: when the action may be tried again.
        public var retryAfterSeconds: Int?
        public init(code: String, message: String, status: Int? = nil, retryAfterSeconds: Int? = nil) {
            self.code = code
            self.message = message
            self.status = status
            self.retryAfterSeconds = retryAfterSeconds
        }

        /// The event answering a refused question, vote, reaction or hand.
        public init(_ error: QuestionQueueError) {
            self.init(
                code: error.code, message: error.message, status: error.isRateLimited ? Int(CloseCode.rateLimited.rawValue) : nil,
                retryAfterSeconds: error.retryAfterSeconds
            )
        }
    }

    /// Names one question.
    public struct QuestionReference: Codable, Sendable, Equatable {
        public var id: String
        public init(id: String) { self.id = id }
    }

    public struct HandState: Codable, Sendable, Equatable {
        public var raised: Bool
        /// 1 is first in line; absent when the hand is down.
        public var position: Int?
        public init(raised: Bool, position: Int?) {
            self.raised = raised
            self.position = position
        }
    }

    /// A question as everyone sees it.
    public struct QuestionItem: Codable, Sendable, Equatable {
        public var id: String
        public var text: String
        public var votes: Int
        /// `open`, `on_air`, `answered` or `dismissed`.
        public var state: String
        public var pinned: Bool
        public init(id: String, text: String, votes: Int, state: String, pinned: Bool) {
            self.id = id
            self.text = text
            self.votes = votes
            self.state = state
            self.pinned = pinned
        }

        public init(_ item: QuestionQueue.Snapshot.Item) {
            self.init(id: item.id, text: item.text, votes: item.votes, state: item.state.rawValue, pinned: item.pinned)
        }

        public init(_ question: Question) {
            self.init(id: question.id, text: question.text, votes: question.votes, state: question.state.rawValue, pinned: question.pinned)
        }
    }

    /// The asker's own question: its state, and its place in the queue while open.
    public struct OwnQuestion: Codable, Sendable, Equatable {
        public var id: String
        public var state: String
        /// 1-based place among the open questions; null unless open.
        public var rank: Int?
        public var votes: Int
        public init(id: String, state: String, rank: Int?, votes: Int) {
            self.id = id
            self.state = state
            self.rank = rank
            self.votes = votes
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.id, forKey: .id)
            try container.encode(self.state, forKey: .state)
            try container.encode(self.rank, forKey: .rank)  // null, not absent
            try container.encode(self.votes, forKey: .votes)
        }
    }

    /// The question queue as shown: `total` open questions (the one on air not counted), the
    /// first of them in rank order, and the one on air.
    public struct Questions: Codable, Sendable, Equatable {
        public var version: UInt64
        public var total: Int
        public var onAir: QuestionItem?
        public var top: [QuestionItem]
        public init(version: UInt64, total: Int, onAir: QuestionItem?, top: [QuestionItem]) {
            self.version = version
            self.total = total
            self.onAir = onAir
            self.top = top
        }

        public init(_ snapshot: QuestionQueue.Snapshot) {
            self.init(
                version: snapshot.version, total: snapshot.openCount, onAir: snapshot.onAir.map(QuestionItem.init),
                top: snapshot.top.map(QuestionItem.init)
            )
        }

        public func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(self.version, forKey: .version)
            try container.encode(self.total, forKey: .total)
            try container.encode(self.onAir, forKey: .onAir)  // null, not absent
            try container.encode(self.top, forKey: .top)
        }
    }

    public struct Reactions: Codable, Sendable, Equatable {
        /// Reactions counted since the previous event, by emoji.
        public var counts: [String: Int]
        public init(counts: [String: Int]) { self.counts = counts }
    }

    public struct Hands: Codable, Sendable, Equatable {
        public struct Item: Codable, Sendable, Equatable {
            public var listenerId: String
            /// Seconds since the hand went up.
            public var waitedSeconds: Int
            public init(listenerId: String, waitedSeconds: Int) {
                self.listenerId = listenerId
                self.waitedSeconds = waitedSeconds
            }
        }

        public var version: UInt64
        /// Raised hands in all; `hands` lists the first of them, first raised first.
        public var total: Int
        public var hands: [Item]
        public init(version: UInt64, total: Int, hands: [Item]) {
            self.version = version
            self.total = total
            self.hands = hands
        }
    }

    public struct Applied: Codable, Sendable, Equatable {
        /// `pick`, `answer`, `dismiss`, `pin`, `unpin` or `invite`.
        public var action: String
        /// The question id, or the listener id for `invite`.
        public var target: String
        public init(action: String, target: String) {
            self.action = action
            self.target = target
        }
    }

    /// Sent once, first, to the publisher: audio may flow.
    public struct Publishing: Codable, Sendable, Equatable {
        public var space: SpaceSummary
        public var codec: Codec
        /// In a cluster: WebSocket bases of live nodes, at most 8, through which the host may
        /// publish again with its token if this node is lost.
        public var nodes: [String]?
        public init(space: SpaceSummary, codec: Codec, nodes: [String]? = nil) {
            self.nodes = nodes
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
        case .asked: "asked"
        case .upvoted: "upvoted"
        case .withdrawn: "withdrawn"
        case .hand: "hand"
        case .question: "question"
        case .questions: "questions"
        case .reactions: "reactions"
        case .invited: "invited"
        case .hands: "hands"
        case .applied: "applied"
        }
    }

    /// The JSON text of this event.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body: any Encodable = switch self {
        case .welcome(let v): v
        case .state(let v): v
        case .ended(let v): v
        case .error(let v): v
        case .publishing(let v): v
        case .waiting(let v): v
        case .refused(let v): v
        case .asked(let v), .upvoted(let v), .withdrawn(let v): v
        case .hand(let v): v
        case .question(let v): v
        case .questions(let v): v
        case .reactions(let v): v
        case .hands(let v): v
        case .applied(let v): v
        case .pong, .invited: Empty()
        }
        return String(decoding: try! encoder.encode(Typed(type: self.type, body: body)), as: UTF8.self)
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
        case "asked": return .asked(try decoder.decode(QuestionReference.self, from: data))
        case "upvoted": return .upvoted(try decoder.decode(QuestionReference.self, from: data))
        case "withdrawn": return .withdrawn(try decoder.decode(QuestionReference.self, from: data))
        case "hand": return .hand(try decoder.decode(HandState.self, from: data))
        case "question": return .question(try decoder.decode(OwnQuestion.self, from: data))
        case "questions": return .questions(try decoder.decode(Questions.self, from: data))
        case "reactions": return .reactions(try decoder.decode(Reactions.self, from: data))
        case "invited": return .invited
        case "hands": return .hands(try decoder.decode(Hands.self, from: data))
        case "applied": return .applied(try decoder.decode(Applied.self, from: data))
        default: return nil
        }
    }
}

/// `{"type": …}` followed by the fields of `body`, flattened.
struct Typed: Encodable {
    var type: String
    var body: any Encodable

    func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: TypeKey.self)
        try container.encode(self.type, forKey: .type)
        try self.body.encode(to: encoder)
    }
}

enum TypeKey: String, CodingKey { case type }

/// No fields besides `type`.
struct Empty: Encodable {}

/// Decodes only the `type` field of a message.
public struct TypeOnly: Decodable, Sendable {
    public var type: String
}
