import Foundation

/// A clustered Space's conversation updates as one node publishes them for every node (inside
/// a ``ClusterEnvelope`` of kind ``ClusterEnvelope/Kind/conversation``): JSON, versioned by
/// `v`. Each node encodes the shared parts once and fans them out to its own listeners, the
/// host's parts to the host if it is connected there, and each personal part to its listener
/// if that listener is there.
///
/// Listener ids are decimal strings: they use all 64 bits.
public struct ConversationBroadcast: Codable, Sendable, Equatable {
    public static let version = 1

    public struct Personal: Codable, Sendable, Equatable {
        public var listener: String
        public var question: ServerEvent.OwnQuestion
    }

    public var v: Int
    public var questions: ServerEvent.Questions?
    public var hostQuestions: ServerEvent.Questions?
    public var hands: ServerEvent.Hands?
    public var reactions: ServerEvent.Reactions?
    public var personal: [Personal]?
    /// Listeners a host invited (each gets `invited`).
    public var invited: [String]?

    public init(_ updates: Conversation.Updates = .init(), invited: [UInt64] = []) {
        self.v = Self.version
        self.questions = updates.questions
        self.hostQuestions = updates.hostQuestions
        self.hands = updates.hands
        self.reactions = updates.reactions
        self.personal = updates.personal.isEmpty ? nil : updates.personal.map { .init(listener: String($0.listenerID), question: $0.question) }
        self.invited = invited.isEmpty ? nil : invited.map { String($0) }
    }

    /// The updates to deliver; personal parts with an unreadable listener id are left out.
    public var updates: Conversation.Updates {
        var updates = Conversation.Updates()
        updates.questions = self.questions
        updates.hostQuestions = self.hostQuestions
        updates.hands = self.hands
        updates.reactions = self.reactions
        updates.personal = (self.personal ?? []).compactMap { part in
            UInt64(part.listener).map { .init(listenerID: $0, question: part.question) }
        }
        return updates
    }

    public var invitedListeners: [UInt64] { (self.invited ?? []).compactMap { UInt64($0) } }

    public func json() -> [UInt8] {
        // Every part is plain data: encoding cannot fail.
        Array(try! JSONEncoder().encode(self))
    }

    /// Reads a broadcast; nil if it is not JSON of this shape or of a later version.
    public static func decode(_ bytes: some Collection<UInt8>) -> ConversationBroadcast? {
        guard let broadcast = try? JSONDecoder().decode(ConversationBroadcast.self, from: Data(bytes)), broadcast.v == Self.version else {
            return nil
        }
        return broadcast
    }
}
