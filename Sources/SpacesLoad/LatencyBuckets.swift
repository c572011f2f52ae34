/// A small histogram with fixed logarithmic buckets, cheap to keep per second and to merge.
///
/// Bucket i holds values in [2^(i/4), 2^((i+1)/4)) microseconds (four buckets per doubling,
/// so a percentile read from it is within ~19 %): good enough for a time series chart, where
/// the run's own HdrHistogram gives the exact figures.
public struct LatencyBuckets: Codable, Sendable, Equatable {
    public static let bucketCount = 120  // up to 2^30 µs ≈ 18 min
    public private(set) var counts: [UInt32]
    public private(set) var total: UInt64 = 0

    public init() {
        self.counts = Array(repeating: 0, count: Self.bucketCount)
    }

    public mutating func record(micros: UInt64) {
        self.counts[Self.bucket(micros)] &+= 1
        self.total &+= 1
    }

    public mutating func merge(_ other: LatencyBuckets) {
        for i in 0..<Self.bucketCount { self.counts[i] &+= other.counts[i] }
        self.total &+= other.total
    }

    /// The upper bound of the bucket holding the given percentile (0…100), in µs; 0 if empty.
    public func percentile(_ p: Double) -> UInt64 {
        guard self.total > 0 else { return 0 }
        let rank = UInt64((Double(self.total) * p / 100).rounded(.up))
        var seen: UInt64 = 0
        for (index, count) in self.counts.enumerated() {
            seen += UInt64(count)
            if seen >= max(rank, 1) { return Self.upperBound(index) }
        }
        return Self.upperBound(Self.bucketCount - 1)
    }

    static func bucket(_ micros: UInt64) -> Int {
        guard micros > 1 else { return 0 }
        return min(bucketCount - 1, Int((Double.log2(Double(micros)) * 4).rounded(.down)))
    }

    static func upperBound(_ index: Int) -> UInt64 {
        UInt64(Double.exp2(Double(index + 1) / 4).rounded(.up))
    }
}
