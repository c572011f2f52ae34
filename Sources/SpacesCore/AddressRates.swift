/// Handshakes per second per source address (`limits.handshakesPerSecondPerAddress`): one
/// machine cannot spend the node's join budget (each WebSocket handshake costs the node
/// ~130 µs of CPU) while everyone else waits for theirs.
///
/// A token bucket per source (an IPv4 address, an IPv6 /64), in a table of at most
/// `maxAddresses`. A full bucket is the same as none, so full ones are forgotten when the table
/// fills; if it is still full (a flood from more addresses than the table holds), newcomers share
/// one bucket of the same rate: the flood then slows itself, and addresses already known keep
/// their own. Time is injected, so tests need no sleeps.
public struct AddressRates: Sendable {
    public let ratePerSecond: Double
    public let burst: Double
    public let maxAddresses: Int
    private var buckets: [SourceAddress: TokenBucket] = [:]
    /// Newcomers' bucket while the table is full of addresses still in debt.
    private var overflow: TokenBucket?
    /// When the table was last swept: at most once per refill time, so a flood from many
    /// addresses costs one sweep per refill, not one per handshake.
    private var sweptMicros: UInt64?

    /// `ratePerSecond` 0 turns the limit off.
    public init(ratePerSecond: Double, burst: Double, maxAddresses: Int = 65_536) {
        self.ratePerSecond = max(0, ratePerSecond)
        self.burst = max(1, burst)
        self.maxAddresses = max(1, maxAddresses)
    }

    public var isOn: Bool { self.ratePerSecond > 0 }

    /// Addresses with a bucket of their own now.
    public var tracked: Int { self.buckets.count }

    /// Takes a handshake for `source`; nil if it may go ahead, else the microseconds until it
    /// may (for `Retry-After`).
    public mutating func take(_ source: SourceAddress, nowMicros: UInt64) -> UInt64? {
        guard self.isOn else { return nil }
        if self.buckets[source] == nil, self.buckets.count >= self.maxAddresses {
            self.forgetFull(nowMicros: nowMicros)
        }
        if self.buckets[source] == nil, self.buckets.count >= self.maxAddresses {
            var shared = self.overflow ?? TokenBucket(ratePerSecond: self.ratePerSecond, burst: self.burst, nowMicros: nowMicros)
            defer { self.overflow = shared }
            return shared.tryTake(nowMicros: nowMicros) ? nil : max(1, shared.microsUntilToken(nowMicros: nowMicros))
        }
        var bucket = self.buckets[source] ?? TokenBucket(ratePerSecond: self.ratePerSecond, burst: self.burst, nowMicros: nowMicros)
        defer { self.buckets[source] = bucket }
        return bucket.tryTake(nowMicros: nowMicros) ? nil : max(1, bucket.microsUntilToken(nowMicros: nowMicros))
    }

    /// Drops every bucket that has refilled: it would start full anyway.
    private mutating func forgetFull(nowMicros: UInt64) {
        let refillMicros = UInt64(max(1, self.burst / self.ratePerSecond) * 1_000_000)
        if let swept = self.sweptMicros, nowMicros < swept + refillMicros { return }
        self.sweptMicros = nowMicros
        self.buckets = self.buckets.filter { _, bucket in
            var bucket = bucket
            return bucket.available(nowMicros: nowMicros) < self.burst
        }
    }
}
