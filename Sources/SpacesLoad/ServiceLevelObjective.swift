import Foundation
import Histogram

/// One limit a load run must stay within, such as "the audio latency's 99th percentile is at
/// most one second".
///
/// A run's objectives come from `--slo "p99-latency=1s,loss=0.1%,join-p99=2s"`: a comma-separated
/// list of `key=value` parts (see ``Metric`` for the keys). Each objective passes when the measured
/// value is at most its threshold. Something that was not measured at all (no audio frames for a
/// latency or loss objective, no joins for `refused`) fails: an empty run proves nothing.
public struct ServiceLevelObjective: Sendable, Equatable, CustomStringConvertible {
    /// What an objective measures, named by its key in `--slo`.
    public enum Metric: String, Sendable, Equatable, CaseIterable {
        /// Median audio latency (``LoadReport/latencyMicros``); a duration.
        case p50Latency = "p50-latency"
        /// 99th percentile of audio latency; a duration.
        case p99Latency = "p99-latency"
        /// 99.9th percentile of audio latency; a duration.
        case p999Latency = "p999-latency"
        /// Median time to a join's first answer (``LoadReport/answerMicros``); a duration.
        case joinP50 = "join-p50"
        /// 99th percentile of the time to a join's first answer; a duration.
        case joinP99 = "join-p99"
        /// 99th percentile of the time to `welcome`, waiting included (``LoadReport/welcomeMicros``).
        case welcomeP99 = "welcome-p99"
        /// 99th percentile of the time from TCP connect to the HTTP answer (``LoadReport/connectMicros``).
        case connectP99 = "connect-p99"
        /// Share of audio frames lost (``LoadReport/lossRatio``); a percent (`0.1%`) or a fraction (`0.001`).
        case loss
        /// Share of answered joins refused by HTTP; a percent or a fraction.
        case refused
        /// Number of connection failures of any kind; a whole number.
        case failures

        /// How the metric's threshold is written and shown.
        enum Kind {
            /// Microseconds; written with a unit (`us`, `µs`, `ms`, `s`).
            case duration
            /// A share, 0…1; written as a percent or a fraction.
            case ratio
            /// A whole number.
            case count
        }

        var kind: Kind {
            switch self {
            case .p50Latency, .p99Latency, .p999Latency, .joinP50, .joinP99, .welcomeP99, .connectP99:
                return .duration
            case .loss, .refused:
                return .ratio
            case .failures:
                return .count
            }
        }

        /// The value in the report, in the metric's unit (µs, fraction or count); `nil` when the
        /// report has nothing to measure it from.
        func measure(_ report: LoadReport) -> Double? {
            switch self {
            case .p50Latency: return Self.percentile(50, of: report.latencyMicros)
            case .p99Latency: return Self.percentile(99, of: report.latencyMicros)
            case .p999Latency: return Self.percentile(99.9, of: report.latencyMicros)
            case .joinP50: return Self.percentile(50, of: report.answerMicros)
            case .joinP99: return Self.percentile(99, of: report.answerMicros)
            case .welcomeP99: return Self.percentile(99, of: report.welcomeMicros)
            case .connectP99: return Self.percentile(99, of: report.connectMicros)
            case .loss:
                return report.framesReceived + report.framesLost == 0 ? nil : report.lossRatio
            case .refused:
                let refused = report.httpRefusals.values.reduce(0, +)
                let answered = Self.answeredJoins(report)
                return answered == 0 ? nil : Double(refused) / Double(answered)
            case .failures:
                return Double(report.failures.values.reduce(0, +))
            }
        }

        /// Joins that got a first answer: admitted straight away, told to wait, or refused by HTTP.
        ///
        /// Those admitted from a waiting room were already counted by their `waiting` answer.
        static func answeredJoins(_ report: LoadReport) -> Int {
            let refused = report.httpRefusals.values.reduce(0, +)
            let admittedDirectly = max(0, report.admitted - report.admittedFromWaiting)
            return refused + report.waitingAnswers + admittedDirectly
        }

        private static func percentile(_ p: Double, of histogram: Histogram<UInt64>) -> Double? {
            histogram.totalCount == 0 ? nil : Double(histogram.valueAtPercentile(p))
        }

        /// A value in the metric's unit as people read it: `412 ms`, `0.1%`, `3`.
        func describe(_ value: Double) -> String {
            switch self.kind {
            case .duration: return SummaryTable.duration(micros: value)
            case .ratio: return SummaryTable.percent(value)
            case .count: return SummaryTable.number(value)
            }
        }
    }

    /// An objective checked against a report.
    public struct Verdict: Sendable, Equatable, CustomStringConvertible {
        public var objective: ServiceLevelObjective
        /// The measured value in the metric's unit (µs, fraction or count); `nil` if nothing was measured.
        public var measured: Double?
        public var passed: Bool
        /// For people: `p99-latency 412 ms ≤ 1 s: pass`.
        public var line: String

        public init(objective: ServiceLevelObjective, measured: Double?) {
            self.objective = objective
            self.measured = measured
            if let measured {
                self.passed = measured <= objective.threshold
            } else {
                self.passed = false
            }
            let metric = objective.metric
            let shown = measured.map(metric.describe) ?? "not measured"
            self.line = "\(metric.rawValue) \(shown) ≤ \(metric.describe(objective.threshold)): "
                + (self.passed ? "pass" : "fail")
        }

        public var description: String { self.line }
    }

