import XCTest

@testable import SpacesLoad

final class HTMLReportTests: XCTestCase {
    private static let command = #"spaces loadtest --url "ws://h/s?a=1&b=2" --slo 'p99-latency<1s'"#

    private func reportWithTimeline() -> LoadReport {
        var report = SummaryTableTests.sampleReport()
        for second in 0..<5 {
            var entry = LoadReport.Second(second: second)
            entry.connected = 100 * (second + 1)
            entry.waiting = 10 * second
            entry.admitted = 100
            entry.waitingAnswers = second
            entry.refused = second == 3 ? 4 : 0
            entry.failed = second == 4 ? 1 : 0
            entry.framesReceived = 5_000 * second
            entry.framesLost = second
            for _ in 0..<50 { entry.latency.record(micros: 80_000) }
            entry.latency.record(micros: 400_000)
            report.timeline.append(entry)
        }
        return report
    }

    private func render(_ report: LoadReport, verdicts: [ServiceLevelObjective.Verdict] = []) -> String {
        HTMLReport.render(
            report,
            verdicts: verdicts,
            title: "Run <1> & \"friends\"",
            command: Self.command,
            date: Date(timeIntervalSince1970: 1_700_000_000)
        )
    }

    func testPageIsWellFormedWithFourCharts() throws {
        let report = self.reportWithTimeline()
        let verdicts = try ServiceLevelObjective.parseList("p99-latency=1s,loss=0.5%").evaluate(report)
        let html = self.render(report, verdicts: verdicts)
        let probe = XMLProbe(html)
        XCTAssertTrue(probe.parsed, "not well-formed: \(String(describing: probe.error))")
        XCTAssertNil(probe.error)
        XCTAssertTrue(html.hasPrefix("<!DOCTYPE html>\n"))
        XCTAssertEqual(probe.elements.first?.name, "html")
        XCTAssertEqual(probe.elements.first?.attributes["lang"], "en")
        XCTAssertEqual(html.components(separatedBy: "<svg").count - 1, 4)
        XCTAssertEqual(probe.count("svg"), 4)
        XCTAssertEqual(probe.count("figure"), 4)
        XCTAssertEqual(probe.count("figcaption"), 4)
        XCTAssertEqual(probe.elements.filter { $0.name == "svg" }.map { $0.attributes["role"] }, Array(repeating: "img", count: 4))
        XCTAssertGreaterThan(probe.elements.filter { $0.name == "th" && $0.attributes["scope"] == "col" }.count, 0)
        XCTAssertGreaterThan(probe.elements.filter { $0.name == "th" && $0.attributes["scope"] == "row" }.count, 10)
        XCTAssertEqual(probe.count("script"), 0)
        XCTAssertEqual(probe.count("link"), 0)
        XCTAssertFalse(html.contains("src="))
        XCTAssertFalse(html.contains("href="))
    }

    func testTitleAndCommandAreEscaped() {
        let html = self.render(self.reportWithTimeline())
        XCTAssertTrue(html.contains("<title>Run &lt;1&gt; &amp; &quot;friends&quot;</title>"))
        XCTAssertTrue(html.contains("<h1>Run &lt;1&gt; &amp; &quot;friends&quot;</h1>"))
        XCTAssertTrue(
            html.contains("spaces loadtest --url &quot;ws://h/s?a=1&amp;b=2&quot; --slo &#39;p99-latency&lt;1s&#39;")
        )
        let probe = XMLProbe(html)
        XCTAssertTrue(probe.text.contains(Self.command), "the parsed text is the command as typed")
        XCTAssertTrue(probe.text.contains("2023-11-14 22:13:20 UTC"))
        XCTAssertTrue(html.contains("datetime=\"2023-11-14T22:13:20Z\""))
    }

    func testVerdictsAreShownAndMarked() throws {
        let report = self.reportWithTimeline()
        let verdicts = try ServiceLevelObjective.parseList("p99-latency=10s,loss=0.5%").evaluate(report)
        XCTAssertEqual(verdicts.map(\.passed), [true, false])
        let html = self.render(report, verdicts: verdicts)
        let probe = XMLProbe(html)
        let items = probe.elements.filter { $0.name == "li" }.map { $0.attributes["class"] }
        XCTAssertEqual(items, ["pass", "fail"])
        for verdict in verdicts {
            XCTAssertTrue(probe.text.contains(verdict.line), verdict.line)
        }
        XCTAssertTrue(probe.text.contains("1 of 2 objectives failed."))
        XCTAssertTrue(probe.text.contains("PASS"))
        XCTAssertTrue(probe.text.contains("FAIL"))
        XCTAssertTrue(self.render(report).contains("No objectives were given."))
    }

    func testSummaryFiguresAreInTables() {
        let html = self.render(self.reportWithTimeline())
        XCTAssertTrue(html.contains("<tr><th scope=\"row\">listeners</th><td>1234</td></tr>"))
        XCTAssertTrue(html.contains("<tr><th scope=\"row\" class=\"sub\">from waiting</th><td>77</td></tr>"))
        XCTAssertTrue(html.contains("<caption>Server</caption>"))
        XCTAssertTrue(html.contains("<td>+1100</td>"))
    }

    func testChartsFollowTheTimeline() {
        let report = self.reportWithTimeline()
        let charts = HTMLReport.charts(report)
        XCTAssertEqual(charts.count, 4)
        XCTAssertEqual(charts[0].0.series.map(\.name), ["connected", "waiting"])
        XCTAssertEqual(charts[0].0.series[0].points.map(\.y), [100, 200, 300, 400, 500])
        XCTAssertEqual(charts[1].0.series.map(\.name), ["p50", "p99"])
        let p50 = charts[1].0.series[0].points.map(\.y)
        let p99 = charts[1].0.series[1].points.map(\.y)
        XCTAssertEqual(p50.count, 5)
        for value in p50 { XCTAssertEqual(value, 80, accuracy: 80 * 0.19, "ms, not µs") }
        for value in p99 { XCTAssertEqual(value, 400, accuracy: 400 * 0.19) }
        XCTAssertEqual(charts[2].0.series.map(\.name), ["received", "lost"])
        XCTAssertEqual(charts[2].0.series[1].points.map(\.y), [0, 1, 2, 3, 4])
        XCTAssertEqual(charts[3].0.series.map(\.name), ["admitted", "waiting", "refused", "failed"])
        XCTAssertEqual(charts[3].0.series[2].points.map(\.y), [0, 0, 0, 4, 0])
    }

    func testSecondsWithoutAudioAreLeftOutOfTheLatencyChart() {
        var report = LoadReport()
        var silent = LoadReport.Second(second: 0)
        silent.connected = 3
        var loud = LoadReport.Second(second: 1)
        loud.latency.record(micros: 50_000)
        report.timeline = [silent, loud]
        let latency = HTMLReport.charts(report)[1].0
        XCTAssertEqual(latency.series[0].points.map(\.x), [1])
    }

    func testEmptyReportStillMakesAValidPage() {
        let html = HTMLReport.render(LoadReport(), verdicts: [], title: "Empty", command: "spaces loadtest")
        let probe = XMLProbe(html)
        XCTAssertTrue(probe.parsed, "not well-formed: \(String(describing: probe.error))")
        XCTAssertEqual(probe.count("svg"), 4)
        XCTAssertFalse(html.contains("NaN"))
    }
}
