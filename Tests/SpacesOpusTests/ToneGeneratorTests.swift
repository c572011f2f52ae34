import XCTest
@testable import SpacesOpus

final class ToneGeneratorTests: XCTestCase {
    func testPhaseIsContinuousAcrossCalls() {
        var chunked = ToneGenerator(frequency: 440, sampleRate: 48_000, channels: 1)
        var whole = ToneGenerator(frequency: 440, sampleRate: 48_000, channels: 1)
        let pieces = chunked.next(frameSamples: 123) + chunked.next(frameSamples: 960) + chunked.next(frameSamples: 7)
        XCTAssertEqual(pieces, whole.next(frameSamples: 123 + 960 + 7))
    }

    func testAmplitudeAndStereoInterleaving() {
        var tone = ToneGenerator(frequency: 1000, sampleRate: 48_000, channels: 2, amplitude: 0.25)
        let samples = tone.next(frameSamples: 4800)
        XCTAssertEqual(samples.count, 9600)
        for frame in stride(from: 0, to: samples.count, by: 2) {
            XCTAssertEqual(samples[frame], samples[frame + 1])
        }
        let peak = samples.map { abs(Int($0)) }.max()!
        XCTAssertEqual(Double(peak), 0.25 * 32_767, accuracy: 2)
    }

    func testZeroCrossingsMatchFrequency() {
        var tone = ToneGenerator(frequency: 100, sampleRate: 8000, channels: 1)
        let samples = tone.next(frameSamples: 8000).dropFirst()
        var crossings = 0
        var previous = samples.first!
        for sample in samples.dropFirst() {
            if (previous < 0) != (sample < 0) { crossings += 1 }
            previous = sample
        }
        XCTAssertEqual(crossings, 200, accuracy: 2)
    }
}
