import Foundation
import Histogram
import XCTest

@testable import SpacesLoad

final class LoadReportTests: XCTestCase {
    private func second(_ index: Int, connected: Int, framesReceived: Int, latency: UInt64) -> LoadReport.Second {
        var second = LoadReport.Second(second: index)
        second.connected = connected
        second.admitted = connected
        second.framesReceived = framesReceived
        second.latency.record(micros: latency)
        return second
    }

    private func workerA() -> LoadReport {
        var report = LoadReport()
        report.listeners = 100
        report.admitted = 90
        report.admittedFromWaiting = 5
        report.waitingAnswers = 8
        report.framesReceived = 1_000
        report.framesLost = 10
        report.gaps = 2
        report.bytesReceived = 40_000
        report.httpRefusals = ["503": 2]
        report.closeCodes = ["1000": 90]
        report.failures = ["timeout": 1]
        report.durationSeconds = 30
        report.serverBefore = ["spaces_listeners": 0]
        for value in 1...100 { _ = report.latencyMicros.record(UInt64(value) * 1_000) }
        _ = report.connectMicros.record(2_000)
        report.timeline = [
            self.second(0, connected: 10, framesReceived: 100, latency: 20_000),
            self.second(1, connected: 20, framesReceived: 200, latency: 30_000),
        ]
        return report
    }

    private func workerB() -> LoadReport {
        var report = LoadReport()
        report.listeners = 50
        report.admitted = 45
        report.framesReceived = 500
        report.framesLost = 490
        report.gaps = 3
        report.bytesReceived = 20_000
        report.httpRefusals = ["503": 1, "429": 4]
        report.closeCodes = ["none": 2]
        report.durationSeconds = 31.5
        report.serverBefore = ["spaces_listeners": 99]
        report.serverAfter = ["spaces_listeners": 150]
        for value in 101...200 { _ = report.latencyMicros.record(UInt64(value) * 1_000) }
        report.timeline = [
            self.second(1, connected: 5, framesReceived: 50, latency: 300_000),
            self.second(2, connected: 7, framesReceived: 70, latency: 40_000),
        ]
        return report
    }

    func testMergeAddsCounters() {
        var merged = self.workerA()
        merged.merge(self.workerB())
        XCTAssertEqual(merged.workers, 2)
        XCTAssertEqual(merged.listeners, 150)
        XCTAssertEqual(merged.admitted, 135)
        XCTAssertEqual(merged.admittedFromWaiting, 5)
        XCTAssertEqual(merged.framesReceived, 1_500)
        XCTAssertEqual(merged.framesLost, 500)
        XCTAssertEqual(merged.gaps, 5)
        XCTAssertEqual(merged.bytesReceived, 60_000)
        XCTAssertEqual(merged.httpRefusals, ["503": 3, "429": 4])
        XCTAssertEqual(merged.closeCodes, ["1000": 90, "none": 2])
        XCTAssertEqual(merged.failures, ["timeout": 1])
        XCTAssertEqual(merged.lossRatio, 0.25, accuracy: 1e-12)
    }

    func testMergeKeepsTheLongestDurationAndTheFirstServerReadings() {
        var merged = self.workerA()
        merged.merge(self.workerB())
        XCTAssertEqual(merged.durationSeconds, 31.5)
        XCTAssertEqual(merged.serverBefore, ["spaces_listeners": 0], "a reading already present is kept")
        XCTAssertEqual(merged.serverAfter, ["spaces_listeners": 150], "a missing reading is taken")
        var shorter = self.workerB()
        shorter.merge(self.workerA())
        XCTAssertEqual(shorter.durationSeconds, 31.5)
    }

    func testMergeCombinesHistograms() {
        var merged = self.workerA()
        merged.merge(self.workerB())
        XCTAssertEqual(merged.latencyMicros.totalCount, 200)
        XCTAssertEqual(merged.connectMicros.totalCount, 1)
        XCTAssertEqual(merged.welcomeMicros.totalCount, 0)
        // 1…200 ms evenly: the median is near 100 ms, p99 near 198 ms, max 200 ms.
        XCTAssertEqual(Double(merged.latencyMicros.valueAtPercentile(50)), 100_000, accuracy: 2_000)
        XCTAssertEqual(Double(merged.latencyMicros.valueAtPercentile(99)), 198_000, accuracy: 3_000)
        XCTAssertEqual(Double(merged.latencyMicros.maxRecorded), 200_000, accuracy: 2_000)
        XCTAssertEqual(merged.latencyMicros.mean, 100_500, accuracy: 1_500)
    }

    func testMergeCombinesTimelinesBySecond() {
        var merged = self.workerA()
        merged.merge(self.workerB())
        XCTAssertEqual(merged.timeline.map(\.second), [0, 1, 2], "sorted, one entry per second")
        XCTAssertEqual(merged.timeline.map(\.connected), [10, 25, 7], "second 1 overlaps and adds up")
        XCTAssertEqual(merged.timeline.map(\.admitted), [10, 25, 7])
        XCTAssertEqual(merged.timeline.map(\.framesReceived), [100, 250, 70])
        XCTAssertEqual(merged.timeline.map(\.latency.total), [1, 2, 1])
        XCTAssertEqual(Double(merged.timeline[1].latency.percentile(100)), 300_000, accuracy: 300_000 * 0.19)
        XCTAssertEqual(Double(merged.timeline[1].latency.percentile(50)), 30_000, accuracy: 30_000 * 0.19)
    }

