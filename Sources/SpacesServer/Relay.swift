import NIOCore
import SpacesCompression
import SpacesCore
import Synchronization

/// The sharded fan-out: one ``Shard`` per event loop.
///
/// A broadcast costs one hop per shard: the batch (and its encoding, ready for shards that send
/// it as it is) is handed to each shard's event loop, inline for the caller's own loop.
public final class Relay: Sendable {
    /// A shard and the loop that owns it.
    public struct Handle: Sendable {
        public let eventLoop: any EventLoop
        public let stats: ShardStats
        let shard: NIOLoopBound<Shard>
    }

    public let handles: [Handle]
    private let draining = Synchronization.Atomic<Bool>(false)

    /// Compresses a shared text update once for the listeners that negotiated permessage-deflate
    /// (nil when `relay.permessageDeflate` is off). The conversation ticker is its only caller,
    /// so the lock is never contended.
    let deflate: (@Sendable (String) -> ByteBuffer)?
    /// Whether listeners may negotiate permessage-deflate.
    var offersDeflate: Bool { self.deflate != nil }

    private static func makeDeflate(_ configuration: SpacesConfiguration) -> (@Sendable (String) -> ByteBuffer)? {
        guard configuration.relay.permessageDeflate else { return nil }
        // `Mutex`, not `NIOLockedValueBox` as elsewhere: a `Deflater` is not `Sendable`, and only
        // `Mutex` takes such a value (it is sent in). One caller, one thread: nothing for a race
        // detector to see either way.
        let deflater = Mutex(Deflater())
        return { text in deflater.withLock { PreframedMessage.deflatedText(text, deflater: $0).bytes } }
    }

    /// True once the node started its drain: nobody new is let into the fan-out.
    var isDraining: Bool { self.draining.load(ordering: .acquiring) }

    /// Creates one shard on each of `eventLoops`; call from outside those loops.
    public init(eventLoops: [any EventLoop], configuration: SpacesConfiguration, metrics: ServerMetrics?) throws {
        self.deflate = Self.makeDeflate(configuration)
        self.handles = try eventLoops.map { loop in
            try loop.submit {
                let shard = Shard(eventLoop: loop, configuration: configuration, metrics: metrics)
                return Handle(eventLoop: loop, stats: shard.stats, shard: NIOLoopBound(shard, eventLoop: loop))
            }.wait()
        }
    }

    /// Creates a relay from code already running on all of `eventLoops` (embedded loops in
    /// benchmarks and tests).
    public init(onLoops eventLoops: [any EventLoop], configuration: SpacesConfiguration = .init()) {
        self.deflate = Self.makeDeflate(configuration)
        self.handles = eventLoops.map { loop in
            let shard = Shard(eventLoop: loop, configuration: configuration, metrics: nil)
            return Handle(eventLoop: loop, stats: shard.stats, shard: NIOLoopBound(shard, eventLoop: loop))
        }
    }

    /// Listeners in the fan-out on this node, all Spaces together.
    public var listenerCount: Int { self.handles.reduce(0) { $0 + $1.stats.listeners } }

    /// The shard owned by `eventLoop`; call on that loop.
    func shard(on eventLoop: any EventLoop) -> Shard {
        for handle in self.handles where handle.eventLoop === eventLoop {
            return handle.shard.value
        }
        preconditionFailure("no shard for this event loop")
    }

    /// Hands a relayed batch to every shard; `encoded` is its pre-framed message.
    func broadcast(_ batch: AudioBatch, encoded: ByteBuffer, to space: LiveSpace) {
        let key = ObjectIdentifier(space)
        self.forEachShard { $0.receive(batch, encoded: encoded, space: key) }
    }

    /// Hands an update for every listener of `space` to every shard (coalesced per slow listener).
    func broadcast(_ update: SharedUpdate, to space: LiveSpace) {
        let key = ObjectIdentifier(space)
        self.forEachShard { $0.deliver(update, to: key) }
    }

    /// Sends `ended` to the listeners of `space` and closes them with 1000.
    func end(_ space: LiveSpace, reason: String) {
        let key = ObjectIdentifier(space)
        self.forEachShard { $0.end(key, reason: reason) }
    }

    /// Closes every listener of the node with `code`; later admissions are closed too.
    func closeAll(_ code: CloseCode, reason: String) {
        self.draining.store(true, ordering: .releasing)
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
