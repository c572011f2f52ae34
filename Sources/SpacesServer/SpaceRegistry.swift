import Foundation
import SpacesCore
import NIOConcurrencyHelpers

/// The Spaces of this node, by id.
public final class SpaceRegistry: Sendable {
    private let spaces = NIOLockedValueBox<[String: LiveSpace]>([:])
    private let limits: SpacesConfiguration.Spaces
    private let conversation: SpacesConfiguration.Conversation
    let broker: (any Broker)?

    public convenience init(limits: SpacesConfiguration.Spaces, conversation: SpacesConfiguration.Conversation = .init()) {
        self.init(limits: limits, conversation: conversation, broker: nil)
    }

    init(limits: SpacesConfiguration.Spaces, conversation: SpacesConfiguration.Conversation, broker: (any Broker)?) {
        self.limits = limits
        self.conversation = conversation
        self.broker = broker
    }

    /// Creates a live Space from a validated request, for `owner` (a host token's subject; empty
    /// for the operator's key).
    func create(_ request: CreateSpaceRequest, owner: String = "") throws(APIError) -> LiveSpace {
        let request = try request.validated(limits: self.limits)
        let space = LiveSpace(
            // 48 random bits on its own; 64 in a cluster, where the directory also refuses a
            // duplicate atomically (``RedisBroker/register(_:on:)``).
            id: Token.random(bytes: self.broker == nil ? 6 : 8),
            title: request.title,
            channels: request.channels ?? 1,
            capacity: request.capacity ?? self.limits.defaultCapacity,
            hostToken: Token.random(bytes: 24),
            conversation: self.conversation,
            origin: self.broker?.nodeID ?? "",
            broker: self.broker,
            access: request.access ?? .open,
            owner: owner
        )
        let maxLive = self.limits.maxLive
        let added: Bool = self.spaces.withLockedValue { spaces in
            guard spaces.values.lazy.filter({ $0.state == .live }).count < maxLive else { return false }
            spaces[space.id] = space
            return true
        }
        guard added else {
            throw APIError(.conflict, "this node already holds \(maxLive) live Spaces")
        }
        return space
    }

    /// A Space created on another node, as the directory holds it: the same one for every
    /// caller, however many ask at once.
    func adopt(_ record: SpaceRecord) -> LiveSpace {
        let space = LiveSpace(
            id: record.id, title: record.title, channels: record.channels, capacity: record.capacity, hostToken: "",
            createdAt: Date(timeIntervalSince1970: Double(record.createdMicros) / 1_000_000), conversation: self.conversation,
            origin: record.origin, broker: self.broker, hostTokenDigest: record.hostTokenDigest, access: record.access,
            owner: record.owner
        )
        if record.state == .ended { _ = space.markEnded() }
        return self.spaces.withLockedValue { spaces in
            if let existing = spaces[record.id] { return existing }
            spaces[record.id] = space
            return space
        }
    }

    public func space(id: String) -> LiveSpace? {
        self.spaces.withLockedValue { $0[id] }
    }

    /// All Spaces, newest first.
    public func all() -> [LiveSpace] {
        self.spaces.withLockedValue { Array($0.values) }.sorted { $0.createdAt > $1.createdAt }
    }

    /// Forgets ended Spaces older than the retention period.
    func prune(nowMicros: UInt64) {
        let retain = UInt64(self.limits.retainEndedSeconds) * 1_000_000
        self.spaces.withLockedValue { spaces in
            spaces = spaces.filter { $0.value.state == .live || $0.value.endedAt + retain > nowMicros }
        }
    }
}
