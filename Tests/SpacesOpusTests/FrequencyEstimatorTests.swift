import XCTest
@testable import SpacesOpus

final class FrequencyEstimatorTests: XCTestCase {
    func testGeneratedTonesWithinOneHertz() {
        for frequency in [300.0, 440.0, 1000.0] {
            var tone = ToneGenerator(frequency: frequency, sampleRate: 48_000, channels: 1)
            let samples = tone.next(frameSamples: 48_000)
            XCTAssertEqual(FrequencyEstimator.dominantFrequency(samples, sampleRate: 48_000), frequency, accuracy: 1)
        }
    }

    func testNonIntegerFrequencyAndOtherRates() {
        var tone = ToneGenerator(frequency: 437.3, sampleRate: 16_000, channels: 1)
        let samples = tone.next(frameSamples: 24_000)
        XCTAssertEqual(FrequencyEstimator.dominantFrequency(samples, sampleRate: 16_000), 437.3, accuracy: 0.2)
    }

    func testStereoIsMixedToMono() {
        var tone = ToneGenerator(frequency: 1000, sampleRate: 44_100, channels: 2)
        let samples = tone.next(frameSamples: 44_100)
        XCTAssertEqual(FrequencyEstimator.dominantFrequency(samples, sampleRate: 44_100, channels: 2), 1000, accuracy: 1)
    }

    func testPicksStrongestOfTwoTones() {
        var strong = ToneGenerator(frequency: 700, sampleRate: 48_000, channels: 1, amplitude: 0.5)
        var weak = ToneGenerator(frequency: 300, sampleRate: 48_000, channels: 1, amplitude: 0.1)
        let mixed = zip(strong.next(frameSamples: 48_000), weak.next(frameSamples: 48_000)).map { $0 &+ $1 }
        XCTAssertEqual(FrequencyEstimator.dominantFrequency(mixed, sampleRate: 48_000), 700, accuracy: 1)
    }

    func testSilenceAndTinyInputGiveZero() {
        XCTAssertEqual(FrequencyEstimator.dominantFrequency([Int16](repeating: 0, count: 4800), sampleRate: 48_000), 0)
        XCTAssertEqual(FrequencyEstimator.dominantFrequency([1, 2, 3], sampleRate: 48_000), 0)
        XCTAssertEqual(FrequencyEstimator.dominantFrequency([Int16](repeating: 1000, count: 4800), sampleRate: 48_000), 0)
    }

    func testFiveSecondsIsFast() {
        var tone = ToneGenerator(frequency: 440, sampleRate: 48_000, channels: 1)
        let samples = tone.next(frameSamples: 48_000 * 5)
        let start = ContinuousClock.now
        let frequency = FrequencyEstimator.dominantFrequency(samples, sampleRate: 48_000)
        let elapsed = ContinuousClock.now - start
        XCTAssertEqual(frequency, 440, accuracy: 1)
        XCTAssertLessThan(elapsed, .seconds(1))
    }
}
