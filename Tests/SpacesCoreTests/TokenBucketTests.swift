import XCTest

@testable import SpacesCore

final class TokenBucketTests: XCTestCase {
    /// An arbitrary, non-zero start so that nothing depends on the clock starting at 0.
    private let t0: UInt64 = 1_700_000_000_000_000

    func testStartsFullAndHoldsItsParameters() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 5, nowMicros: self.t0)
        XCTAssertEqual(bucket.ratePerSecond, 10)
        XCTAssertEqual(bucket.burst, 5)
        XCTAssertEqual(bucket.available(nowMicros: self.t0), 5)
        XCTAssertEqual(bucket.microsUntilToken(nowMicros: self.t0), 0)
    }

    func testTakesBurstTokensThenRefuses() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 5, nowMicros: self.t0)
        for index in 0..<5 {
            XCTAssertTrue(bucket.tryTake(nowMicros: self.t0), "token \(index)")
        }
        XCTAssertFalse(bucket.tryTake(nowMicros: self.t0))
        XCTAssertFalse(bucket.tryTake(nowMicros: self.t0))
        XCTAssertEqual(bucket.available(nowMicros: self.t0), 0, accuracy: 1e-9)
    }

    func testFractionalBurstGivesOnlyWholeTokens() {
        var bucket = TokenBucket(ratePerSecond: 1, burst: 2.5, nowMicros: self.t0)
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0))
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0))
        XCTAssertFalse(bucket.tryTake(nowMicros: self.t0))
        XCTAssertEqual(bucket.available(nowMicros: self.t0), 0.5, accuracy: 1e-9)
        // Half a token missing at 1/s: 0.5 s.
        XCTAssertEqual(bucket.microsUntilToken(nowMicros: self.t0), 500_000)
    }

    func testRefillsAtTheRate() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 1, nowMicros: self.t0)
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0))
        XCTAssertFalse(bucket.tryTake(nowMicros: self.t0 + 50_000))
        XCTAssertEqual(bucket.available(nowMicros: self.t0 + 50_000), 0.5, accuracy: 1e-9)
        XCTAssertFalse(bucket.tryTake(nowMicros: self.t0 + 99_999))
        // 10/s: one token per 100 ms.
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0 + 100_000))
        XCTAssertFalse(bucket.tryTake(nowMicros: self.t0 + 100_000))
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0 + 200_000))
    }

    func testRefillOverOneSecondGivesRateTokens() {
        var bucket = TokenBucket(ratePerSecond: 4, burst: 10, nowMicros: self.t0)
        for _ in 0..<10 { XCTAssertTrue(bucket.tryTake(nowMicros: self.t0)) }
        XCTAssertFalse(bucket.tryTake(nowMicros: self.t0))
        let later = self.t0 + 1_000_000
        XCTAssertEqual(bucket.available(nowMicros: later), 4, accuracy: 1e-9)
        var taken = 0
        while bucket.tryTake(nowMicros: later) { taken += 1 }
        XCTAssertEqual(taken, 4)
    }

    func testNeverAboveBurstAfterALongIdle() {
        var bucket = TokenBucket(ratePerSecond: 100, burst: 3, nowMicros: self.t0)
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0))
        let hourLater = self.t0 + 3_600_000_000
        XCTAssertEqual(bucket.available(nowMicros: hourLater), 3)
        for _ in 0..<3 { XCTAssertTrue(bucket.tryTake(nowMicros: hourLater)) }
        XCTAssertFalse(bucket.tryTake(nowMicros: hourLater))
    }

    func testMicrosUntilToken() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 2, nowMicros: self.t0)
        XCTAssertEqual(bucket.microsUntilToken(nowMicros: self.t0), 0)
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0))
        // One token left: still 0.
        XCTAssertEqual(bucket.microsUntilToken(nowMicros: self.t0), 0)
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0))
        XCTAssertEqual(Double(bucket.microsUntilToken(nowMicros: self.t0)), 100_000, accuracy: 1)
        XCTAssertEqual(Double(bucket.microsUntilToken(nowMicros: self.t0 + 40_000)), 60_000, accuracy: 1)
        XCTAssertEqual(Double(bucket.microsUntilToken(nowMicros: self.t0 + 99_000)), 1_000, accuracy: 1)
        XCTAssertEqual(bucket.microsUntilToken(nowMicros: self.t0 + 100_000), 0)
        // Asking does not consume: the token is still there.
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0 + 100_000))
    }

    func testMicrosUntilTokenAtASlowRate() {
        var bucket = TokenBucket(ratePerSecond: 0.5, burst: 1, nowMicros: self.t0)
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0))
        XCTAssertEqual(Double(bucket.microsUntilToken(nowMicros: self.t0)), 2_000_000, accuracy: 1)
        // The promised wait is enough: a token is there when it is over.
        let wait = bucket.microsUntilToken(nowMicros: self.t0 + 123_457)
        XCTAssertFalse(bucket.tryTake(nowMicros: self.t0 + 123_457 + wait - 2))
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0 + 123_457 + wait))
    }

    func testTimeGoingBackwardsAddsNothing() {
        var bucket = TokenBucket(ratePerSecond: 10, burst: 1, nowMicros: self.t0 + 1_000_000)
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0 + 1_000_000))
        // Earlier times: no tokens, no crash, no negative count.
        XCTAssertEqual(bucket.available(nowMicros: self.t0), 0, accuracy: 1e-9)
        XCTAssertFalse(bucket.tryTake(nowMicros: self.t0))
        XCTAssertFalse(bucket.tryTake(nowMicros: 0))
        XCTAssertEqual(Double(bucket.microsUntilToken(nowMicros: self.t0 + 500_000)), 100_000, accuracy: 1)
        // Refill resumes from the latest time seen, not from the earlier readings.
        XCTAssertEqual(bucket.available(nowMicros: self.t0 + 1_050_000), 0.5, accuracy: 1e-9)
        XCTAssertFalse(bucket.tryTake(nowMicros: self.t0 + 1_050_000))
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0 + 1_100_000))
    }

    func testStartingInThePastOfTheFirstCallIsFine() {
        var bucket = TokenBucket(ratePerSecond: 1, burst: 1, nowMicros: self.t0)
        XCTAssertTrue(bucket.tryTake(nowMicros: self.t0 - 10))
        XCTAssertFalse(bucket.tryTake(nowMicros: self.t0))
    }

    /// Frequent readings must not lose fractions of tokens: 10 readings 10 ms apart at 10/s add
    /// up to exactly the one token a single reading after 100 ms gives.
    func testFrequentReadingsDoNotDelayTheToken() {
        var polled = TokenBucket(ratePerSecond: 10, burst: 1, nowMicros: self.t0)
        XCTAssertTrue(polled.tryTake(nowMicros: self.t0))
        for step in 1..<10 {
            XCTAssertFalse(polled.tryTake(nowMicros: self.t0 + UInt64(step) * 10_000))
        }
        XCTAssertTrue(polled.tryTake(nowMicros: self.t0 + 100_000), "token due at 100 ms is late")
    }

    func testEquatable() {
        var a = TokenBucket(ratePerSecond: 10, burst: 2, nowMicros: self.t0)
        let b = TokenBucket(ratePerSecond: 10, burst: 2, nowMicros: self.t0)
        XCTAssertEqual(a, b)
        XCTAssertTrue(a.tryTake(nowMicros: self.t0))
        XCTAssertNotEqual(a, b)
    }
}
