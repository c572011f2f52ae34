/// How many 20 ms frames a shard puts in each listener write, from what its writes are measured
/// to cost on this machine (self-tuning adaptive batching).
///
/// A write costs about the same whatever its size, so a shard with many listeners sends several
/// frames per write. How many depends on what a write costs here, which differs from machine to
/// machine and with load: the tuner keeps a moving average of the time per write of the shard's
/// fan-out slices and chooses the frames per write so that the fan-out takes at most
/// `share` of its event loop's time (`relay.fanoutShare`), the rest being left to joins and the
/// conversation. `relay.writesPerSecondPerCore` is only the starting point: the cost per write
/// it implies until the first slices are measured.
///
/// A shard that still falls behind (a delivery starting later than its batch interval after its
/// audio arrived: the loop is short of time, e.g. in a join storm) widens its batches further,
/// step by step, before anything is shed, and takes longer turns at its fan-out (more writes per
/// slice before it yields the loop to accepts and handshakes: the admitted audience's audio
/// comes before newcomers' answers); the pressure eases off once it keeps up again.
///
/// A plain value: the shard feeds it measurements, tests feed it numbers.
public struct BatchTuner: Sendable, Equatable {
    /// The most frames per write (`relay.maxBatchLatencyMs` / 20).
    public let maximumFrames: Int
    /// The share of its loop's time a fan-out aims at.
    public let share: Double
    /// Moving average of the time one listener write takes, in ns.
    public private(set) var nanosecondsPerWrite: Double
    /// Extra widening while the shard is behind (1: none).
    public private(set) var pressure: Double = 1
    /// When it last widened for being behind (0: never).
    private var lastWidenedMicros: UInt64 = 0
    /// Longer fan-out slices while deliveries start late (1: `relay.writesPerSlice`).
    public private(set) var sliceWidening: Double = 1

    /// Weight of a new slice's measurement in the moving average.
    static let smoothing = 0.2
    /// Slices of fewer writes are too short to time.
    static let minimumWrites = 16
    /// A delivery that starts behind widens by this factor (at most once per
    /// `wideningIntervalMicros`); each other delivery eases by `easing`.
    static let widening = 1.5
    static let easing = 0.97
    static let wideningIntervalMicros: UInt64 = 500_000
    /// A delivery starting this much later than its batching explains sets the longest slices
    /// (`maximumSliceWidening`); each delivery on time shrinks them by `sliceEasing`. Far
    /// sooner than `behind` (one more batch interval): with 1 s batches that is 2 s late,
    /// already past what a listener should hear.
    public static let sliceLateMicros: UInt64 = 250_000
    public static let maximumSliceWidening = 8.0
    static let sliceEasing = 0.9

    public init(writesPerSecondPerCore: Int, share: Double, maximumFrames: Int) {
        self.maximumFrames = max(1, maximumFrames)
        self.share = min(1, max(0.01, share))
        // Until measured, the cost per write that makes the configured rate take `share`.
        self.nanosecondsPerWrite = self.share * 1e9 / Double(max(1, writesPerSecondPerCore))
    }

    /// Listener writes per second the fan-out may make at the measured cost.
    public var writesPerSecond: Double {
        self.share * 1e9 / self.nanosecondsPerWrite / self.pressure
    }

    /// Writes per fan-out slice: `configured` (`relay.writesPerSlice`) times ``sliceWidening``,
    /// or the longest slices while the delivery being written is itself late (`lateMicros`: its
    /// age less what its batching explains). A shard whose deliveries run late gives its fan-out
    /// longer turns of its loop; joins then wait longer for their answer, and the audience hears
    /// live audio.
    public func writesPerSlice(configured: Int, lateMicros: UInt64 = 0) -> Int {
        let widening = lateMicros > Self.sliceLateMicros ? Self.maximumSliceWidening : self.sliceWidening
        return max(1, Int((min(1e6, Double(max(1, configured))) * widening).rounded()))
    }

    /// Frames per write for `listeners` listeners receiving 50 frames a second.
    public func framesPerWrite(listeners: Int) -> Int {
        let needed = (Double(listeners) * 50 / self.writesPerSecond).rounded(.up)
        return needed >= Double(self.maximumFrames) ? self.maximumFrames : max(1, Int(needed))
    }

    /// A fan-out slice made `writes` writes in `nanoseconds`.
    public mutating func measured(writes: Int, nanoseconds: Int64) {
        guard writes >= Self.minimumWrites, nanoseconds > 0 else { return }
        let sample = Double(nanoseconds) / Double(writes)
        self.nanosecondsPerWrite += Self.smoothing * (sample - self.nanosecondsPerWrite)
    }

    /// A delivery of a batch of `framesPerWrite` frames started `lagMicros` after its first frame
    /// reached the shard (holding those frames back accounts for up to `framesPerWrite` × 20 ms).
    ///
    /// Behind: later than that by more than one more batch interval (and 100 ms, below which the
    /// loop's own turns are noise); it widens at most once per `wideningIntervalMicros`, however
    /// many Spaces' deliveries find the shard behind at once. Anything else eases it.
    public mutating func started(lagMicros: UInt64, framesPerWrite: Int, nowMicros: UInt64) {
        let interval = UInt64(max(1, framesPerWrite)) * 20_000
        if lagMicros > interval + Self.sliceLateMicros {
            self.sliceWidening = Self.maximumSliceWidening
        } else {
            self.sliceWidening = max(1, self.sliceWidening * Self.sliceEasing)
        }
        if lagMicros > interval + max(100_000, interval) {
            guard nowMicros >= self.lastWidenedMicros &+ Self.wideningIntervalMicros || self.lastWidenedMicros == 0 else { return }
            self.lastWidenedMicros = nowMicros
            // Widening past the maximum changes nothing: the pressure stops there.
            let ceiling = Double(self.maximumFrames) * 2
            self.pressure = min(ceiling, self.pressure * Self.widening)
        } else {
            self.pressure = max(1, self.pressure * Self.easing)
        }
    }
}
