import Foundation
import XCTest

@testable import SpacesCore

final class WallClockTests: XCTestCase {
    func testNowMicrosIsUnixMicroseconds() {
        let before = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        let now = WallClock.nowMicros()
        let after = UInt64(Date().timeIntervalSince1970 * 1_000_000)
        // Allow 1 µs of rounding either side.
        XCTAssertGreaterThanOrEqual(now + 1, before)
        XCTAssertLessThanOrEqual(now, after + 1)
        // Sanity: after 2020-01-01 and in microseconds, not milliseconds or nanoseconds.
        XCTAssertGreaterThan(now, 1_577_836_800_000_000)
        XCTAssertLessThan(now, 4_102_444_800_000_000)  // 2100-01-01
    }

    func testNowMicrosDoesNotGoBackwardsMuch() {
        var previous = WallClock.nowMicros()
        for _ in 0..<1000 {
            let now = WallClock.nowMicros()
            XCTAssertGreaterThanOrEqual(now + 1000, previous)
            previous = now
        }
    }

    func testISO8601() {
        XCTAssertEqual(WallClock.iso8601(Date(timeIntervalSince1970: 0)), "1970-01-01T00:00:00Z")
        XCTAssertEqual(WallClock.iso8601(Date(timeIntervalSince1970: 1_700_000_000)), "2023-11-14T22:13:20Z")
        // UTC regardless of the process's time zone.
        XCTAssertTrue(WallClock.iso8601(Date()).hasSuffix("Z"))
    }

    func testISO8601ParsesBack() throws {
        let date = Date(timeIntervalSince1970: 1_234_567_890)
        let text = WallClock.iso8601(date)
        let parsed = try Date(text, strategy: .iso8601)
        XCTAssertEqual(parsed.timeIntervalSince1970, 1_234_567_890, accuracy: 1)
    }
}
