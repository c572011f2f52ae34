import Foundation
import Histogram

/// A load run's figures as a plain-text table for the terminal: aligned columns, no colours.
///
/// The figures are grouped in ``Section``s, which ``HTMLReport`` also shows, so the terminal and
/// the page never disagree.
public enum SummaryTable {
    /// A titled group of rows; the first cell of each row is its label.
    public struct Section: Sendable, Equatable {
        public var title: String
        /// Column headings (the first for the label column), or `nil` for label–value rows.
        public var header: [String]?
        public var rows: [[String]]

        public init(title: String, header: [String]? = nil, rows: [[String]]) {
            self.title = title
            self.header = header
            self.rows = rows
        }
    }

    /// Shown where a figure does not exist, such as a percentile of no samples.
    static let none = "–"

    /// The whole table, then the objectives' verdicts, ending with a newline.
    public static func render(_ report: LoadReport, verdicts: [ServiceLevelObjective.Verdict]) -> String {
        let sections = self.sections(report)
        let labelWidth = sections.flatMap { $0.rows.map { $0[0].count } + [($0.header?[0].count ?? 0)] }.max() ?? 0
        var lines: [String] = []
        for section in sections {
            if !lines.isEmpty { lines.append("") }
            lines.append(section.title)
            let all = (section.header.map { [$0] } ?? []) + section.rows
            let columns = all.map(\.count).max() ?? 0
            var widths = Array(repeating: 0, count: columns)
            for row in all {
                for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
            }
            widths[0] = labelWidth
            for row in all {
                var line = "  " + self.pad(row[0], to: widths[0], right: false)
                for index in 1..<max(1, row.count) {
                    line += "  " + self.pad(row[index], to: widths[index], right: true)
                }
                lines.append(self.trimmingTrailingSpaces(line))
            }
        }
        lines.append("")
        lines.append("Objectives")
        if verdicts.isEmpty {
            lines.append("  none given")
        } else {
            lines.append(contentsOf: verdicts.map { "  " + $0.line })
            let failed = verdicts.filter { !$0.passed }.count
            lines.append(failed == 0 ? "  all \(verdicts.count) met" : "  \(failed) of \(verdicts.count) failed")
        }
        return lines.joined(separator: "\n") + "\n"
    }

    /// The report's figures, grouped.
    public static func sections(_ report: LoadReport) -> [Section] {
        var result: [Section] = []

        let bytesPerSecond =
            report.durationSeconds > 0 ? self.number((Double(report.bytesReceived) / report.durationSeconds).rounded()) : self.none
        result.append(
            Section(
                title: "Run",
                rows: [
                    ["listeners", "\(report.listeners)"],
                    ["workers", "\(report.workers)"],
                    ["duration", self.number(report.durationSeconds) + " s"],
                ]
            )
        )

        result.append(
            Section(
                title: "Joins",
                rows: [
                    ["admitted", "\(report.admitted)"],
                    ["  from waiting", "\(report.admittedFromWaiting)"],
                    ["waiting answers", "\(report.waitingAnswers)"],
                    ["resumed", "\(report.resumed)"],
                    ["failovers", "\(report.failovers)"],
                    ["positions went back", "\(report.positionsWentBack)"],
                    ["admitted out of order", "\(report.admittedOutOfOrder)"],
                ]
            )
        )

        var problems: [[String]] = []
        problems.append(["refused", "\(report.httpRefusals.values.reduce(0, +))"])
        problems += self.sorted(report.httpRefusals).map { ["  HTTP \($0.key)", "\($0.value)"] }
        problems.append(["failures", "\(report.failures.values.reduce(0, +))"])
        problems += self.sorted(report.failures).map { ["  \($0.key)", "\($0.value)"] }
        problems.append(["closes", "\(report.closeCodes.values.reduce(0, +))"])
        problems += self.sorted(report.closeCodes).map { ["  code \($0.key)", "\($0.value)"] }
        result.append(Section(title: "Refusals, failures and closes", rows: problems))

        result.append(
            Section(
                title: "Timings (ms)",
                header: ["", "count", "p50", "p99", "p99.9", "max"],
                rows: [
                    self.timingRow("connect", report.connectMicros),
                    self.timingRow("first answer", report.answerMicros),
                    self.timingRow("welcome", report.welcomeMicros),
                    self.timingRow("waited", report.waitedMicros),
                    self.timingRow("audio latency", report.latencyMicros),
                ]
            )
        )

        let framesTotal = report.framesReceived + report.framesLost
        let lossShown = framesTotal == 0 ? self.none : self.percent(report.lossRatio)
        result.append(
            Section(
                title: "Audio",
                rows: [
                    ["frames received", "\(report.framesReceived)"],
                    ["frames lost", "\(report.framesLost) (\(lossShown))"],
                    ["gaps", "\(report.gaps)"],
                    ["out-of-order batches", "\(report.outOfOrderBatches)"],
                    ["bytes received", "\(report.bytesReceived)"],
                    ["bytes/s", bytesPerSecond],
                ]
            )
        )

        if report.nodes.count > 1 {
            let rows = report.nodes.sorted { $0.key < $1.key }.map { node, tally -> [String] in
                [
                    node, "\(tally.admitted)", "\(tally.connectedAtEnd)", "\(tally.framesReceived)",
                    tally.framesReceived + tally.framesLost == 0 ? self.none : self.percent(tally.lossRatio),
                    tally.latency.total == 0 ? self.none : self.milliseconds(tally.latency.percentile(99)),
                ]
            }
            result.append(Section(title: "Nodes", header: ["", "admitted", "at end", "frames", "lost", "p99 ms"], rows: rows))
        }

        if !report.conversationSent.isEmpty {
            var rows: [[String]] = self.sorted(report.conversationSent).map { ["sent \($0.key)", "\($0.value)"] }
            rows += self.sorted(report.conversationAnswers).map { ["  \($0.key)", "\($0.value)"] }
            rows.append(["questions updates received", "\(report.questionUpdates)"])
            rows.append(["reactions updates received", "\(report.reactionUpdates)"])
            result.append(Section(title: "Conversation", rows: rows))
        }

        let serverKeys = Set(report.serverBefore.keys).intersection(report.serverAfter.keys).sorted()
        if !serverKeys.isEmpty {
            let rows = serverKeys.map { key -> [String] in
                let before = report.serverBefore[key] ?? 0
                let after = report.serverAfter[key] ?? 0
                let delta = after - before
                return [key, self.number(before), self.number(after), (delta > 0 ? "+" : "") + self.number(delta)]
            }
            result.append(Section(title: "Server", header: ["", "before", "after", "delta"], rows: rows))
        }
        return result
    }

