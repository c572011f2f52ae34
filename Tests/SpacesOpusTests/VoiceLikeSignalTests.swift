import XCTest
@testable import SpacesOpus

final class VoiceLikeSignalTests: XCTestCase {
    func testIsNotSilentAndNotClipped() {
        var signal = VoiceLikeSignal(sampleRate: 48_000, channels: 1)
        let samples = signal.next(frameSamples: 48_000 * 3)
        let peak = samples.map { abs(Int($0)) }.max()!
        let rms = (samples.reduce(0.0) { $0 + Double($1) * Double($1) } / Double(samples.count)).squareRoot()
        XCTAssertGreaterThan(rms, 500)
        XCTAssertGreaterThan(peak, 4000)
        XCTAssertLessThan(peak, 32_000)
    }

    func testHasPauses() {
        var signal = VoiceLikeSignal(sampleRate: 16_000, channels: 1)
        let samples = signal.next(frameSamples: 16_000 * 4)
        let frames = stride(from: 0, to: samples.count, by: 320).map { start in
            samples[start..<start + 320].map { abs(Int($0)) }.max()!
        }
        XCTAssertGreaterThan(frames.filter { $0 == 0 }.count, 10, "syllable gaps and phrase pauses")
        XCTAssertGreaterThan(frames.filter { $0 > 1000 }.count, frames.count / 2)
    }

    func testSpectrumPeaksInVoiceBandAndEighthSyllableIsSilent() {
        var signal = VoiceLikeSignal(sampleRate: 16_000, channels: 1)
        let samples = signal.next(frameSamples: 16_000 * 2)
        // Syllables are 250 ms (4000 samples); analyse the voiced middle of each.
        for syllable in 0..<7 {
            let start = syllable * 4000 + 400
            let peak = FrequencyEstimator.dominantFrequency(Array(samples[start..<start + 2800]), sampleRate: 16_000)
            XCTAssertTrue((100...1200).contains(peak), "syllable \(syllable): \(peak) Hz")
        }
        XCTAssertTrue(samples[28_000..<32_000].allSatisfy { $0 == 0 }, "phrase pause")
    }

    func testIsDeterministicAcrossInstances() {
        var first = VoiceLikeSignal(sampleRate: 48_000, channels: 2)
        var second = VoiceLikeSignal(sampleRate: 48_000, channels: 2)
        let a = first.next(frameSamples: 960 * 50)
        var b: [Int16] = []
        for _ in 0..<50 { b += second.next(frameSamples: 960) }
        XCTAssertEqual(a, b)
        XCTAssertEqual(a.count, 960 * 50 * 2)
    }

    func testStereoChannelsMatch() {
        var signal = VoiceLikeSignal(sampleRate: 24_000, channels: 2)
        let samples = signal.next(frameSamples: 2400)
        XCTAssertTrue(stride(from: 0, to: samples.count, by: 2).allSatisfy { samples[$0] == samples[$0 + 1] })
        XCTAssertTrue(samples.contains { $0 != 0 })
    }
}
