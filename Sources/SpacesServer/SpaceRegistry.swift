import Foundation
import SpacesCore
import Synchronization

/// The Spaces of this node, by id.
public final class SpaceRegistry: Sendable {
    private let spaces = Mutex<[String: LiveSpace]>([:])
    private let limits: SpacesConfiguration.Spaces
    private let conversation: SpacesConfiguration.Conversation

    public init(limits: SpacesConfiguration.Spaces, conversation: SpacesConfiguration.Conversation = .init()) {
        self.limits = limits
        self.conversation = conversation
    }

    /// Creates a live Space from a validated request.
    func create(_ request: CreateSpaceRequest) throws(APIError) -> LiveSpace {
        let request = try request.validated(limits: self.limits)
        let space = LiveSpace(
            id: Token.random(bytes: 6),
            title: request.title,
            channels: request.channels ?? 1,
            capacity: request.capacity ?? self.limits.defaultCapacity,
            hostToken: Token.random(bytes: 24),
            conversation: self.conversation
        )
        let maxLive = self.limits.maxLive
        let added: Bool = self.spaces.withLock { spaces in
            guard spaces.values.lazy.filter({ $0.state == .live }).count < maxLive else { return false }
            spaces[space.id] = space
            return true
        }
        guard added else {
            throw APIError(.conflict, "this node already holds \(maxLive) live Spaces")
        }
        return space
    }

    public func space(id: String) -> LiveSpace? {
        self.spaces.withLock { $0[id] }
    }

    /// All Spaces, newest first.
    public func all() -> [LiveSpace] {
        self.spaces.withLock { Array($0.values) }.sorted { $0.createdAt > $1.createdAt }
    }

    /// Forgets ended Spaces older than the retention period.
    func prune(nowMicros: UInt64) {
        let retain = UInt64(self.limits.retainEndedSeconds) * 1_000_000
        self.spaces.withLock { spaces in
            spaces = spaces.filter { $0.value.state == .live || $0.value.endedAt + retain > nowMicros }
        }
    }
}
