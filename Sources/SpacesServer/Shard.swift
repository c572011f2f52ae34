import NIOCore
import SpacesCompression
import SpacesCore

/// The listeners of one event loop, grouped by Space, and their fan-out.
///
/// Owned by its event loop: every method runs on it. A batch reaches a shard in one hop; the
/// shard may hold frames back to send several per write (adaptive batching), encodes what it
/// sends once, and writes the same buffer to each listener of that Space with no promise and no
/// await. A listener over its budget misses the batch. A big fan-out is cut into slices of
/// `writesPerSlice` writes, yielding the loop between slices so accepts and handshakes go on.
///
/// Text updates for every listener (`questions`, `reactions`, `state`) ride with the next audio
/// batch while audio flows: written just before it and flushed with it, one system call for
/// both, so a busy question queue adds bytes to the fan-out but no writes. With no audio
/// flowing they go out on their own after at most one batch's worth of waiting.
public final class Shard {
    public let eventLoop: any EventLoop
    let relayConfiguration: SpacesConfiguration.Relay
    /// `relay.maxLagMs` in µs: audio older than this when its turn comes is shed.
    private let maxLagMicros: UInt64?
    let metrics: ServerMetrics?
    private var spaces: [ObjectIdentifier: Group] = [:]
    private var queue = CircularBuffer<Delivery>()
    private var cursor = 0
    private var delivering = false
    private var deliveryStarted = NIODeadline.uptimeNanoseconds(0)
    /// How long a fan-out pauses between slices so that its loop polls its sockets.
    static let yieldPause = TimeAmount.microseconds(50)
    /// Listeners removed during a fan-out; taken out once it ends so indices stay valid.
    private var removals: [ListenerConnection] = []

    /// Listeners on this shard, all Spaces together.
    private var listenerCount = 0
    /// Frames per write, from the listener count and the measured cost of a write (adaptive
    /// batching, self-tuning: ``BatchTuner``).
    private var framesPerWrite = 1
    private var tuner: BatchTuner
    /// Counters readable from other threads.
    public let stats = ShardStats()
    /// Inflates the compressed messages of this loop's listeners: it keeps nothing between
    /// messages (no context takeover), so one serves them all, where one per connection would
    /// cost ~40 KB of zlib state each.
    private(set) lazy var inflater = Inflater()

    final class Group {
        let space: LiveSpace
        var listeners: ContiguousArray<ListenerConnection> = []
        var pending: [ByteBuffer] = []
        var pendingFirst: UInt32 = 0
        var pendingCapture: UInt64 = 0
        /// When the first of `pending` reached this shard.
        var pendingArrived = NIODeadline.uptimeNanoseconds(0)
        var flush: Scheduled<Void>?
        /// Updates waiting for the next audio batch, the latest of each kind.
        var carried: [SharedUpdate] = []
        /// Sends `carried` on its own if no audio batch comes for it in time.
        var carriedDeadline: Scheduled<Void>?
        /// When this Space's last audio was queued here.
        var lastAudio = NIODeadline.uptimeNanoseconds(0)
        init(space: LiveSpace) { self.space = space }

        /// Keeps `update`, replacing an older one of its kind.
        func carry(_ update: SharedUpdate) {
            if let index = self.carried.firstIndex(where: { $0.kind == update.kind }) {
                self.carried[index] = update
            } else {
                self.carried.append(update)
            }
        }
    }

    enum Payload {
        /// A batch, and the text updates that ride with it.
        /// `arrived`: when its (first) audio reached this shard, by this node's clock: the lag
        /// is measured from it, never from the origin's capture time (another node's clock).
        /// `frames`: how many it holds (the frames per write it was batched for).
        case audio(ByteBuffer, arrived: NIODeadline, frames: Int, carrying: [SharedUpdate])
        case shared(SharedUpdate)
        case end(reason: String)
        case close(CloseCode, reason: String)
    }

    struct Delivery {
        let group: Group
        let payload: Payload
    }

    init(eventLoop: any EventLoop, configuration: SpacesConfiguration, metrics: ServerMetrics?) {
        self.eventLoop = eventLoop
        self.relayConfiguration = configuration.relay
        self.maxLagMicros = configuration.relay.maxLagMicros
        self.metrics = metrics
        self.tuner = BatchTuner(
            writesPerSecondPerCore: configuration.relay.writesPerSecondPerCore, share: configuration.relay.fanoutShare,
            maximumFrames: configuration.relay.maxBatchLatencyMs / 20
        )
    }

    // MARK: Membership

