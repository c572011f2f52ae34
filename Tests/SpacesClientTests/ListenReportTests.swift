import SpacesClient
import SpacesCore
import XCTest

final class ListenReportTests: XCTestCase {
    func testWhatCountsAsALostConnection() {
        var report = ListenReport()
        XCTAssertTrue(report.connectionLost, "no close frame at all")
        report.closeCode = CloseCode.goingAway.rawValue
        XCTAssertTrue(report.connectionLost, "the node is going away")
        report.closeCode = CloseCode.ended.rawValue
        XCTAssertFalse(report.connectionLost)
        report.closeCode = nil
        report.ended = ServerEvent.Ended(reason: "ended")
        XCTAssertFalse(report.connectionLost, "the Space ended")
    }

    func testTheNextConnectionKeepsWhatWasCounted() {
        var report = ListenReport()
        report.sequence.record(first: 0, count: 10)
        report.closeCode = 1001
        report.nextConnection()
        XCTAssertNil(report.closeCode)
        XCTAssertEqual(report.sequence.received, 10)
        report.sequence.record(first: 10, count: 5)
        XCTAssertEqual(report.sequence.lost, 0, "no false gap across connections")
    }
}