    private static func timingRow(_ label: String, _ histogram: Histogram<UInt64>) -> [String] {
        guard histogram.totalCount > 0 else { return [label, "0", self.none, self.none, self.none, self.none] }
        return [
            label, "\(histogram.totalCount)",
            self.milliseconds(histogram.valueAtPercentile(50)),
            self.milliseconds(histogram.valueAtPercentile(99)),
            self.milliseconds(histogram.valueAtPercentile(99.9)),
            self.milliseconds(histogram.maxRecorded),
        ]
    }

    private static func sorted(_ counts: [String: Int]) -> [(key: String, value: Int)] {
        counts.sorted { $0.key < $1.key }
    }

    private static func pad(_ text: String, to width: Int, right: Bool) -> String {
        let padding = String(repeating: " ", count: max(0, width - text.count))
        return right ? padding + text : text + padding
    }

    private static func trimmingTrailingSpaces(_ line: String) -> String {
        var line = line
        while line.last == " " { line.removeLast() }
        return line
    }

    // MARK: Numbers for people (also used by the objectives and the HTML page)

    /// Microseconds as milliseconds with one decimal: `412.3`.
    static func milliseconds(_ micros: UInt64) -> String {
        String(format: "%.1f", Double(micros) / 1_000)
    }

    /// A duration with the unit that suits it: `750 µs`, `412 ms`, `1.5 s`.
    static func duration(micros: Double) -> String {
        if micros < 1_000 { return self.number(micros) + " µs" }
        if micros < 1_000_000 { return self.number(micros / 1_000) + " ms" }
        return self.number(micros / 1_000_000) + " s"
    }

    /// A share (0…1) as a percent with three significant digits: `0.1%`, `12.5%`.
    static func percent(_ fraction: Double) -> String {
        self.number(fraction * 100) + "%"
    }

    /// A plain decimal with three significant digits (all of the whole part), no exponent and no
    /// trailing zeros: `412`, `1.5`, `0.00123`, `123457`.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return value.isNaN ? "NaN" : (value > 0 ? "∞" : "-∞") }
        guard value != 0 else { return "0" }
        let magnitude = Int(Foundation.floor(Foundation.log10(Swift.abs(value)))) + 1
        let decimals = Swift.min(9, Swift.max(0, 3 - magnitude))
        var text = String(format: "%.\(decimals)f", value)
        if text.contains(".") {
            while text.last == "0" { text.removeLast() }
            if text.last == "." { text.removeLast() }
        }
        return text == "-0" ? "0" : text
    }
}
