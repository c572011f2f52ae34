import XCTest
@testable import SpacesOpus

final class OpusDecoderTests: XCTestCase {
    /// Encodes `seconds` of a tone and returns the decoded audio without the first `skipFrames` frames.
    private func roundTrip(
        inputRate: Int,
        inputChannels: Int,
        outputRate: Int,
        outputChannels: Int,
        seconds: Int = 2,
        skipFrames: Int = 5
    ) throws -> [Int16] {
        let encoder = try OpusEncoder(sampleRate: inputRate, channels: inputChannels)
        let decoder = try OpusDecoder(sampleRate: outputRate, channels: outputChannels)
        var tone = ToneGenerator(frequency: 440, sampleRate: inputRate, channels: inputChannels)
        var decoded: [Int16] = []
        for frame in 0..<(seconds * 50) {
            let packet = try encoder.encode(tone.next(frameSamples: encoder.frameSamples))
            XCTAssertTrue((1...1275).contains(packet.count))
            let pcm = try decoder.decode(packet)
            XCTAssertEqual(pcm.count, outputRate / 50 * outputChannels)
            if frame >= skipFrames { decoded += pcm }
        }
        return decoded
    }

    func testToneSurvivesMonoRoundTrip() throws {
        let decoded = try roundTrip(inputRate: 48_000, inputChannels: 1, outputRate: 48_000, outputChannels: 1)
        let frequency = FrequencyEstimator.dominantFrequency(decoded, sampleRate: 48_000)
        XCTAssertEqual(frequency, 440, accuracy: 5)
        XCTAssertGreaterThan(decoded.map { abs(Int($0)) }.max() ?? 0, 5_000)
    }

    func testToneSurvivesStereoSixteenKilohertzRoundTrip() throws {
        let decoded = try roundTrip(inputRate: 16_000, inputChannels: 2, outputRate: 48_000, outputChannels: 2)
        let frequency = FrequencyEstimator.dominantFrequency(decoded, sampleRate: 48_000, channels: 2)
        XCTAssertEqual(frequency, 440, accuracy: 5)
    }

    func testDecodingAtInputRate() throws {
        let decoded = try roundTrip(inputRate: 16_000, inputChannels: 1, outputRate: 16_000, outputChannels: 1)
        XCTAssertEqual(FrequencyEstimator.dominantFrequency(decoded, sampleRate: 16_000), 440, accuracy: 5)
    }

    func testDecodeLostReturnsOneFrame() throws {
        let encoder = try OpusEncoder(sampleRate: 48_000, channels: 2)
        let decoder = try OpusDecoder(channels: 2)
        var tone = ToneGenerator(frequency: 440, sampleRate: 48_000, channels: 2)
        for _ in 0..<5 {
            _ = try decoder.decode(encoder.encode(tone.next(frameSamples: 960)))
        }
        let concealed = try decoder.decodeLost(frameSamples: 960)
        XCTAssertEqual(concealed.count, 960 * 2)
        XCTAssertTrue(concealed.contains { $0 != 0 }, "concealment should continue the tone")
        XCTAssertEqual(try decoder.decodeLost(frameSamples: 480).count, 480 * 2)
    }

    func testDecodeLostRejectsInvalidFrameSize() throws {
        let decoder = try OpusDecoder(channels: 1)
        for size in [0, 100, 961, 48_000 * 121 / 1000] {
            XCTAssertThrowsError(try decoder.decodeLost(frameSamples: size)) { error in
                XCTAssertEqual(error as? OpusError, .invalidFrameSize(size))
            }
        }
    }

    func testRejectsEmptyAndCorruptPackets() throws {
        let decoder = try OpusDecoder(channels: 1)
        XCTAssertThrowsError(try decoder.decode([])) { error in
            XCTAssertEqual(error as? OpusError, .emptyPacket)
        }
        // Code 3 (arbitrary frame count) with a frame count byte of zero is invalid.
        XCTAssertThrowsError(try decoder.decode([0x03, 0x00])) { error in
            guard case .libopus(let function, _)? = error as? OpusError else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(function, "opus_decode")
        }
    }

    func testRejectsUnsupportedParameters() {
        XCTAssertThrowsError(try OpusDecoder(sampleRate: 22_050, channels: 1)) { error in
            XCTAssertEqual(error as? OpusError, .unsupportedSampleRate(22_050))
        }
        XCTAssertThrowsError(try OpusDecoder(channels: 3)) { error in
            XCTAssertEqual(error as? OpusError, .unsupportedChannelCount(3))
        }
    }

    func testSampleCountFollowsTOC() throws {
        // Config 1 (SILK NB 20 ms), code 0: one 20 ms frame.
        XCTAssertEqual(try OpusDecoder.sampleCount(of: [0x08, 0x00]), 960)
        XCTAssertEqual(try OpusDecoder.sampleCount(of: [0x08, 0x00], sampleRate: 16_000), 320)
        // Config 31 (CELT FB 20 ms), code 1: two equal frames.
        XCTAssertEqual(try OpusDecoder.sampleCount(of: [0xF9, 0x00, 0x00]), 1920)
    }

    func testSampleCountRejectsEmptyAndInvalidPackets() {
        XCTAssertThrowsError(try OpusDecoder.sampleCount(of: [])) { error in
            XCTAssertEqual(error as? OpusError, .emptyPacket)
        }
        // Code 3 without its frame-count byte.
        XCTAssertThrowsError(try OpusDecoder.sampleCount(of: [0x03]))
    }
}