    /// A part of `--slo` that could not be read; each case names the part at fault.
    public enum ParseError: Error, Equatable, CustomStringConvertible, LocalizedError {
        /// Nothing between two commas (or an empty list); the position counts from 1.
        case emptyPart(position: Int)
        /// A part without `=`.
        case missingValue(part: String)
        /// A key that is not one of ``Metric``'s.
        case unknownKey(String)
        /// A value that is not a plain decimal number.
        case badNumber(key: String, value: String)
        /// A value with a missing or wrong unit for its key.
        case badUnit(key: String, value: String, expected: String)
        /// A number that cannot be a limit of its kind (a share above 100 %, a fractional count).
        case outOfRange(key: String, value: String, reason: String)
        /// The same key given twice.
        case duplicateKey(String)

        public var description: String {
            switch self {
            case .emptyPart(let position):
                return "objective \(position) in --slo is empty (expected key=value, e.g. p99-latency=1s)"
            case .missingValue(let part):
                return "objective '\(part)' has no value (expected key=value, e.g. p99-latency=1s)"
            case .unknownKey(let key):
                let keys = Metric.allCases.map(\.rawValue).joined(separator: ", ")
                return "unknown objective '\(key)'; supported: \(keys)"
            case .badNumber(let key, let value):
                return "objective \(key): '\(value)' is not a number"
            case .badUnit(let key, let value, let expected):
                return "objective \(key): '\(value)' has no valid unit; expected \(expected)"
            case .outOfRange(let key, let value, let reason):
                return "objective \(key): '\(value)' is out of range: \(reason)"
            case .duplicateKey(let key):
                return "objective \(key) is given more than once"
            }
        }

        public var errorDescription: String? { self.description }
    }

    public var metric: Metric
    /// The most the measured value may be, in the metric's unit: µs for durations, 0…1 for
    /// shares, a count for `failures`.
    public var threshold: Double

    public init(metric: Metric, threshold: Double) {
        self.metric = metric
        self.threshold = threshold
    }

    public var description: String { "\(self.metric.rawValue) ≤ \(self.metric.describe(self.threshold))" }

    /// Reads a `--slo` list such as `p99-latency=1s,loss=0.1%,join-p99=2s`.
    public static func parseList(_ text: String) throws(ParseError) -> [ServiceLevelObjective] {
        var objectives: [ServiceLevelObjective] = []
        for (index, part) in text.split(separator: ",", omittingEmptySubsequences: false).enumerated() {
            let trimmed = part.trimmingCharacters(in: .whitespaces)
            guard !trimmed.isEmpty else { throw .emptyPart(position: index + 1) }
            let objective = try ServiceLevelObjective(parsing: trimmed)
            guard !objectives.contains(where: { $0.metric == objective.metric }) else {
                throw .duplicateKey(objective.metric.rawValue)
            }
            objectives.append(objective)
        }
        return objectives
    }

    /// Reads one `key=value` part, such as `loss=0.1%`.
    public init(parsing part: String) throws(ParseError) {
        let trimmed = part.trimmingCharacters(in: .whitespaces)
        guard !trimmed.isEmpty else { throw .emptyPart(position: 1) }
        guard let equals = trimmed.firstIndex(of: "=") else { throw .missingValue(part: trimmed) }
        let key = trimmed[..<equals].trimmingCharacters(in: .whitespaces).lowercased()
        let value = trimmed[trimmed.index(after: equals)...].trimmingCharacters(in: .whitespaces)
        guard let metric = Metric(rawValue: key) else { throw .unknownKey(key) }
        guard !value.isEmpty else { throw .missingValue(part: trimmed) }
        let (number, unit) = try Self.split(value, key: key)
        switch metric.kind {
        case .duration:
            let scale: Double
            switch unit {
            case "us", "µs", "μs": scale = 1
            case "ms": scale = 1_000
            case "s": scale = 1_000_000
            default: throw .badUnit(key: key, value: value, expected: "a duration with us, ms or s (e.g. 250ms)")
            }
            self.init(metric: metric, threshold: number * scale)
        case .ratio:
            switch unit {
            case "%":
                guard number <= 100 else {
                    throw .outOfRange(key: key, value: value, reason: "a percent is at most 100%")
                }
                self.init(metric: metric, threshold: number / 100)
            case "":
                guard number <= 1 else {
                    throw .outOfRange(key: key, value: value, reason: "a fraction is at most 1; write \(value)% for a percent")
                }
                self.init(metric: metric, threshold: number)
            default:
                throw .badUnit(key: key, value: value, expected: "a percent (0.1%) or a fraction (0.001)")
            }
        case .count:
            guard unit.isEmpty else { throw .badUnit(key: key, value: value, expected: "a whole number without unit") }
            guard number == number.rounded(.down) else {
                throw .outOfRange(key: key, value: value, reason: "a count is a whole number")
            }
            self.init(metric: metric, threshold: number)
        }
    }

    /// Checks the objective against a report.
    public func evaluate(_ report: LoadReport) -> Verdict {
        Verdict(objective: self, measured: self.metric.measure(report))
    }

    /// Splits `12.5ms` into 12.5 and `ms`; the number is a plain non-negative decimal.
    private static func split(_ value: String, key: String) throws(ParseError) -> (Double, String) {
        let digits = value.prefix { $0.isASCII && ($0.isNumber || $0 == ".") }
        let unit = value[digits.endIndex...].trimmingCharacters(in: .whitespaces).lowercased()
        guard digits.contains(where: \.isNumber), digits.filter({ $0 == "." }).count <= 1,
            let number = Double(digits), number.isFinite
        else {
            throw .badNumber(key: key, value: value)
        }
        return (number, unit)
    }
}

extension Array where Element == ServiceLevelObjective {
    /// Checks every objective against a report, in order.
    public func evaluate(_ report: LoadReport) -> [ServiceLevelObjective.Verdict] {
        self.map { $0.evaluate(report) }
    }
}
