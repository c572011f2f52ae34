import XCTest

@testable import SpacesCore

final class SequenceTrackerTests: XCTestCase {
    func testInitialState() {
        let tracker = SequenceTracker()
        XCTAssertEqual(tracker.received, 0)
        XCTAssertEqual(tracker.lost, 0)
        XCTAssertEqual(tracker.gaps, 0)
        XCTAssertEqual(tracker.outOfOrder, 0)
        XCTAssertNil(tracker.expected)
    }

    func testFirstBatchMayStartAnywhere() {
        var tracker = SequenceTracker()
        tracker.record(first: 1_000_000, count: 5)
        XCTAssertEqual(tracker.received, 5)
        XCTAssertEqual(tracker.lost, 0)
        XCTAssertEqual(tracker.gaps, 0)
        XCTAssertEqual(tracker.expected, 1_000_005)
    }

    func testContiguousBatches() {
        var tracker = SequenceTracker()
        var next: UInt32 = 10
        for count in [1, 5, 50, 255, 3] {
            tracker.record(first: next, count: count)
            next += UInt32(count)
        }
        XCTAssertEqual(tracker.received, 314)
        XCTAssertEqual(tracker.lost, 0)
        XCTAssertEqual(tracker.gaps, 0)
        XCTAssertEqual(tracker.outOfOrder, 0)
        XCTAssertEqual(tracker.expected, 324)
    }

    func testGaps() {
        var tracker = SequenceTracker()
        tracker.record(first: 0, count: 5)  // 0…4
        tracker.record(first: 8, count: 2)  // 5, 6, 7 lost
        XCTAssertEqual(tracker.lost, 3)
        XCTAssertEqual(tracker.gaps, 1)
        tracker.record(first: 10, count: 1)  // contiguous
        XCTAssertEqual(tracker.gaps, 1)
        tracker.record(first: 20, count: 5)  // 11…19 lost
        XCTAssertEqual(tracker.lost, 12)
        XCTAssertEqual(tracker.gaps, 2)
        XCTAssertEqual(tracker.received, 13)
        XCTAssertEqual(tracker.outOfOrder, 0)
        XCTAssertEqual(tracker.expected, 25)
    }

    func testOutOfOrderAndRepeat() {
        var tracker = SequenceTracker()
        tracker.record(first: 100, count: 10)
        tracker.record(first: 100, count: 10)  // exact repeat
        XCTAssertEqual(tracker.outOfOrder, 1)
        XCTAssertEqual(tracker.lost, 0)
        XCTAssertEqual(tracker.gaps, 0)
        tracker.record(first: 105, count: 5)  // overlaps the past
        XCTAssertEqual(tracker.outOfOrder, 2)
        XCTAssertEqual(tracker.lost, 0)
        XCTAssertEqual(tracker.received, 25)
    }

    /// A stale batch arriving late is counted as out of order, and must not make the batches that
    /// follow it look like a gap: the frames in between were received.
    ///
    /// Fails against the current source: `record` sets `expected = first + count` even for a
    /// batch behind `expected`, so the next in-order batch is counted as a forward jump.
    func testStaleBatchDoesNotCreatePhantomLoss() {
        var tracker = SequenceTracker()
        tracker.record(first: 0, count: 5)  // 0…4
        tracker.record(first: 5, count: 5)  // 5…9
        tracker.record(first: 0, count: 5)  // stale replay of 0…4
        XCTAssertEqual(tracker.outOfOrder, 1)
        tracker.record(first: 10, count: 5)  // 10…14: nothing was lost
        XCTAssertEqual(tracker.lost, 0, "no frame between 0 and 14 went missing")
        XCTAssertEqual(tracker.gaps, 0)
        XCTAssertEqual(tracker.expected, 15)
    }

    func testWrapAroundAtUInt32Max() {
        var tracker = SequenceTracker()
        tracker.record(first: .max - 4, count: 3)  // max-4, max-3, max-2
        XCTAssertEqual(tracker.expected, .max - 1)
        tracker.record(first: .max - 1, count: 5)  // max-1, max, 0, 1, 2
        XCTAssertEqual(tracker.expected, 3)
        tracker.record(first: 3, count: 2)
        XCTAssertEqual(tracker.lost, 0)
        XCTAssertEqual(tracker.gaps, 0)
        XCTAssertEqual(tracker.outOfOrder, 0)
        XCTAssertEqual(tracker.received, 10)
        XCTAssertEqual(tracker.expected, 5)
    }

    func testGapAcrossWrap() {
        var tracker = SequenceTracker()
        tracker.record(first: .max - 2, count: 1)  // expected max-1
        tracker.record(first: 2, count: 1)  // max-1, max, 0, 1 lost
        XCTAssertEqual(tracker.lost, 4)
        XCTAssertEqual(tracker.gaps, 1)
        XCTAssertEqual(tracker.outOfOrder, 0)
        XCTAssertEqual(tracker.expected, 3)
    }

    func testBackwardsAcrossWrapIsOutOfOrder() {
        var tracker = SequenceTracker()
        tracker.record(first: 2, count: 2)  // expected 4
        tracker.record(first: .max, count: 1)  // 5 behind, across the wrap
        XCTAssertEqual(tracker.outOfOrder, 1)
        XCTAssertEqual(tracker.lost, 0)
        XCTAssertEqual(tracker.gaps, 0)
    }

    func testLargeForwardJump() {
        var tracker = SequenceTracker()
        tracker.record(first: 0, count: 1)
        tracker.record(first: 1 + 1_000_000, count: 1)
        XCTAssertEqual(tracker.lost, 1_000_000)
        XCTAssertEqual(tracker.gaps, 1)
    }
}
