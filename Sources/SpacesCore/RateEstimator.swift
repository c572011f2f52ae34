/// The rate of recent events, from the times of the last few: what an ETA is computed from.
public struct RateEstimator: Sendable, Equatable {
    /// How many recent events are kept.
    public let window: Int
    /// Events older than this are forgotten, so a stalled line reads as stalled.
    public let horizonMicros: UInt64
    private var times: [UInt64] = []
    private var next = 0

    public init(window: Int = 64, horizonMicros: UInt64 = 60_000_000) {
        precondition(window >= 2)
        self.window = window
        self.horizonMicros = horizonMicros
    }

    public mutating func record(nowMicros: UInt64) {
        if self.times.count < self.window {
            self.times.append(nowMicros)
        } else {
            self.times[self.next] = nowMicros
            self.next = (self.next + 1) % self.window
        }
    }

    /// Events per second over the kept events within the horizon: those after the oldest kept
    /// one, over the time from it to now. Nil until `atLeast` events follow the oldest.
    ///
    /// "After the oldest", not "all but one": places often free in blocks (two evictions at
    /// once, a cluster lease of several slots), and a block at the start of the window would
    /// otherwise count as events inside it (two pairs 7 s apart read as 3 in 7 s, not 2: an ETA
    /// a third too short).
    public func perSecond(nowMicros: UInt64, atLeast: Int = 1) -> Double? {
        let recent = self.times.filter { $0 + self.horizonMicros >= nowMicros }
        guard let oldest = recent.min(), nowMicros > oldest else { return nil }
        let after = recent.count { $0 > oldest }
        guard after >= max(1, atLeast) else { return nil }
        return Double(after) / (Double(nowMicros - oldest) / 1_000_000)
    }
}
