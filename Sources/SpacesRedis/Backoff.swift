/// Delays between reconnection attempts: exponential with full jitter.
///
/// Attempt n waits a random time in `[floor, min(cap, base × 2ⁿ)]`, so that nodes which lost
/// Redis together do not all come back in the same millisecond, and a Redis that is back is
/// found within `cap` at worst.
public struct Backoff: Sendable, Equatable {
    /// `base`, default 50 ms: the first retry comes quickly (a blip, a restart).
    public var baseMillis: Int
    /// `cap`, default 1000 ms: Redis back is noticed within a second, well inside the 2 s in
    /// which audio must return.
    public var capMillis: Int
    /// Never less than this, default 10 ms, so a refused connection does not spin.
    public var floorMillis: Int

    public init(baseMillis: Int = 50, capMillis: Int = 1000, floorMillis: Int = 10) {
        precondition(baseMillis > 0 && capMillis >= baseMillis && floorMillis >= 0, "0 < base ≤ cap, floor ≥ 0")
        self.baseMillis = baseMillis
        self.capMillis = capMillis
        self.floorMillis = min(floorMillis, capMillis)
    }

    /// The largest delay attempt `attempt` (0 for the first retry) may wait.
    public func ceilingMillis(attempt: Int) -> Int {
        let shift = min(max(attempt, 0), 30)
        let (grown, overflow) = self.baseMillis.multipliedReportingOverflow(by: 1 << shift)
        return overflow ? self.capMillis : min(self.capMillis, grown)
    }

    /// A delay for attempt `attempt`, drawn with `generator`.
    public func delayMillis<G: RandomNumberGenerator>(attempt: Int, using generator: inout G) -> Int {
        let ceiling = max(self.ceilingMillis(attempt: attempt), self.floorMillis)
        return Int.random(in: self.floorMillis...ceiling, using: &generator)
    }

    /// A delay for attempt `attempt`, drawn from the system's generator. Not through the
    /// `inout` variant: a `SystemRandomNumberGenerator` has no storage, so every thread's `inout`
    /// access lands on the same address and ThreadSanitizer reports them as racing.
    public func delayMillis(attempt: Int) -> Int {
        Int.random(in: self.floorMillis...max(self.ceilingMillis(attempt: attempt), self.floorMillis))
    }
}
