/// A token bucket: `ratePerSecond` tokens accrue continuously up to `burst`.
///
/// Kept as a theoretical arrival time (the generic cell rate algorithm) rather than a count of
/// fractional tokens, so frequent readings lose nothing to rounding. Time is injected
/// (microseconds on any clock), so tests need no sleeps.
public struct TokenBucket: Sendable, Equatable {
    public let ratePerSecond: Double
    public let burst: Double
    /// Microseconds per token.
    private let interval: Double
    /// How far ahead of now the arrival time may run: the burst, less the token in hand.
    private let tolerance: Double
    /// When the bucket would be empty again if no more were taken (µs).
    private var arrival: Double
    /// The latest time seen: a clock that steps back adds nothing.
    private var latest: Double

    /// Starts full.
    public init(ratePerSecond: Double, burst: Double, nowMicros: UInt64) {
        precondition(ratePerSecond > 0 && burst >= 1, "a bucket needs a positive rate and a burst of at least 1")
        self.ratePerSecond = ratePerSecond
        self.burst = burst
        self.interval = 1_000_000 / ratePerSecond
        self.tolerance = (burst - 1) * self.interval
        self.arrival = Double(nowMicros)
        self.latest = Double(nowMicros)
    }

    private mutating func observe(_ nowMicros: UInt64) -> Double {
        self.latest = max(self.latest, Double(nowMicros))
        return self.latest
    }

    /// Tokens available now (fractional).
    public mutating func available(nowMicros: UInt64) -> Double {
        let now = self.observe(nowMicros)
        let empty = max(self.arrival, now) - self.tolerance - self.interval
        return min(self.burst, max(0, (now - empty) / self.interval))
    }

    /// Takes one token if there is one.
    public mutating func tryTake(nowMicros: UInt64) -> Bool {
        let now = self.observe(nowMicros)
        let arrival = max(self.arrival, now)
        guard arrival - now <= self.tolerance else { return false }
        self.arrival = arrival + self.interval
        return true
    }

    /// Microseconds until a token will be available (0 if one is).
    public mutating func microsUntilToken(nowMicros: UInt64) -> UInt64 {
        let wait = self.arrival - self.tolerance - self.observe(nowMicros)
        return wait > 0 ? UInt64(wait.rounded(.up)) : 0
    }
}
