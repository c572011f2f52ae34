/// The system's random number generator (the same CSPRNG as `SystemRandomNumberGenerator`),
/// for the functions that take `inout some RandomNumberGenerator` so that tests can seed them.
///
/// `SystemRandomNumberGenerator` has no storage, so an `inout` access to one lands every thread
/// on the same address and ThreadSanitizer reports the accesses as racing; this one carries a
/// byte of state of its own.
public struct SystemRandom: RandomNumberGenerator, Sendable {
    private var draws: UInt8 = 0

    public init() {}

    public mutating func next() -> UInt64 {
        self.draws &+= 1
        return UInt64.random(in: .min ... .max)
    }
}
