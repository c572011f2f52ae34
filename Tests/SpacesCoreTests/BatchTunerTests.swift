import XCTest

@testable import SpacesCore

final class BatchTunerTests: XCTestCase {
    /// Feeds `slices` slices of 256 writes at `micros` µs per write.
    private func measure(_ tuner: inout BatchTuner, micros: Double, slices: Int = 60) {
        for _ in 0..<slices { tuner.measured(writes: 256, nanoseconds: Int64(256 * micros * 1000)) }
    }

    func testItStartsFromTheConfiguredRate() {
        let tuner = BatchTuner(writesPerSecondPerCore: 30_000, share: 0.35, maximumFrames: 50)
        XCTAssertEqual(tuner.writesPerSecond, 30_000, accuracy: 1)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 0), 1)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 600), 1)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 601), 2)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 3_000), 5)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 29_401), 50)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 1_000_000), 50, "never past maxBatchLatencyMs")
    }

    func testBatchesFollowTheMeasuredCostPerWrite() {
        var tuner = BatchTuner(writesPerSecondPerCore: 30_000, share: 0.35, maximumFrames: 50)
        self.measure(&tuner, micros: 20)
        XCTAssertEqual(tuner.nanosecondsPerWrite, 20_000, accuracy: 50)
        // 0.35 s per second / 20 µs = 17,500 writes/s: 15,000 listeners × 50 frames need 43 per write.
        XCTAssertEqual(tuner.framesPerWrite(listeners: 15_000), 43)
        // Cheaper writes: narrower batches (less latency) for the same share.
        self.measure(&tuner, micros: 5)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 15_000), 11)
    }

    func testARateSetFiveTimesTooHighIsCorrectedByTheMeasurements() {
        // 150,000 writes/s assumes 2.3 µs per write; this loop's cost 12.
        var tuner = BatchTuner(writesPerSecondPerCore: 150_000, share: 0.35, maximumFrames: 50)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 15_000), 5)
        self.measure(&tuner, micros: 12)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 15_000), 26)
        XCTAssertLessThanOrEqual(tuner.writesPerSecond * 12e-6, 0.3501, "the fan-out takes its share, not more")
    }

    func testShortSlicesAreNotTimed() {
        var tuner = BatchTuner(writesPerSecondPerCore: 30_000, share: 0.35, maximumFrames: 50)
        let start = tuner.nanosecondsPerWrite
        tuner.measured(writes: BatchTuner.minimumWrites - 1, nanoseconds: 1_000_000_000)
        tuner.measured(writes: 100, nanoseconds: 0)
        XCTAssertEqual(tuner.nanosecondsPerWrite, start)
    }

    func testAShardBehindWidensThenEasesBack() {
        var tuner = BatchTuner(writesPerSecondPerCore: 30_000, share: 0.35, maximumFrames: 50)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 3_000), 5)
        // 100 ms batches started 150 ms after their first frame: on time (one interval plus noise).
        tuner.started(lagMicros: 150_000, framesPerWrite: 5, nowMicros: 1_000_000)
        XCTAssertEqual(tuner.pressure, 1)
        // 400 ms late: behind.
        tuner.started(lagMicros: 400_000, framesPerWrite: 5, nowMicros: 1_000_000)
        XCTAssertEqual(tuner.pressure, 1.5)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 3_000), 8)
        // Other Spaces' deliveries found behind in the same moment do not widen it again.
        for _ in 0..<10 { tuner.started(lagMicros: 400_000, framesPerWrite: 8, nowMicros: 1_100_000) }
        XCTAssertEqual(tuner.pressure, 1.5)
        // Half a second later, still behind: wider.
        tuner.started(lagMicros: 600_000, framesPerWrite: 8, nowMicros: 1_500_000)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 3_000), 12)
        // Never more than the maximum, however long it stays behind, and the pressure is bounded.
        for step in 0..<100 { tuner.started(lagMicros: 10_000_000, framesPerWrite: 50, nowMicros: 2_000_000 + UInt64(step) * 500_000) }
        XCTAssertEqual(tuner.framesPerWrite(listeners: 3_000), 50)
        XCTAssertEqual(tuner.pressure, 100)
        // Back to keeping up: it eases off until the measured cost alone decides again. A held
        // batch shows up to one interval of lag, and a little queueing on top is not "behind".
        for step in 0..<200 {
            let frames = tuner.framesPerWrite(listeners: 3_000)
            tuner.started(lagMicros: UInt64(frames) * 20_000 + 30_000, framesPerWrite: frames, nowMicros: 60_000_000 + UInt64(step) * 100_000)
        }
        XCTAssertEqual(tuner.pressure, 1)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 3_000), 5)
    }

    func testADeliveryStartingLateLengthensTheSlicesFirst() {
        var tuner = BatchTuner(writesPerSecondPerCore: 30_000, share: 0.35, maximumFrames: 50)
        XCTAssertEqual(tuner.writesPerSlice(configured: 256), 256, "on time: the configured slice")
        // 1 s batches starting 1.2 s after their first frame: 200 ms of queueing, on time.
        tuner.started(lagMicros: 1_200_000, framesPerWrite: 50, nowMicros: 1_000_000)
        XCTAssertEqual(tuner.writesPerSlice(configured: 256), 256)
        // 1.4 s: 400 ms late. Not yet behind for the batching (one more interval: 2 s), but the
        // fan-out gets its longest turns at once.
        tuner.started(lagMicros: 1_400_000, framesPerWrite: 50, nowMicros: 2_000_000)
        XCTAssertEqual(tuner.writesPerSlice(configured: 256), 2048, "eight times")
        XCTAssertEqual(tuner.pressure, 1)
        // On time again: back to the configured slice, delivery by delivery.
        tuner.started(lagMicros: 1_000_000, framesPerWrite: 50, nowMicros: 10_000_000)
        XCTAssertEqual(tuner.writesPerSlice(configured: 256), 1843)
        for step in 0..<30 { tuner.started(lagMicros: 1_000_000, framesPerWrite: 50, nowMicros: 11_000_000 + UInt64(step) * 1_000_000) }
        XCTAssertEqual(tuner.writesPerSlice(configured: 256), 256)
        // A delivery that has grown late while it is written gets the longest turns for itself.
        XCTAssertEqual(tuner.writesPerSlice(configured: 256, lateMicros: 300_000), 2048)
        XCTAssertEqual(tuner.writesPerSlice(configured: 256, lateMicros: 100_000), 256)
    }

    func testAFewListenersAreNeverBatched() {
        var tuner = BatchTuner(writesPerSecondPerCore: 30_000, share: 0.35, maximumFrames: 50)
        self.measure(&tuner, micros: 40)
        XCTAssertEqual(tuner.framesPerWrite(listeners: 100), 1)
    }
}
