import XCTest

@testable import SpacesLoad

final class SummaryTableTests: XCTestCase {
    /// A run with a figure in every place the table shows one.
    static func sampleReport() -> LoadReport {
        var report = LoadReport()
        report.workers = 2
        report.listeners = 1_234
        report.durationSeconds = 10
        report.admitted = 1_100
        report.admittedFromWaiting = 77
        report.waitingAnswers = 88
        report.resumed = 4
        report.httpRefusals = ["503": 21, "429": 9]
        report.failures = ["timeout": 5]
        report.closeCodes = ["1000": 1_090, "none": 6]
        report.framesReceived = 99_000
        report.framesLost = 1_000
        report.gaps = 13
        report.outOfOrderBatches = 2
        report.bytesReceived = 5_000_000
        for _ in 0..<99 { _ = report.latencyMicros.record(120_000) }
        _ = report.latencyMicros.record(2_000_000)
        _ = report.connectMicros.record(3_000)
        _ = report.answerMicros.record(45_000)
        _ = report.welcomeMicros.record(60_000)
        _ = report.waitedMicros.record(7_000_000)
        report.serverBefore = ["spaces_listeners": 10, "spaces_frames_dropped_total": 5, "only_before": 1]
        report.serverAfter = ["spaces_listeners": 1_110, "spaces_frames_dropped_total": 5, "only_after": 2]
        return report
    }

    private func line(_ text: String, startingWith label: String) -> String? {
        text.split(separator: "\n").map(String.init).first { $0.trimmingCharacters(in: .whitespaces).hasPrefix(label) }
    }

    private func cells(_ line: String?) -> [String] {
        (line ?? "").split(separator: " ").map(String.init)
    }

    func testKeyFigures() {
        let text = SummaryTable.render(Self.sampleReport(), verdicts: [])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "listeners")), ["listeners", "1234"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "admitted ")), ["admitted", "1100"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "from waiting")), ["from", "waiting", "77"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "waiting answers")), ["waiting", "answers", "88"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "refused")), ["refused", "30"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "HTTP 503")), ["HTTP", "503", "21"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "HTTP 429")), ["HTTP", "429", "9"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "timeout")), ["timeout", "5"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "code 1000")), ["code", "1000", "1090"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "code none")), ["code", "none", "6"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "frames received")), ["frames", "received", "99000"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "frames lost")), ["frames", "lost", "1000", "(1%)"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "gaps")), ["gaps", "13"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "out-of-order")), ["out-of-order", "batches", "2"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "bytes/s")), ["bytes/s", "500000"])
    }

    func testTimingsInMilliseconds() {
        let text = SummaryTable.render(Self.sampleReport(), verdicts: [])
        let header = self.cells(self.line(text, startingWith: "count"))
        XCTAssertEqual(header, ["count", "p50", "p99", "p99.9", "max"])
        let latency = self.cells(self.line(text, startingWith: "audio latency"))
        XCTAssertEqual(latency.count, 7, "label (two words), count, p50, p99, p99.9, max")
        XCTAssertEqual(latency[2], "100")
        XCTAssertEqual(Double(latency[3]) ?? 0, 120, accuracy: 1.5)
        XCTAssertEqual(Double(latency[4]) ?? 0, 120, accuracy: 1.5, "the 99th of 100 values is still 120 ms")
        XCTAssertEqual(Double(latency[5]) ?? 0, 2_000, accuracy: 20)
        XCTAssertEqual(latency[6], "2000.0", "max is the value recorded")
        let waited = self.cells(self.line(text, startingWith: "waited"))
        XCTAssertEqual(waited.first, "waited")
        XCTAssertEqual(Double(waited[2]) ?? 0, 7_000, accuracy: 70)
    }

    func testEmptyHistogramsShowDashes() {
        let text = SummaryTable.render(LoadReport(), verdicts: [])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "connect")), ["connect", "0", "–", "–", "–", "–"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "frames lost")), ["frames", "lost", "0", "(–)"])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "bytes/s")), ["bytes/s", "–"])
        XCTAssertFalse(text.contains("Server"), "no server section without server metrics")
    }

    func testServerDeltasForKeysInBoth() {
        let text = SummaryTable.render(Self.sampleReport(), verdicts: [])
        XCTAssertEqual(self.cells(self.line(text, startingWith: "spaces_listeners")), ["spaces_listeners", "10", "1110", "+1100"])
        XCTAssertEqual(
            self.cells(self.line(text, startingWith: "spaces_frames_dropped_total")),
            ["spaces_frames_dropped_total", "5", "5", "0"]
        )
        XCTAssertNil(self.line(text, startingWith: "only_before"))
        XCTAssertNil(self.line(text, startingWith: "only_after"))
    }

    func testColumnsAreAligned() {
        let text = SummaryTable.render(Self.sampleReport(), verdicts: [])
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        // Within a section, right-aligned values end in the same column.
        let audioStart = lines.firstIndex(of: "Audio") ?? 0
        let audio = lines[(audioStart + 1)...].prefix { !$0.isEmpty }
        XCTAssertEqual(audio.count, 6)
        XCTAssertEqual(Set(audio.map(\.count)).count, 1, "\(audio)")
        let timingsStart = lines.firstIndex(of: "Timings (ms)") ?? 0
        let timings = lines[(timingsStart + 1)...].prefix { !$0.isEmpty }
        XCTAssertEqual(timings.count, 6, "a header and five rows")
        XCTAssertEqual(Set(timings.map(\.count)).count, 1, "\(timings)")
        // The label column is as wide as the longest label in any section.
        let longestLabel = "spaces_frames_dropped_total".count
        let listeners = lines.first { $0.hasPrefix("  listeners") } ?? ""
        XCTAssertEqual(listeners.count, 2 + longestLabel + 2 + "1234".count)
        XCTAssertFalse(text.contains("\u{1B}"), "no terminal escapes")
        XCTAssertFalse(lines.contains { $0.hasSuffix(" ") }, "no trailing spaces")
    }

    func testVerdictLines() throws {
        let report = Self.sampleReport()
        let verdicts = try ServiceLevelObjective.parseList("p50-latency=1s,loss=0.5%").evaluate(report)
        let text = SummaryTable.render(report, verdicts: verdicts)
        XCTAssertTrue(text.contains("Objectives\n"))
        for verdict in verdicts {
            XCTAssertTrue(text.contains("  " + verdict.line + "\n"), verdict.line)
        }
        XCTAssertTrue(text.contains("loss 1% ≤ 0.5%: fail"))
        XCTAssertTrue(text.contains("1 of 2 failed"))
        XCTAssertTrue(SummaryTable.render(report, verdicts: []).contains("none given"))
    }

    func testNumberFormatting() {
        XCTAssertEqual(SummaryTable.number(412), "412")
        XCTAssertEqual(SummaryTable.number(1.5), "1.5")
        XCTAssertEqual(SummaryTable.number(0.001234), "0.00123")
        XCTAssertEqual(SummaryTable.number(123_456.7), "123457")
        XCTAssertEqual(SummaryTable.number(-3), "-3")
        XCTAssertEqual(SummaryTable.number(0), "0")
        XCTAssertEqual(SummaryTable.duration(micros: 750), "750 µs")
        XCTAssertEqual(SummaryTable.duration(micros: 412_000), "412 ms")
        XCTAssertEqual(SummaryTable.duration(micros: 1_500_000), "1.5 s")
        XCTAssertEqual(SummaryTable.percent(0.001), "0.1%")
    }
}
