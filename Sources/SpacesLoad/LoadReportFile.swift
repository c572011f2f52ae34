/// What `spaces loadtest --json` writes: the report as it merges (every field, raw histograms
/// included) and, beside its fields, `percentiles`: each histogram's count and percentiles in
/// milliseconds (``LoadPercentiles``), so that a reader or a script needs no histogram decoder.
public struct LoadReportFile: Encodable, Sendable {
    public var report: LoadReport

    public init(_ report: LoadReport) {
        self.report = report
    }

    /// `connect`, `welcome`, `answer`, `waited` and `audioLatency`.
    public var percentiles: [String: LoadPercentiles] {
        [
            "connect": LoadPercentiles(micros: self.report.connectMicros),
            "welcome": LoadPercentiles(micros: self.report.welcomeMicros),
            "answer": LoadPercentiles(micros: self.report.answerMicros),
            "waited": LoadPercentiles(micros: self.report.waitedMicros),
            "audioLatency": LoadPercentiles(micros: self.report.latencyMicros),
        ]
    }

    private enum Key: String, CodingKey { case percentiles }

    public func encode(to encoder: any Encoder) throws {
        // The report's own keys, then one more beside them in the same object.
        try self.report.encode(to: encoder)
        var container = encoder.container(keyedBy: Key.self)
        try container.encode(self.percentiles, forKey: .percentiles)
    }
}