    func add(_ listener: ListenerConnection) {
        self.eventLoop.assertInEventLoop()
        let key = ObjectIdentifier(listener.space)
        let group = self.spaces[key] ?? {
            let group = Group(space: listener.space)
            self.spaces[key] = group
            return group
        }()
        listener.slot = group.listeners.count
        group.listeners.append(listener)
        self.listenerCount += 1
        self.stats.listenersValue.store(self.listenerCount, ordering: .relaxed)
        self.resize()
    }

    func remove(_ listener: ListenerConnection) {
        self.eventLoop.assertInEventLoop()
        if self.delivering {
            self.removals.append(listener)
            return
        }
        let key = ObjectIdentifier(listener.space)
        guard let group = self.spaces[key], listener.slot >= 0, listener.slot < group.listeners.count,
            group.listeners[listener.slot] === listener
        else { return }
        let slot = listener.slot
        let last = group.listeners.removeLast()
        if slot < group.listeners.count {
            group.listeners[slot] = last
            last.slot = slot
        }
        listener.slot = -1
        self.listenerCount -= 1
        self.stats.listenersValue.store(self.listenerCount, ordering: .relaxed)
        if group.listeners.isEmpty {
            group.flush?.cancel()
            group.carriedDeadline?.cancel()
            self.spaces[key] = nil
        }
        self.resize()
    }

    /// Frames per write so that the fan-out stays within its share of the loop at the measured
    /// cost per write: listeners × 50 frames/s ÷ frames per write ≤ what that share affords.
    private func resize() {
        self.framesPerWrite = self.tuner.framesPerWrite(listeners: self.listenerCount)
        self.stats.framesPerWriteValue.store(self.framesPerWrite, ordering: .relaxed)
        self.stats.writeNanosecondsValue.store(Int(self.tuner.nanosecondsPerWrite), ordering: .relaxed)
    }

    // MARK: Audio in

    /// A relayed batch: send it as it is, or hold its frames until `framesPerWrite` are here.
    func receive(_ batch: AudioBatch, encoded: ByteBuffer, space: ObjectIdentifier) {
        self.eventLoop.assertInEventLoop()
        guard let group = self.spaces[space] else { return }
        if !group.pending.isEmpty && group.pending.count + batch.frames.count > self.framesPerWrite {
            // Never more than frames per write in one batch: send what is held first.
            self.flush(group)
        }
        if group.pending.isEmpty && batch.frames.count >= self.framesPerWrite {
            self.enqueueAudio(encoded, arrived: .now(), frames: batch.frames.count, for: group)
            return
        }
        if group.pending.isEmpty {
            group.pendingFirst = batch.firstSequence
            group.pendingCapture = batch.captureTimeMicros
            group.pendingArrived = .now()
        }
        group.pending.append(contentsOf: batch.frames)
        if group.pending.count >= self.framesPerWrite {
            self.flush(group)
        } else if group.flush == nil {
            // If the host pauses, what is held goes out after the time it stands for.
            let wait = TimeAmount.milliseconds(Int64(20 * self.framesPerWrite))
            let loop = self.eventLoop
            let bound = NIOLoopBound((self, group), eventLoop: loop)
            group.flush = loop.scheduleTask(in: wait) {
                let (shard, group) = bound.value
                group.flush = nil
                shard.flush(group)
            }
        }
    }

    private func flush(_ group: Group) {
        group.flush?.cancel()
        group.flush = nil
        guard !group.pending.isEmpty else { return }
        let batch = AudioBatch(firstSequence: group.pendingFirst, captureTimeMicros: group.pendingCapture, frames: group.pending)
        group.pending.removeAll(keepingCapacity: true)
        self.enqueueAudio(PreframedMessage(batch: batch).bytes, arrived: group.pendingArrived, frames: batch.frames.count, for: group)
    }

    /// Queues a batch with the updates waiting for it.
    private func enqueueAudio(_ bytes: ByteBuffer, arrived: NIODeadline, frames: Int, for group: Group) {
        group.lastAudio = .now()
        let carried = group.carried
        group.carried.removeAll()
        group.carriedDeadline?.cancel()
        group.carriedDeadline = nil
        self.enqueue(Delivery(group: group, payload: .audio(bytes, arrived: arrived, frames: frames, carrying: carried)))
    }

    /// How long audio may be silent before updates stop waiting for it: one batch's worth of
    /// frames, and a margin for the host's own pacing.
    private var audioWait: TimeAmount { .milliseconds(Int64(20 * self.framesPerWrite + 100)) }

    // MARK: Control in

