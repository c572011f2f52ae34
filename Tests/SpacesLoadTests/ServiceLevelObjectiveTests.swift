import XCTest

@testable import SpacesLoad

final class ServiceLevelObjectiveTests: XCTestCase {
    private typealias Objective = ServiceLevelObjective

    private func parse(_ text: String) throws -> [Objective] {
        try Objective.parseList(text)
    }

    private func parseError(_ text: String, file: StaticString = #filePath, line: UInt = #line) -> Objective.ParseError? {
        do {
            let objectives = try Objective.parseList(text)
            XCTFail("expected an error for '\(text)', got \(objectives)", file: file, line: line)
            return nil
        } catch {
            return error
        }
    }

    // MARK: Parsing

    func testParsesTheExampleList() throws {
        let objectives = try self.parse("p99-latency=1s,loss=0.1%,join-p99=2s")
        XCTAssertEqual(
            objectives,
            [
                Objective(metric: .p99Latency, threshold: 1_000_000),
                Objective(metric: .loss, threshold: 0.001),
                Objective(metric: .joinP99, threshold: 2_000_000),
            ]
        )
    }

    func testParsesEveryDurationKey() throws {
        let cases: [(String, Objective.Metric)] = [
            ("p50-latency", .p50Latency), ("p99-latency", .p99Latency), ("p999-latency", .p999Latency),
            ("join-p50", .joinP50), ("join-p99", .joinP99), ("welcome-p99", .welcomeP99),
            ("connect-p99", .connectP99),
        ]
        for (key, metric) in cases {
            XCTAssertEqual(try self.parse("\(key)=250ms"), [Objective(metric: metric, threshold: 250_000)], key)
        }
    }

    func testDurationUnits() throws {
        XCTAssertEqual(try self.parse("p50-latency=750us").first?.threshold, 750)
        XCTAssertEqual(try self.parse("p50-latency=750µs").first?.threshold, 750)
        XCTAssertEqual(try self.parse("p50-latency=750μs").first?.threshold, 750)
        XCTAssertEqual(try self.parse("p50-latency=12.5ms").first?.threshold, 12_500)
        XCTAssertEqual(try self.parse("p50-latency=1.5s").first?.threshold, 1_500_000)
        XCTAssertEqual(try self.parse("p50-latency=2S").first?.threshold, 2_000_000)
    }

    func testRatiosAsPercentOrFraction() throws {
        XCTAssertEqual(try self.parse("loss=0.1%").first?.threshold ?? 0, 0.001, accuracy: 1e-12)
        XCTAssertEqual(try self.parse("loss=0.001").first?.threshold ?? 0, 0.001, accuracy: 1e-12)
        XCTAssertEqual(try self.parse("refused=5%"), [Objective(metric: .refused, threshold: 0.05)])
        XCTAssertEqual(try self.parse("refused=0"), [Objective(metric: .refused, threshold: 0)])
        XCTAssertEqual(try self.parse("loss=100%").first?.threshold, 1)
    }

    func testFailuresIsACount() throws {
        XCTAssertEqual(try self.parse("failures=0"), [Objective(metric: .failures, threshold: 0)])
        XCTAssertEqual(try self.parse("failures=12"), [Objective(metric: .failures, threshold: 12)])
    }

    func testSpacesAroundPartsAreIgnored() throws {
        XCTAssertEqual(
            try self.parse(" p99-latency = 1s , failures=3 "),
            [Objective(metric: .p99Latency, threshold: 1_000_000), Objective(metric: .failures, threshold: 3)]
        )
    }

    func testUnknownKey() {
        let error = self.parseError("p99-latency=1s,p42-latency=1s")
        XCTAssertEqual(error, .unknownKey("p42-latency"))
        XCTAssertTrue(error?.description.contains("p42-latency") ?? false)
        XCTAssertTrue(error?.description.contains("join-p99") ?? false, "the message lists the supported keys")
    }

    func testBadNumber() {
        XCTAssertEqual(self.parseError("p99-latency=fast"), .badNumber(key: "p99-latency", value: "fast"))
        XCTAssertEqual(self.parseError("loss=1.2.3%"), .badNumber(key: "loss", value: "1.2.3%"))
        XCTAssertEqual(self.parseError("failures=-1"), .badNumber(key: "failures", value: "-1"))
        XCTAssertEqual(self.parseError("p99-latency=.s"), .badNumber(key: "p99-latency", value: ".s"))
        XCTAssertTrue(self.parseError("p99-latency=fast")?.description.contains("'fast'") ?? false)
    }

    func testBadUnit() {
        guard case .badUnit(let key, let value, _) = self.parseError("p99-latency=1h") else {
            return XCTFail("expected badUnit")
        }
        XCTAssertEqual(key, "p99-latency")
        XCTAssertEqual(value, "1h")
        if case .badUnit(_, let value, _) = self.parseError("join-p99=100") {
            XCTAssertEqual(value, "100", "a duration without unit is refused")
        } else {
            XCTFail("expected badUnit for a duration without unit")
        }
        if case .badUnit(let key, _, _) = self.parseError("loss=1ms") {
            XCTAssertEqual(key, "loss")
        } else {
            XCTFail("expected badUnit for a loss in ms")
        }
        if case .badUnit(let key, _, _) = self.parseError("failures=3%") {
            XCTAssertEqual(key, "failures")
        } else {
            XCTFail("expected badUnit for a percent of failures")
        }
        XCTAssertTrue(self.parseError("p99-latency=1h")?.description.contains("'1h'") ?? false)
    }

