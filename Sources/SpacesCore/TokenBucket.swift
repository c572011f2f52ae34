/// A token bucket: `ratePerSecond` tokens accrue continuously up to `burst`.
///
/// Time is injected (microseconds on any monotonic or wall clock), so tests need no sleeps.
public struct TokenBucket: Sendable, Equatable {
    public let ratePerSecond: Double
    public let burst: Double
    private var tokens: Double
    private var lastMicros: UInt64

    /// Starts full.
    public init(ratePerSecond: Double, burst: Double, nowMicros: UInt64) {
        precondition(ratePerSecond > 0 && burst >= 1, "a bucket needs a positive rate and a burst of at least 1")
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.tokens = burst
        self.lastMicros = nowMicros
    }

    /// Tokens available now (fractional).
    public mutating func available(nowMicros: UInt64) -> Double {
        self.refill(nowMicros)
        return self.tokens
    }

    /// Takes one token if there is one.
    public mutating func tryTake(nowMicros: UInt64) -> Bool {
        self.refill(nowMicros)
        guard self.tokens >= 1 else { return false }
        self.tokens -= 1
        return true
    }

    /// Microseconds until a token will be available (0 if one is).
    public mutating func microsUntilToken(nowMicros: UInt64) -> UInt64 {
        self.refill(nowMicros)
        guard self.tokens < 1 else { return 0 }
        return UInt64(((1 - self.tokens) / self.ratePerSecond * 1_000_000).rounded(.up))
    }

    private mutating func refill(_ now: UInt64) {
        guard now > self.lastMicros else { return }
        let elapsed = Double(now - self.lastMicros) / 1_000_000
        self.tokens = min(self.burst, self.tokens + elapsed * self.ratePerSecond)
        self.lastMicros = now
    }
}