    func testMergeOfDisjointTimelines() {
        var early = LoadReport()
        early.timeline = [self.second(0, connected: 1, framesReceived: 1, latency: 1_000)]
        var late = LoadReport()
        late.timeline = [self.second(5, connected: 2, framesReceived: 2, latency: 2_000)]
        late.merge(early)
        XCTAssertEqual(late.timeline.map(\.second), [0, 5])
        XCTAssertEqual(late.timeline.map(\.connected), [1, 2])
    }

    func testMergingAnEmptyReportChangesNoFigure() {
        var merged = self.workerA()
        merged.merge(LoadReport())
        XCTAssertEqual(merged.listeners, 100)
        XCTAssertEqual(merged.latencyMicros.totalCount, 100)
        XCTAssertEqual(merged.timeline, self.workerA().timeline)
        XCTAssertEqual(merged.durationSeconds, 30)
    }

    func testJSONRoundTrip() throws {
        var original = self.workerA()
        original.merge(self.workerB())
        let data = try JSONEncoder().encode(original)
        let decoded = try JSONDecoder().decode(LoadReport.self, from: data)
        XCTAssertEqual(decoded.workers, original.workers)
        XCTAssertEqual(decoded.listeners, original.listeners)
        XCTAssertEqual(decoded.admitted, original.admitted)
        XCTAssertEqual(decoded.framesLost, original.framesLost)
        XCTAssertEqual(decoded.httpRefusals, original.httpRefusals)
        XCTAssertEqual(decoded.closeCodes, original.closeCodes)
        XCTAssertEqual(decoded.failures, original.failures)
        XCTAssertEqual(decoded.timeline, original.timeline)
        XCTAssertEqual(decoded.durationSeconds, original.durationSeconds)
        XCTAssertEqual(decoded.serverBefore, original.serverBefore)
        XCTAssertEqual(decoded.serverAfter, original.serverAfter)
        XCTAssertEqual(decoded.latencyMicros.totalCount, 200)
        for p in [50.0, 90, 99, 99.9] {
            XCTAssertEqual(decoded.latencyMicros.valueAtPercentile(p), original.latencyMicros.valueAtPercentile(p), "p\(p)")
        }
        XCTAssertEqual(decoded.latencyMicros.maxRecorded, original.latencyMicros.maxRecorded)
        XCTAssertEqual(decoded.connectMicros.totalCount, 1)
        // A decoded report still merges.
        var again = decoded
        again.merge(decoded)
        XCTAssertEqual(again.latencyMicros.totalCount, 400)
        XCTAssertEqual(again.listeners, 300)
    }

    // MARK: LatencyBuckets

    func testBucketPercentilesAreWithinNineteenPercent() {
        var buckets = LatencyBuckets()
        for value in 1...10_000 { buckets.record(micros: UInt64(value) * 100) }  // 100 µs … 1 s, evenly
        XCTAssertEqual(buckets.total, 10_000)
        for p in [10.0, 50, 90, 99, 99.9, 100] {
            let exact = p / 100 * 1_000_000
            let read = Double(buckets.percentile(p))
            XCTAssertGreaterThanOrEqual(read, exact * 0.999, "p\(p): the bucket's upper bound is at or above the value")
            XCTAssertLessThanOrEqual(Swift.abs(read - exact) / exact, 0.19, "p\(p): \(read) vs \(exact)")
        }
    }

    func testBucketsOfASingleValue() {
        var buckets = LatencyBuckets()
        for _ in 0..<10 { buckets.record(micros: 123_000) }
        for p in [0.0, 50, 100] {
            let read = Double(buckets.percentile(p))
            XCTAssertEqual(read, 123_000, accuracy: 123_000 * 0.19, "p\(p)")
        }
    }

    func testBucketsMerge() {
        var low = LatencyBuckets()
        var high = LatencyBuckets()
        for _ in 0..<90 { low.record(micros: 10_000) }
        for _ in 0..<10 { high.record(micros: 1_000_000) }
        var merged = low
        merged.merge(high)
        XCTAssertEqual(merged.total, 100)
        XCTAssertEqual(merged.counts.reduce(0) { $0 + UInt64($1) }, 100)
        XCTAssertEqual(Double(merged.percentile(50)), 10_000, accuracy: 10_000 * 0.19)
        XCTAssertEqual(Double(merged.percentile(95)), 1_000_000, accuracy: 1_000_000 * 0.19)
        XCTAssertNotEqual(merged, low)
    }

    func testEmptyBucketsReadZero() {
        let empty = LatencyBuckets()
        XCTAssertEqual(empty.total, 0)
        XCTAssertEqual(empty.percentile(50), 0)
        XCTAssertEqual(empty.percentile(99), 0)
        var merged = empty
        merged.merge(LatencyBuckets())
        XCTAssertEqual(merged.percentile(99), 0)
    }

    func testBucketsClampHugeAndTinyValues() {
        var buckets = LatencyBuckets()
        buckets.record(micros: 0)
        buckets.record(micros: UInt64.max)
        XCTAssertEqual(buckets.counts.first, 1)
        XCTAssertEqual(buckets.counts.last, 1)
        XCTAssertEqual(buckets.percentile(100), LatencyBuckets.upperBound(LatencyBuckets.bucketCount - 1))
    }

    func testBucketsRoundTripThroughJSON() throws {
        var buckets = LatencyBuckets()
        for value: UInt64 in [5_000, 50_000, 500_000] { buckets.record(micros: value) }
        let decoded = try JSONDecoder().decode(LatencyBuckets.self, from: JSONEncoder().encode(buckets))
        XCTAssertEqual(decoded, buckets)
        XCTAssertEqual(decoded.percentile(50), buckets.percentile(50))
    }
}