    func testEmptyParts() {
        XCTAssertEqual(self.parseError(""), .emptyPart(position: 1))
        XCTAssertEqual(self.parseError("p99-latency=1s,,loss=1%"), .emptyPart(position: 2))
        XCTAssertEqual(self.parseError("p99-latency=1s,"), .emptyPart(position: 2))
        XCTAssertEqual(self.parseError("loss"), .missingValue(part: "loss"))
        XCTAssertEqual(self.parseError("loss="), .missingValue(part: "loss="))
    }

    func testOutOfRangeAndDuplicates() {
        if case .outOfRange(let key, let value, _) = self.parseError("loss=5") {
            XCTAssertEqual(key, "loss")
            XCTAssertEqual(value, "5")
        } else {
            XCTFail("a fraction above 1 is refused")
        }
        if case .outOfRange(let key, _, _) = self.parseError("refused=101%") {
            XCTAssertEqual(key, "refused")
        } else {
            XCTFail("a percent above 100 is refused")
        }
        if case .outOfRange(let key, _, _) = self.parseError("failures=1.5") {
            XCTAssertEqual(key, "failures")
        } else {
            XCTFail("a fractional count is refused")
        }
        XCTAssertEqual(self.parseError("loss=1%,loss=2%"), .duplicateKey("loss"))
    }

    // MARK: Evaluation

    private func report(latencies: [UInt64]) -> LoadReport {
        var report = LoadReport()
        for latency in latencies { _ = report.latencyMicros.record(latency) }
        return report
    }

    func testLatencyPassAndFail() throws {
        let report = self.report(latencies: Array(repeating: 400_000, count: 95) + Array(repeating: 900_000, count: 5))
        let verdicts = try self.parse("p99-latency=1s,p50-latency=300ms,p999-latency=850ms").evaluate(report)
        XCTAssertEqual(verdicts.map(\.passed), [true, false, false])
        XCTAssertEqual(verdicts[0].measured ?? 0, 900_000, accuracy: 900_000 * 0.01)
        XCTAssertEqual(verdicts[1].measured ?? 0, 400_000, accuracy: 400_000 * 0.01)
        XCTAssertTrue(verdicts[0].line.hasPrefix("p99-latency 90"), verdicts[0].line)
        XCTAssertTrue(verdicts[0].line.hasSuffix(" ms ≤ 1 s: pass"), verdicts[0].line)
        XCTAssertTrue(verdicts[1].line.hasSuffix("ms ≤ 300 ms: fail"), verdicts[1].line)
    }

    func testVerdictLineFormat() {
        let verdict = Objective(metric: .p99Latency, threshold: 1_000_000).evaluate(self.report(latencies: [412_000]))
        XCTAssertTrue(verdict.passed)
        XCTAssertTrue(verdict.line.hasPrefix("p99-latency 41"), verdict.line)
        XCTAssertTrue(verdict.line.hasSuffix(" ms ≤ 1 s: pass"), verdict.line)
        XCTAssertEqual(verdict.description, verdict.line)
    }

    func testJoinWelcomeAndConnectUseTheirHistograms() throws {
        var report = LoadReport()
        _ = report.answerMicros.record(50_000)
        _ = report.welcomeMicros.record(3_000_000)
        _ = report.connectMicros.record(2_000)
        let verdicts = try self.parse("join-p50=100ms,join-p99=100ms,welcome-p99=2s,connect-p99=1ms").evaluate(report)
        XCTAssertEqual(verdicts.map(\.passed), [true, true, false, false])
        XCTAssertEqual(verdicts[2].measured ?? 0, 3_000_000, accuracy: 30_000)
    }

    func testNoSamplesFails() throws {
        let verdicts = try self.parse("p99-latency=10s,join-p99=10s,loss=100%,refused=100%").evaluate(LoadReport())
        XCTAssertEqual(verdicts.map(\.passed), [false, false, false, false])
        XCTAssertEqual(verdicts.map(\.measured), [nil, nil, nil, nil])
        XCTAssertEqual(verdicts[0].line, "p99-latency not measured ≤ 10 s: fail")
    }

    func testLoss() throws {
        var report = LoadReport()
        report.framesReceived = 9_990
        report.framesLost = 10
        XCTAssertTrue(try self.parse("loss=0.1%").evaluate(report)[0].passed)
        XCTAssertFalse(try self.parse("loss=0.05%").evaluate(report)[0].passed)
        XCTAssertEqual(try self.parse("loss=0.05%").evaluate(report)[0].line, "loss 0.1% ≤ 0.05%: fail")
    }

    func testRefusedShareOfAnsweredJoins() throws {
        var report = LoadReport()
        report.admitted = 90  // 10 of them from waiting, already counted as waiting answers
        report.admittedFromWaiting = 10
        report.waitingAnswers = 15
        report.httpRefusals = ["503": 3, "429": 2]
        // 5 refused of 80 + 15 + 5 = 100 answered joins.
        let verdict = try self.parse("refused=5%").evaluate(report)[0]
        XCTAssertEqual(verdict.measured ?? 0, 0.05, accuracy: 1e-12)
        XCTAssertTrue(verdict.passed)
        XCTAssertFalse(try self.parse("refused=4.9%").evaluate(report)[0].passed)
    }

    func testFailuresCount() throws {
        var report = LoadReport()
        XCTAssertTrue(try self.parse("failures=0").evaluate(report)[0].passed, "no failures is measured as 0")
        report.failures = ["timeout": 2, "reset": 1]
        let verdict = try self.parse("failures=2").evaluate(report)[0]
        XCTAssertEqual(verdict.measured, 3)
        XCTAssertFalse(verdict.passed)
        XCTAssertEqual(verdict.line, "failures 3 ≤ 2: fail")
    }
}
