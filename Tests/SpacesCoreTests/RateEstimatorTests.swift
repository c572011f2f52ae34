import XCTest

@testable import SpacesCore

final class RateEstimatorTests: XCTestCase {
    private let t0: UInt64 = 1_700_000_000_000_000

    private func estimator(at times: [UInt64], window: Int = 64, horizonMicros: UInt64 = 60_000_000) -> RateEstimator {
        var estimator = RateEstimator(window: window, horizonMicros: horizonMicros)
        for time in times { estimator.record(nowMicros: time) }
        return estimator
    }

    func testDefaults() {
        let estimator = RateEstimator()
        XCTAssertEqual(estimator.window, 64)
        XCTAssertEqual(estimator.horizonMicros, 60_000_000)
    }

    func testNilWithFewerThanTwoEvents() {
        var estimator = RateEstimator(window: 8, horizonMicros: 10_000_000)
        XCTAssertNil(estimator.perSecond(nowMicros: self.t0))
        estimator.record(nowMicros: self.t0)
        XCTAssertNil(estimator.perSecond(nowMicros: self.t0))
        XCTAssertNil(estimator.perSecond(nowMicros: self.t0 + 1_000_000))
        estimator.record(nowMicros: self.t0 + 100_000)
        XCTAssertNotNil(estimator.perSecond(nowMicros: self.t0 + 100_000))
    }

    func testEventsAllAtOneInstantGiveNoRate() {
        let estimator = self.estimator(at: [self.t0, self.t0, self.t0])
        // No span of time to divide by: no rate (and no division by zero).
        XCTAssertNil(estimator.perSecond(nowMicros: self.t0))
    }

    /// Ten events 100 ms apart are ten per second, read at the moment of the last one (which is
    /// when an admission controller reads it, right after admitting).
    func testRateOfEvenlySpacedEventsAtTheLastEvent() throws {
        let times = (0..<10).map { self.t0 + UInt64($0) * 100_000 }
        let estimator = self.estimator(at: times)
        let rate = try XCTUnwrap(estimator.perSecond(nowMicros: times.last!))
        XCTAssertEqual(rate, 10, accuracy: 0.01)
    }

    /// Two events 100 ms apart: one interval of 100 ms, 10/s (not 20/s).
    func testRateOfTwoEvents() throws {
        let estimator = self.estimator(at: [self.t0, self.t0 + 100_000])
        let rate = try XCTUnwrap(estimator.perSecond(nowMicros: self.t0 + 100_000))
        XCTAssertEqual(rate, 10, accuracy: 0.01)
    }

    /// Places freed two at a time every 7 s: 2 per 7 s, however the first pair falls.
    func testEventsInBlocksCountOnlyThoseAfterTheOldestInstant() throws {
        let estimator = self.estimator(at: [self.t0, self.t0, self.t0 + 7_000_000, self.t0 + 7_000_000])
        let rate = try XCTUnwrap(estimator.perSecond(nowMicros: self.t0 + 7_000_000))
        XCTAssertEqual(rate, 2.0 / 7, accuracy: 1e-9)
        // With events spread out, the same as counting all but one.
        let spread = self.estimator(at: [self.t0, self.t0 + 1_000_000, self.t0 + 2_000_000])
        XCTAssertEqual(try XCTUnwrap(spread.perSecond(nowMicros: self.t0 + 2_000_000)), 1, accuracy: 1e-9)
    }

    /// An ETA asks for two intervals: one says little when places free in uneven blocks.
    func testAtLeastAsksForThatManyEventsAfterTheOldest() throws {
        var estimator = self.estimator(at: [self.t0, self.t0 + 50_000])
        XCTAssertNotNil(estimator.perSecond(nowMicros: self.t0 + 1_000_000))
        XCTAssertNil(estimator.perSecond(nowMicros: self.t0 + 1_000_000, atLeast: 2), "one interval: cannot tell")
        estimator.record(nowMicros: self.t0 + 7_000_000)
        let rate = try XCTUnwrap(estimator.perSecond(nowMicros: self.t0 + 7_000_000, atLeast: 2))
        XCTAssertEqual(rate, 2.0 / 7, accuracy: 1e-9)
    }

