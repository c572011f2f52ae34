import Histogram

/// A histogram of a load report as a reader or a script wants it: how many, and the usual
/// percentiles in milliseconds. The report's raw histograms are for merging workers' reports;
/// these are for reading (`spaces loadtest --json` writes both, under `percentiles`).
public struct LoadPercentiles: Codable, Sendable, Equatable {
    public var count: UInt64
    public var p50Ms: Double
    public var p90Ms: Double
    public var p99Ms: Double
    public var p999Ms: Double
    public var maxMs: Double

    /// From a histogram of microseconds; all zero when it is empty.
    public init(micros histogram: Histogram<UInt64>) {
        self.count = histogram.totalCount
        func ms(_ percentile: Double) -> Double {
            histogram.totalCount == 0 ? 0 : Double(histogram.valueAtPercentile(percentile)) / 1000
        }
        self.p50Ms = ms(50)
        self.p90Ms = ms(90)
        self.p99Ms = ms(99)
        self.p999Ms = ms(99.9)
        self.maxMs = histogram.totalCount == 0 ? 0 : Double(histogram.max) / 1000
    }
}
