import SpacesRedis
import XCTest

final class BackoffTests: XCTestCase {
    func testCeilingDoublesUpToTheCap() {
        let backoff = Backoff(baseMillis: 50, capMillis: 1000)
        XCTAssertEqual((0..<8).map { backoff.ceilingMillis(attempt: $0) }, [50, 100, 200, 400, 800, 1000, 1000, 1000])
        XCTAssertEqual(backoff.ceilingMillis(attempt: 10_000), 1000, "no overflow on a long outage")
    }

    func testDelaysStayWithinFloorAndCeiling() {
        let backoff = Backoff(baseMillis: 50, capMillis: 1000, floorMillis: 10)
        let third = (0..<2000).map { _ in backoff.delayMillis(attempt: 3) }
        XCTAssertGreaterThanOrEqual(third.min()!, 10)
        XCTAssertLessThanOrEqual(third.max()!, 400)
        XCTAssertGreaterThan(third.max()!, 300, "the whole range is used")
        let late = (0..<2000).map { _ in backoff.delayMillis(attempt: 20) }
        XCTAssertLessThanOrEqual(late.max()!, 1000)
        XCTAssertGreaterThan(late.max()!, 900)
    }

    func testDelaysAreSpreadOut() {
        let backoff = Backoff(baseMillis: 50, capMillis: 1000)
        let delays = Set((0..<200).map { _ in backoff.delayMillis(attempt: 6) })
        XCTAssertGreaterThan(delays.count, 50, "jitter spreads nodes that lost Redis together")
    }
}