    func testRateOfEvenlySpacedEventsIsAboutTheSpacing() throws {
        // 10 events 100 ms apart, read one spacing after the last: about 10/s whichever way the
        // fence posts are counted.
        let times = (0..<10).map { self.t0 + UInt64($0) * 100_000 }
        let estimator = self.estimator(at: times)
        let rate = try XCTUnwrap(estimator.perSecond(nowMicros: self.t0 + 1_000_000))
        XCTAssertGreaterThanOrEqual(rate, 9 - 1e-9)
        XCTAssertLessThanOrEqual(rate, 10 + 1e-9)
        // 4 per second: 21 events 250 ms apart.
        let slow = self.estimator(at: (0...20).map { self.t0 + UInt64($0) * 250_000 })
        let slowRate = try XCTUnwrap(slow.perSecond(nowMicros: self.t0 + 5_250_000))
        XCTAssertGreaterThanOrEqual(slowRate, 3.8)
        XCTAssertLessThanOrEqual(slowRate, 4 + 1e-9)
    }

    func testOnlyTheLastWindowEventsAreKept() throws {
        // Four slow events (1/s) then four fast ones (10/s) through a window of four: only the
        // fast ones count, exactly as if the slow ones had never been seen.
        let slow = (0..<4).map { self.t0 + UInt64($0) * 1_000_000 }
        let fast = (0..<4).map { self.t0 + 10_000_000 + UInt64($0) * 100_000 }
        let now = fast.last!
        let replaced = self.estimator(at: slow + fast, window: 4)
        let fresh = self.estimator(at: fast, window: 4)
        let rate = try XCTUnwrap(replaced.perSecond(nowMicros: now))
        XCTAssertEqual(rate, try XCTUnwrap(fresh.perSecond(nowMicros: now)))
        XCTAssertGreaterThan(rate, 5)
        // A big window would have kept the slow ones.
        let unbounded = self.estimator(at: slow + fast, window: 64)
        XCTAssertLessThan(try XCTUnwrap(unbounded.perSecond(nowMicros: now)), 1)
    }

    func testWindowWrapsAroundRepeatedly() throws {
        // 4-event window fed 4k+2 events: the ring's start is mid-array.
        for count in [5, 6, 7, 9, 10, 11, 23] {
            let times = (0..<count).map { self.t0 + UInt64($0 * $0) * 10_000 }  // ever wider gaps
            let now = times.last!
            let ring = self.estimator(at: times, window: 4)
            let lastFour = self.estimator(at: Array(times.suffix(4)), window: 4)
            XCTAssertEqual(ring.perSecond(nowMicros: now), lastFour.perSecond(nowMicros: now), "count \(count)")
            XCTAssertNotNil(ring.perSecond(nowMicros: now))
        }
    }

    func testEventsOlderThanTheHorizonAreForgotten() throws {
        let horizon: UInt64 = 1_000_000
        let estimator = self.estimator(at: [self.t0, self.t0 + 100_000], horizonMicros: horizon)
        XCTAssertNotNil(estimator.perSecond(nowMicros: self.t0 + 200_000))
        // The first event is past the horizon, the second is not: one event left, no rate.
        XCTAssertNil(estimator.perSecond(nowMicros: self.t0 + 1_050_000))
        // Both past it.
        XCTAssertNil(estimator.perSecond(nowMicros: self.t0 + 5_000_000))
        XCTAssertNil(estimator.perSecond(nowMicros: self.t0 + 3_600_000_000))
    }

    func testOnlyEventsWithinTheHorizonCount() throws {
        let horizon: UInt64 = 1_000_000
        let old = [self.t0, self.t0 + 10_000]
        let recent = (0..<5).map { self.t0 + 5_000_000 + UInt64($0) * 100_000 }
        let now = recent.last!
        let mixed = self.estimator(at: old + recent, horizonMicros: horizon)
        let onlyRecent = self.estimator(at: recent, horizonMicros: horizon)
        XCTAssertEqual(mixed.perSecond(nowMicros: now), onlyRecent.perSecond(nowMicros: now))
        XCTAssertGreaterThan(try XCTUnwrap(mixed.perSecond(nowMicros: now)), 5)
    }

    func testEventExactlyAtTheHorizonIsStillCounted() {
        // "Older than the horizon" is forgotten; exactly the horizon old is not older.
        let estimator = self.estimator(at: [self.t0, self.t0 + 500_000], horizonMicros: 1_000_000)
        XCTAssertNotNil(estimator.perSecond(nowMicros: self.t0 + 1_000_000))
        XCTAssertNil(estimator.perSecond(nowMicros: self.t0 + 1_000_001))
    }

    func testEquatable() {
        var a = RateEstimator(window: 4, horizonMicros: 1_000_000)
        let b = RateEstimator(window: 4, horizonMicros: 1_000_000)
        XCTAssertEqual(a, b)
        a.record(nowMicros: self.t0)
        XCTAssertNotEqual(a, b)
        XCTAssertNotEqual(RateEstimator(window: 4), RateEstimator(window: 5))
    }
}
