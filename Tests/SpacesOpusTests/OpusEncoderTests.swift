import XCTest
@testable import SpacesOpus

final class OpusEncoderTests: XCTestCase {
    func testFrameSamplesIsTwentyMilliseconds() throws {
        for rate in OpusEncoder.supportedSampleRates {
            let encoder = try OpusEncoder(sampleRate: rate, channels: 1)
            XCTAssertEqual(encoder.frameSamples, rate / 50)
        }
    }

    func testLookaheadIsInFortyEightKilohertzSamples() throws {
        let full = try OpusEncoder(sampleRate: 48_000, channels: 1)
        let narrow = try OpusEncoder(sampleRate: 16_000, channels: 1)
        XCTAssertGreaterThan(full.lookahead, 0)
        XCTAssertLessThanOrEqual(full.lookahead, 960)
        XCTAssertEqual(narrow.lookahead % 3, 0)
        XCTAssertGreaterThan(narrow.lookahead, 0)
    }

    func testPacketsAreWithinOpusLimits() throws {
        for application in OpusApplication.allCases {
            let encoder = try OpusEncoder(sampleRate: 48_000, channels: 2, bitrate: 64_000, application: application)
            var tone = ToneGenerator(frequency: 440, sampleRate: 48_000, channels: 2)
            for _ in 0..<10 {
                let packet = try encoder.encode(tone.next(frameSamples: encoder.frameSamples))
                XCTAssertTrue((1...OpusEncoder.maxPacketBytes).contains(packet.count), "\(application): \(packet.count) bytes")
                XCTAssertEqual(try OpusDecoder.sampleCount(of: packet), 960)
            }
        }
    }

    func testBitrateRoughlyControlsPacketSize() throws {
        func averageSize(bitrate: Int) throws -> Double {
            let encoder = try OpusEncoder(sampleRate: 48_000, channels: 1, bitrate: bitrate, application: .audio)
            var signal = VoiceLikeSignal(sampleRate: 48_000, channels: 1)
            var total = 0
            for _ in 0..<50 {
                total += try encoder.encode(signal.next(frameSamples: encoder.frameSamples)).count
            }
            return Double(total) / 50
        }
        let low = try averageSize(bitrate: 12_000)
        let high = try averageSize(bitrate: 96_000)
        XCTAssertGreaterThan(high, low * 2)
    }

    func testRejectsUnsupportedSampleRate() {
        XCTAssertThrowsError(try OpusEncoder(sampleRate: 44_100, channels: 1)) { error in
            XCTAssertEqual(error as? OpusError, .unsupportedSampleRate(44_100))
        }
    }

    func testRejectsUnsupportedChannelCount() {
        for channels in [0, 3, 6] {
            XCTAssertThrowsError(try OpusEncoder(sampleRate: 48_000, channels: channels)) { error in
                XCTAssertEqual(error as? OpusError, .unsupportedChannelCount(channels))
            }
        }
    }

    func testRejectsInvalidBitrate() {
        XCTAssertThrowsError(try OpusEncoder(sampleRate: 48_000, channels: 1, bitrate: 100)) { error in
            XCTAssertEqual(error as? OpusError, .invalidBitrate(100))
        }
    }

    func testEncodeRejectsWrongSampleCount() throws {
        let encoder = try OpusEncoder(sampleRate: 16_000, channels: 2)
        let expected = encoder.frameSamples * 2
        for count in [0, expected - 1, expected + 2, encoder.frameSamples] {
            XCTAssertThrowsError(try encoder.encode([Int16](repeating: 0, count: count))) { error in
                XCTAssertEqual(error as? OpusError, .wrongSampleCount(expected: expected, actual: count))
            }
        }
    }

    func testErrorDescriptionsAreReadable() {
        XCTAssertTrue(OpusError.unsupportedSampleRate(44_100).description.contains("44100"))
        XCTAssertTrue(OpusError.libopus(function: "opus_decode", code: -4).description.contains("corrupted"))
    }
}