    /// A text update for every listener of `space`: `state`, `questions`, `reactions`. While
    /// audio flows it waits for the next batch (at most ``audioWait``); otherwise it goes now.
    func deliver(_ update: SharedUpdate, to space: ObjectIdentifier) {
        guard let group = self.spaces[space] else { return }
        let wait = self.audioWait
        guard update.kind != .control, NIODeadline.now() - group.lastAudio < wait else {
            self.enqueueShared(update, for: group)
            return
        }
        group.carry(update)
        guard group.carriedDeadline == nil else { return }
        let bound = NIOLoopBound((self, group), eventLoop: self.eventLoop)
        group.carriedDeadline = self.eventLoop.scheduleTask(in: wait) {
            let (shard, group) = bound.value
            group.carriedDeadline = nil
            let carried = group.carried
            group.carried.removeAll()
            for update in carried { shard.enqueueShared(update, for: group) }
        }
    }

    /// Sends what is held, then `ended`, then closes every listener of `space` with 1000.
    func end(_ space: ObjectIdentifier, reason: String) {
        guard let group = self.spaces[space] else { return }
        self.flush(group)
        self.enqueue(Delivery(group: group, payload: .end(reason: reason)))
    }

    /// Closes every listener with `code` (server drain).
    func closeAll(_ code: CloseCode, reason: String) {
        for group in self.spaces.values {
            self.enqueue(Delivery(group: group, payload: .close(code, reason: reason)))
        }
    }

    // MARK: Fan-out

    /// Queues an update on its own, replacing a queued one of its kind for the same Space that
    /// has not started: a shard that is behind sends the latest, not a backlog.
    ///
    /// Not in place if a batch queued after that one carries an update of the kind: the newest
    /// would then be sent before an older one. It goes at the end instead.
    private func enqueueShared(_ update: SharedUpdate, for group: Group) {
        var index = self.queue.startIndex
        if self.delivering && index != self.queue.endIndex { index = self.queue.index(after: index) }
        var replaceable: CircularBuffer<Delivery>.Index?
        while index != self.queue.endIndex && update.kind != .control {
            let delivery = self.queue[index]
            if delivery.group === group {
                switch delivery.payload {
                case .shared(let queued) where queued.kind == update.kind:
                    if replaceable == nil { replaceable = index }
                case .audio(_, _, _, let carrying) where replaceable != nil && carrying.contains(where: { $0.kind == update.kind }):
                    replaceable = nil
                    index = self.queue.endIndex
                    continue
                default:
                    break
                }
            }
            index = self.queue.index(after: index)
        }
        if let replaceable {
            self.queue[replaceable] = Delivery(group: group, payload: .shared(update))
            return
        }
        self.enqueue(Delivery(group: group, payload: .shared(update)))
    }


    /// The updates a shed batch carried: onto the group's next queued batch not yet begun (for
    /// the kinds it does not carry itself: what it carries is newer), else on their own, so that
    /// a newer update is never followed by an older one of its kind.
    ///
    /// `position`: where the shed batch stood in the queue. Only what was queued after it is
    /// newer; an update of the same kind queued before it is older and must not win.
    private func passOn(_ carried: [SharedUpdate], of group: Group, from position: Int) {
        var remaining = carried
        var index = self.queue.index(self.queue.startIndex, offsetBy: position)
        while !remaining.isEmpty && index != self.queue.endIndex {
            let delivery = self.queue[index]
            if delivery.group === group {
                switch delivery.payload {
                case .shared(let queued):
                    // A newer one of that kind is queued already: the older one is not needed.
                    remaining.removeAll { $0.kind == queued.kind && $0.kind != .control }
                case .audio(let bytes, let arrived, let frames, let carrying):
                    let older = remaining.filter { update in !carrying.contains { $0.kind == update.kind } }
                    self.queue[index] = Delivery(group: group, payload: .audio(bytes, arrived: arrived, frames: frames, carrying: older + carrying))
                    return
                default:
                    break
                }
            }
            index = self.queue.index(after: index)
        }
        for update in remaining { self.enqueueShared(update, for: group) }
    }

    private func enqueue(_ delivery: Delivery) {
        self.queue.append(delivery)
        if self.queue.count > self.relayConfiguration.maxQueuedBatches {
            // Behind by more than the queue allows: shed the oldest audio not yet started (the
            // delivery at the head may be half written). Indices are the queue's own: a slice
            // of a CircularBuffer numbers its elements differently.
            var position = self.delivering ? 1 : 0
            while position < self.queue.count {
                let index = self.queue.index(self.queue.startIndex, offsetBy: position)
                if case .audio(_, _, _, let carried) = self.queue[index].payload {
                    let shed = self.queue.remove(at: index)
                    self.stats.shedValue.add(1, ordering: .relaxed)
                    // The audio goes; the updates it carried go on.
                    self.passOn(carried, of: shed.group, from: position)
                    break
                }
                position += 1
            }
        }
        if !self.delivering { self.run() }
    }

