import Foundation
import XCTest

@testable import SpacesLoad

final class LoadReportFileTests: XCTestCase {
    func testTheJSONHasTheReportAndReadablePercentilesBesideIt() throws {
        var report = LoadReport()
        report.listeners = 3
        report.answered = 3
        for micros: UInt64 in [1_000, 2_000, 3_000, 4_000, 100_000] { _ = report.latencyMicros.record(micros) }
        _ = report.answerMicros.record(7_000)
        let data = try JSONEncoder().encode(LoadReportFile(report))

        // A script reads the percentiles without a histogram decoder.
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        let percentiles = try XCTUnwrap(object["percentiles"] as? [String: [String: Any]])
        let audio = try XCTUnwrap(percentiles["audioLatency"])
        XCTAssertEqual(audio["count"] as? Int, 5)
        XCTAssertEqual(try XCTUnwrap(audio["p50Ms"] as? Double), 3, accuracy: 0.05)
        XCTAssertEqual(try XCTUnwrap(audio["maxMs"] as? Double), 100, accuracy: 1)
        XCTAssertEqual(try XCTUnwrap(percentiles["answer"]?["p99Ms"] as? Double), 7, accuracy: 0.1)
        XCTAssertEqual(percentiles["waited"]?["count"] as? Int, 0, "an empty histogram reads as zeros")
        XCTAssertEqual(object["listeners"] as? Int, 3, "the report's own fields are beside them")

        // And it still reads back as the report (workers' files merge this way).
        let decoded = try JSONDecoder().decode(LoadReport.self, from: data)
        XCTAssertEqual(decoded.listeners, 3)
        XCTAssertEqual(decoded.latencyMicros.totalCount, 5)
    }
}
