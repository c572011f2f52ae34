import NIOCore
import SpacesCore
import Synchronization

/// The sharded fan-out: one ``Shard`` per event loop.
///
/// A broadcast costs one hop per shard: the same pre-framed buffer is handed to each shard's
/// event loop (inline for the caller's own loop), and each shard writes it to its listeners.
public final class Relay: Sendable {
    /// A shard and the loop that owns it.
    public struct Handle: Sendable {
        public let eventLoop: any EventLoop
        let shard: NIOLoopBound<Shard>
    }

    public let handles: [Handle]
    private let listeners = Atomic<Int>(0)
    private let maxListeners: Int

    /// Creates one shard on each of `eventLoops`; call from outside those loops.
    public init(eventLoops: [any EventLoop], maxListeners: Int) throws {
        self.handles = try eventLoops.map { loop in
            try loop.submit { Handle(eventLoop: loop, shard: NIOLoopBound(Shard(eventLoop: loop), eventLoop: loop)) }.wait()
        }
        self.maxListeners = maxListeners
    }

    /// Creates a relay whose shards live on `eventLoops`, from code already running on the
    /// first of them (benchmarks, embedded tests).
    public init(onLoops eventLoops: [any EventLoop], maxListeners: Int) {
        self.handles = eventLoops.map { Handle(eventLoop: $0, shard: NIOLoopBound(Shard(eventLoop: $0), eventLoop: $0)) }
        self.maxListeners = maxListeners
    }

    /// Listeners on this node, all Spaces together.
    public var listenerCount: Int { self.listeners.load(ordering: .relaxed) }

    /// The shard owned by `eventLoop`; call on that loop.
    public func shard(on eventLoop: any EventLoop) -> Shard {
        for handle in self.handles where handle.eventLoop === eventLoop {
            return handle.shard.value
        }
        preconditionFailure("no shard for this event loop")
    }

    /// Takes a node-wide listener slot if the node has one.
    func reserveListener() -> Bool {
        var current = self.listeners.load(ordering: .relaxed)
        while current < self.maxListeners {
            let (exchanged, original) = self.listeners.compareExchange(
                expected: current, desired: current + 1, ordering: .acquiringAndReleasing
            )
            if exchanged { return true }
            current = original
        }
        return false
    }

    func listenerLeft() {
        self.listeners.subtract(1, ordering: .relaxed)
    }

    /// True while the node has room for one more listener (a cheap check before an upgrade).
    func hasRoom() -> Bool { self.listeners.load(ordering: .relaxed) < self.maxListeners }

    /// Hands the batch to every shard; each writes it to the listeners of `space` it owns.
    public func broadcastAudio(_ bytes: ByteBuffer, to space: LiveSpace) {
        let key = ObjectIdentifier(space)
        self.forEachShard { $0.deliverAudio(bytes, to: key) }
    }

    /// Hands a control event to every shard for the listeners of `space`.
    public func broadcastControl(_ bytes: ByteBuffer, to space: LiveSpace) {
        let key = ObjectIdentifier(space)
        self.forEachShard { $0.deliverControl(bytes, to: key) }
    }

    /// Sends `ended` to the listeners of `space` and closes them with 1000.
    func end(_ space: LiveSpace, reason: String) {
        let key = ObjectIdentifier(space)
        self.forEachShard { $0.end(key, reason: reason) }
    }

    /// Closes every listener of the node with `code`.
    func closeAll(_ code: CloseCode, reason: String) {
        self.forEachShard { $0.closeAll(code, reason: reason) }
    }

    /// Runs `body` on every shard, on its loop: other loops first (one `execute` each), then
    /// the caller's own loop inline.
    private func forEachShard(_ body: @escaping @Sendable (Shard) -> Void) {
        var local: Handle?
        for handle in self.handles {
            if handle.eventLoop.inEventLoop {
                local = handle
            } else {
                let shard = handle.shard
                handle.eventLoop.execute { body(shard.value) }
            }
        }
        if let local { body(local.shard.value) }
    }
}
