import Foundation
import SpacesCore
import Synchronization

/// One Space on this node: its identity, its secrets and its live counters.
///
/// Shared by every event loop, so its mutable parts are atomics. The listeners themselves are
/// not here: each lives in the ``Shard`` of its own event loop.
public final class LiveSpace: Sendable {
    public let id: String
    public let title: String
    public let channels: Int
    public let capacity: Int
    public let createdAt: Date
    /// Who may listen.
    public let access: SpaceAccess
    /// The host that created it (a host token's subject; empty for the operator's key).
    public let owner: String
    /// The host token, on the node that created the Space ("" on the others).
    let hostToken: String
    /// SHA-256 of the host token, hex: what every node checks a host's token against.
    let hostTokenDigest: String
    /// The node that created it ("" on an embedded node).
    public let origin: String
    /// The cluster, told when this node's first listener of the Space comes and its last goes.
    let broker: (any Broker)?
    /// Questions, hands and reactions.
    let conversation: LiveConversation
    /// The `welcome` every admitted listener gets, its shared part encoded once.
    let welcome: WelcomeTemplate

    private let ended = Atomic<Bool>(false)
    private let endedAtMicros = Atomic<UInt64>(0)
    private let listeners = Atomic<Int>(0)
    private let sequence = Atomic<UInt32>(0)
    private let publisher = Atomic<Bool>(false)
    private let relayed = Atomic<Int>(0)
    private let invalid = Atomic<Int>(0)
    private let dropped = Atomic<Int>(0)
    private let waitingCount = Atomic<Int>(0)
    /// The listener count last announced in a `state` event; -1 before the first.
    let lastAnnouncedListeners = Atomic<Int>(-1)

    init(
        id: String, title: String, channels: Int, capacity: Int, hostToken: String, createdAt: Date = Date(),
        conversation: SpacesConfiguration.Conversation = .init(), origin: String = "", broker: (any Broker)? = nil,
        hostTokenDigest: String? = nil, access: SpaceAccess = .open, owner: String = ""
    ) {
        self.access = access
        self.owner = owner
        self.conversation = LiveConversation(settings: conversation, spaceID: id, broker: broker)
        self.hostTokenDigest = hostTokenDigest ?? Token.digest(hostToken)
        self.origin = origin
        self.broker = broker
        self.id = id
        self.title = title
        self.channels = channels
        self.capacity = capacity
        self.hostToken = hostToken
        self.createdAt = createdAt
        self.welcome = WelcomeTemplate(space: SpaceSummary(id: id, title: title), codec: Codec(channels: channels))
    }

    public var state: SpaceState { self.ended.load(ordering: .acquiring) ? .ended : .live }
    public var listenerCount: Int { self.listeners.load(ordering: .relaxed) }
    public var framesRelayed: Int { self.relayed.load(ordering: .relaxed) }
    public var invalidPackets: Int { self.invalid.load(ordering: .relaxed) }
    /// Batch writes skipped because a listener was over its budget.
    public var droppedBatches: Int { self.dropped.load(ordering: .relaxed) }
    /// Connections in the waiting room, as of the last change.
    public var waiting: Int { self.waitingCount.load(ordering: .relaxed) }
    public var hasPublisher: Bool { self.publisher.load(ordering: .relaxed) }
    var endedAt: UInt64 { self.endedAtMicros.load(ordering: .relaxed) }

    public var summary: SpaceSummary { SpaceSummary(id: self.id, title: self.title) }
    public var codec: Codec { Codec(channels: self.channels) }

    public var info: SpaceInfo {
        SpaceInfo(
            id: self.id, title: self.title, state: self.state, listeners: self.listenerCount,
            waiting: self.waiting, dropped: self.droppedBatches, capacity: self.capacity,
            createdAt: WallClock.iso8601(self.createdAt), access: self.access
        )
    }

    /// An admitted listener joined the fan-out (capacity is the admission controller's job).
    func listenerJoined() {
        if self.listeners.add(1, ordering: .relaxed).newValue == 1 { self.broker?.listening(to: self, true) }
    }

    func listenerLeft() {
        if self.listeners.subtract(1, ordering: .relaxed).newValue == 0 { self.broker?.listening(to: self, false) }
    }
    func setWaiting(_ count: Int) { self.waitingCount.store(count, ordering: .relaxed) }
    func countDropped(_ batches: Int) { self.dropped.add(batches, ordering: .relaxed) }

    /// Marks the Space ended; true for the one call that ended it.
    func markEnded() -> Bool {
        let (exchanged, _) = self.ended.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing)
        if exchanged { self.endedAtMicros.store(WallClock.nowMicros(), ordering: .relaxed) }
        return exchanged
    }

    /// Claims the publisher seat; false if another publisher holds it.
    func attachPublisher() -> Bool {
        guard self.publisher.compareExchange(expected: false, desired: true, ordering: .acquiringAndReleasing).exchanged else { return false }
        // The host's node follows the Space's channel too: the conversation's updates come there.
        self.broker?.listening(to: self, true)
        return true
    }

    func detachPublisher() {
        self.publisher.store(false, ordering: .releasing)
        self.broker?.listening(to: self, false)
    }

    /// Reserves `count` contiguous sequence numbers and returns the first.
    func takeSequence(count: Int) -> UInt32 {
        self.sequence.wrappingAdd(UInt32(count), ordering: .relaxed).oldValue
    }

    /// A batch relayed from another node ends at `next`: a host who moves to this node goes on
    /// from there, so its listeners see no false gap.
    func advanceSequence(to next: UInt32) {
        var current = self.sequence.load(ordering: .relaxed)
        // Ahead in wrapping order (within half the number space): move; else keep.
        while next &- current != 0 && next &- current < UInt32.max / 2 {
            let (exchanged, original) = self.sequence.compareExchange(expected: current, desired: next, ordering: .relaxed)
            if exchanged { return }
            current = original
        }
    }

    /// The record the cluster's directory keeps of it.
    var record: SpaceRecord {
        SpaceRecord(
            id: self.id, title: self.title, state: self.state, capacity: self.capacity, channels: self.channels,
            origin: self.origin, createdMicros: UInt64(max(0, self.createdAt.timeIntervalSince1970 * 1_000_000)),
            endedMicros: self.endedAt, hostTokenDigest: self.hostTokenDigest, access: self.access, owner: self.owner
        )
    }

    func countRelayed(_ frames: Int) { self.relayed.add(frames, ordering: .relaxed) }
    func countInvalid(_ packets: Int) { self.invalid.add(packets, ordering: .relaxed) }

    func isHostToken(_ token: String) -> Bool { Token.constantTimeEquals(Token.digest(token), self.hostTokenDigest) }
}
