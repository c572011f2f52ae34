import SpacesCore
import XCTest

final class DropPolicyTests: XCTestCase {
    func testWithinBudgetSends() {
        var policy = DropPolicy(evictAfterMicros: 10_000_000)
        XCTAssertEqual(policy.offer(withinBudget: true, nowMicros: 1), .send)
        XCTAssertNil(policy.behindSinceMicros)
        XCTAssertEqual(policy.dropped, 0)
    }

    func testOverBudgetDropsThenEvictsAfterTheLimit() {
        var policy = DropPolicy(evictAfterMicros: 10_000_000)
        XCTAssertEqual(policy.offer(withinBudget: false, nowMicros: 1_000_000), .drop)
        XCTAssertEqual(policy.behindSinceMicros, 1_000_000)
        XCTAssertEqual(policy.offer(withinBudget: false, nowMicros: 11_000_000), .drop, "exactly the limit is not over it")
        XCTAssertEqual(policy.offer(withinBudget: false, nowMicros: 11_000_001), .evict)
        XCTAssertEqual(policy.dropped, 3)
    }

    func testCatchingUpResetsTheClock() {
        var policy = DropPolicy(evictAfterMicros: 10_000_000)
        _ = policy.offer(withinBudget: false, nowMicros: 0)
        _ = policy.offer(withinBudget: false, nowMicros: 9_000_000)
        policy.caughtUp()
        XCTAssertNil(policy.behindSinceMicros)
        // Behind again later: the limit counts from the new start, not the old one.
        XCTAssertEqual(policy.offer(withinBudget: false, nowMicros: 15_000_000), .drop)
        XCTAssertEqual(policy.offer(withinBudget: false, nowMicros: 24_000_000), .drop)
        XCTAssertEqual(policy.offer(withinBudget: false, nowMicros: 25_000_001), .evict)
    }

    func testASentBatchAlsoMeansCaughtUp() {
        var policy = DropPolicy(evictAfterMicros: 1_000)
        _ = policy.offer(withinBudget: false, nowMicros: 0)
        XCTAssertEqual(policy.offer(withinBudget: true, nowMicros: 500), .send)
        XCTAssertEqual(policy.offer(withinBudget: false, nowMicros: 5_000), .drop)
        XCTAssertEqual(policy.dropped, 2)
    }

    func testAClockThatStepsBackNeverEvicts() {
        var policy = DropPolicy(evictAfterMicros: 1_000)
        _ = policy.offer(withinBudget: false, nowMicros: 10_000)
        XCTAssertEqual(policy.offer(withinBudget: false, nowMicros: 5), .drop)
    }
}
