import Synchronization

/// A shard's counters, written on its loop and readable from anywhere (metrics, tests).
public final class ShardStats: Sendable {
    let listenersValue = Atomic<Int>(0)
    let framesPerWriteValue = Atomic<Int>(1)
    let droppedValue = Atomic<Int>(0)
    let writesValue = Atomic<Int>(0)
    let shedValue = Atomic<Int>(0)
    let evictionsValue = Atomic<Int>(0)
    let lagValue = Atomic<Int>(0)
    let staleValue = Atomic<Int>(0)
    let writeNanosecondsValue = Atomic<Int>(0)

    /// Listeners in this shard's fan-out.
    public var listeners: Int { self.listenersValue.load(ordering: .relaxed) }
    /// Current frames per write (adaptive batching).
    public var framesPerWrite: Int { self.framesPerWriteValue.load(ordering: .relaxed) }
    /// Batch writes skipped because a listener was over budget, since start.
    public var droppedBatches: Int { self.droppedValue.load(ordering: .relaxed) }
    /// Batch writes made, since start.
    public var audioWrites: Int { self.writesValue.load(ordering: .relaxed) }
    /// Batches dropped whole because the shard's queue was full, since start.
    public var shedBatches: Int { self.shedValue.load(ordering: .relaxed) }
    /// How long the last batch this shard began to send had waited here (now − when its first
    /// frame reached the shard, by this node's clock, ms; includes the shard's own batching).
    public var lagMillis: Int { self.lagValue.load(ordering: .relaxed) }
    /// Batches shed because their audio was older than `relay.maxLagMs` when their turn came.
    public var staleBatches: Int { self.staleValue.load(ordering: .relaxed) }
    /// What one listener write is measured to take on this shard's loop (a moving average over
    /// its fan-out slices, ns): what its batching follows.
    public var writeNanoseconds: Int { self.writeNanosecondsValue.load(ordering: .relaxed) }
    /// Listeners closed with 4008 too_slow, since start.
    public var evictions: Int { self.evictionsValue.load(ordering: .relaxed) }
}