    /// Writes queued deliveries, at most `writesPerSlice` writes per turn of the event loop
    /// (more while the shard is behind: ``BatchTuner/writesPerSlice(configured:)``).
    private func run() {
        self.delivering = true
        let now = NIODeadline.now()
        var late: UInt64 = 0
        if case .audio(_, let arrived, let frames, _) = self.queue.first?.payload {
            late = UInt64(max(0, (now - arrived).nanoseconds / 1000 - Int64(frames) * 20_000))
        }
        var budget = self.tuner.writesPerSlice(configured: self.relayConfiguration.writesPerSlice, lateMicros: late)
        let nowMicros = WallClock.nowMicros()
        // What this slice writes and how long it takes: the cost per write the batching follows.
        // A slice that also ended or closed connections (an `ended`, a close, an eviction) spent
        // time on more than writes: it is not timed.
        var sliceWrites = 0
        var onlyWrites = true
        defer {
            if onlyWrites { self.tuner.measured(writes: sliceWrites, nanoseconds: (NIODeadline.now() - now).nanoseconds) }
            self.resize()
        }
        while let delivery = self.queue.first {
            if self.cursor == 0 {
                self.deliveryStarted = now
                if case .audio(_, let arrived, let frames, let carried) = delivery.payload {
                    let lag = UInt64(max(0, (now - arrived).nanoseconds / 1000))
                    self.stats.lagValue.store(Int(lag / 1000), ordering: .relaxed)
                    self.metrics?.relayWait.recordNanoseconds(Int64(lag) * 1000)
                    // Behind: wider batches, before anything is shed.
                    self.tuner.started(lagMicros: lag, framesPerWrite: frames, nowMicros: nowMicros)
                    if let limit = self.maxLagMicros, lag > limit {
                        // Too old to be live: a gap now beats a backlog for every listener here.
                        self.queue.removeFirst()
                        self.stats.staleValue.add(1, ordering: .relaxed)
                        self.passOn(carried, of: delivery.group, from: 0)
                        continue
                    }
                }
            }
            let listeners = delivery.group.listeners
            var dropped = 0
            var sent = 0
            while self.cursor < listeners.count && budget > 0 {
                let listener = listeners[self.cursor]
                self.cursor += 1
                budget -= 1
                switch delivery.payload {
                case .audio(let bytes, _, _, let carried):
                    switch listener.sendAudio(bytes, carrying: carried, nowMicros: nowMicros) {
                    case .send: sent += 1
                    case .drop: dropped += 1
                    case .evict:
                        dropped += 1
                        onlyWrites = false
                        self.metrics?.evictions.increment()
                        self.stats.evictionsValue.add(1, ordering: .relaxed)
                        listener.close(.tooSlow, reason: "over the audio budget too long")
                    }
                case .shared(let update):
                    listener.sendShared(update)
                    sliceWrites += 1
                case .end(let reason):
                    listener.sendEndedAndClose(reason: reason)
                    onlyWrites = false
                case .close(let code, let reason):
                    listener.close(code, reason: reason)
                    onlyWrites = false
                }
            }
            sliceWrites += sent
            self.stats.writesValue.add(sent, ordering: .relaxed)
            if dropped > 0 {
                self.stats.droppedValue.add(dropped, ordering: .relaxed)
                delivery.group.space.countDropped(dropped)
            }
            guard self.cursor >= listeners.count else {
                // Out of budget: let the loop serve its I/O (accepts, handshakes), then go on. An
                // `execute` would not do: the event loop runs every task that is ready, new ones
                // included, before it looks at its sockets again; a task due a moment from now
                // is not ready yet, so the loop polls its sockets first.
                let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
                self.eventLoop.scheduleTask(in: Self.yieldPause) { bound.value.run() }
                return
            }
            self.cursor = 0
            self.queue.removeFirst()
            // Between deliveries no index is held: take out the listeners that left meanwhile,
            // even if the queue never empties (a shard under sustained load).
            self.applyRemovals()
            if case .audio = delivery.payload {
                self.metrics?.fanoutTime.recordNanoseconds((NIODeadline.now() - self.deliveryStarted).nanoseconds)
            }
        }
        self.delivering = false
        self.applyRemovals()
    }

    private func applyRemovals() {
        guard !self.removals.isEmpty else { return }
        let removals = self.removals
        self.removals.removeAll()
        let delivering = self.delivering
        self.delivering = false
        for listener in removals { self.remove(listener) }
        self.delivering = delivering
    }
}

@available(*, unavailable)
extension Shard: Sendable {}
