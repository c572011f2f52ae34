import NIOCore
import XCTest

@testable import SpacesCore

final class OpusPacketTests: XCTestCase {
    /// TOC byte: config in bits 7…3, stereo bit 2, code in bits 1…0.
    private func toc(config: Int, stereo: Bool = false, code: Int) -> UInt8 {
        UInt8(config << 3 | (stereo ? 4 : 0) | code)
    }

    private func packet(_ bytes: [UInt8]) -> ByteBuffer { ByteBuffer(bytes: bytes) }

    private func filler(_ n: Int) -> [UInt8] { (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 13 &+ 5) } }

    private func assertValid(_ bytes: [UInt8], micros: Int, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let duration = try OpusPacket.validate(self.packet(bytes))
            XCTAssertEqual(duration, micros, file: file, line: line)
        } catch {
            XCTFail("refused: \(error)", file: file, line: line)
        }
    }

    private func assertInvalid(_ bytes: [UInt8], _ expected: OpusPacket.Invalid, file: StaticString = #filePath, line: UInt = #line) {
        do {
            let duration = try OpusPacket.validate(self.packet(bytes))
            XCTFail("accepted with duration \(duration), expected \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, file: file, line: line)
        }
    }

    func testConstants() {
        XCTAssertEqual(OpusPacket.maximumLength, 1275)
        XCTAssertEqual(OpusPacket.maximumDurationMicros, 120_000)
    }

    /// RFC 6716 Table 2, config → frame size.
    func testFrameDurationTable() {
        let expected: [Int] = [
            // SILK-only NB, MB, WB: 10, 20, 40, 60 ms
            10_000, 20_000, 40_000, 60_000,
            10_000, 20_000, 40_000, 60_000,
            10_000, 20_000, 40_000, 60_000,
            // Hybrid SWB, FB: 10, 20 ms
            10_000, 20_000,
            10_000, 20_000,
            // CELT-only NB, WB, SWB, FB: 2.5, 5, 10, 20 ms
            2_500, 5_000, 10_000, 20_000,
            2_500, 5_000, 10_000, 20_000,
            2_500, 5_000, 10_000, 20_000,
            2_500, 5_000, 10_000, 20_000,
        ]
        XCTAssertEqual(expected.count, 32)
        for config in 0..<32 {
            XCTAssertEqual(OpusPacket.frameDurationMicros(config: config), expected[config], "config \(config)")
        }
    }

    // MARK: code 0

    func testCode0RealWorldConfigs() {
        // SILK WB 20 ms mono (what libopus emits for VoIP at 16 kbit/s): TOC 0x48.
        XCTAssertEqual(self.toc(config: 9, code: 0), 0x48)
        self.assertValid([0x48] + self.filler(39), micros: 20_000)
        // SILK NB 20 ms: TOC 0x08.
        self.assertValid([0x08] + self.filler(20), micros: 20_000)
        // CELT FB 20 ms (libopus's default for music at 48 kHz): TOC 0xF8, and stereo 0xFC.
        XCTAssertEqual(self.toc(config: 31, code: 0), 0xF8)
        self.assertValid([0xF8] + self.filler(159), micros: 20_000)
        self.assertValid([0xFC] + self.filler(319), micros: 20_000)
        // Hybrid FB 20 ms: TOC 0x78.
        self.assertValid([0x78] + self.filler(100), micros: 20_000)
        // SILK 60 ms and CELT 2.5 ms.
        self.assertValid([self.toc(config: 3, code: 0)] + self.filler(60), micros: 60_000)
        self.assertValid([self.toc(config: 16, code: 0)] + self.filler(10), micros: 2_500)
        // A TOC byte alone is a valid (DTX) packet.
        self.assertValid([0xF8], micros: 20_000)
    }

    func testLengthBounds() {
        self.assertInvalid([], .length(0))
        self.assertInvalid([0xF8] + self.filler(1275), .length(1276))
        self.assertValid([0xF8] + self.filler(1274), micros: 20_000)
    }

    // MARK: code 1

    func testCode1OddAndEvenLengths() {
        let code1 = self.toc(config: 31, code: 1)  // 0xF9
        XCTAssertEqual(code1, 0xF9)
        // Two equal frames: payload after the TOC must split evenly.
        self.assertValid([code1] + self.filler(100), micros: 40_000)
        self.assertValid([code1], micros: 40_000)  // two empty frames
        self.assertInvalid([code1] + self.filler(101), .oddCode1Length)
        self.assertInvalid([code1] + self.filler(1), .oddCode1Length)
        // SILK 60 ms × 2 = 120 ms, still allowed.
        self.assertValid([self.toc(config: 3, code: 1)] + self.filler(40), micros: 120_000)
    }

    // MARK: code 2

    func testCode2OneByteLength() {
        let code2 = self.toc(config: 31, code: 2)  // 0xFA
        XCTAssertEqual(code2, 0xFA)
        // First frame 3 bytes, second 2.
        self.assertValid([code2, 3] + self.filler(5), micros: 40_000)
        // First frame takes everything, second is empty.
        self.assertValid([code2, 3] + self.filler(3), micros: 40_000)
        // Both empty.
        self.assertValid([code2, 0], micros: 40_000)
        // First frame 251 bytes (largest one-byte length).
        self.assertValid([code2, 251] + self.filler(251), micros: 40_000)
    }

    func testCode2LengthPastEnd() {
        let code2 = self.toc(config: 31, code: 2)
        self.assertInvalid([code2, 5] + self.filler(4), .frameLengthPastEnd)
        self.assertInvalid([code2, 1], .frameLengthPastEnd)
        self.assertInvalid([code2, 251] + self.filler(250), .frameLengthPastEnd)
    }

    func testCode2MissingLength() {
        let code2 = self.toc(config: 31, code: 2)
        self.assertInvalid([code2], .missingFrameLength)
        // 252…255 announce a second length byte that is missing.
        self.assertInvalid([code2, 252], .missingFrameLength)
        self.assertInvalid([code2, 255], .missingFrameLength)
    }

    func testCode2TwoByteLength() {
        let code2 = self.toc(config: 31, code: 2)
        // 252 + 4 × 1 = 256.
        self.assertValid([code2, 252, 1] + self.filler(256), micros: 40_000)
        self.assertValid([code2, 252, 1] + self.filler(300), micros: 40_000)
        self.assertInvalid([code2, 252, 1] + self.filler(255), .frameLengthPastEnd)
        // 252 + 4 × 0 = 252.
        self.assertValid([code2, 252, 0] + self.filler(252), micros: 40_000)
        self.assertInvalid([code2, 252, 0] + self.filler(251), .frameLengthPastEnd)
        // 255 + 4 × 255 = 1275, which cannot fit after 3 header bytes in 1275.
        self.assertInvalid([code2, 255, 255] + self.filler(1272), .frameLengthPastEnd)
        // 253 + 4 × 2 = 261.
        self.assertValid([code2, 253, 2] + self.filler(261), micros: 40_000)
        self.assertInvalid([code2, 253, 2] + self.filler(260), .frameLengthPastEnd)
    }

    // MARK: code 3

    func testCode3MissingCount() {
        self.assertInvalid([self.toc(config: 31, code: 3)], .missingFrameCount)
    }

    func testCode3ZeroFrames() {
        let code3 = self.toc(config: 31, code: 3)
        self.assertInvalid([code3, 0], .frameCount(0))
        // Only the low 6 bits are M: VBR and padding flags with M = 0 are still 0 frames.
        self.assertInvalid([code3, 0xC0, 0], .frameCount(0))
    }

    func testCode3Durations() {
        let celt20 = self.toc(config: 31, code: 3)
        self.assertValid([celt20, 1] + self.filler(10), micros: 20_000)
        self.assertValid([celt20, 6] + self.filler(60), micros: 120_000)
        // 7 × 20 ms = 140 ms > 120 ms.
        self.assertInvalid([celt20, 7] + self.filler(70), .duration(micros: 140_000))

        let celt2_5 = self.toc(config: 16, code: 3)
        // 48 × 2.5 ms = 120 ms: the most frames a packet can have.
        self.assertValid([celt2_5, 48] + self.filler(48), micros: 120_000)
        // 49 × 2.5 ms = 122.5 ms.
        self.assertInvalid([celt2_5, 49] + self.filler(49), .duration(micros: 122_500))
        // 49 × 20 ms.
        self.assertInvalid([celt20, 49] + self.filler(49), .duration(micros: 980_000))
        // M = 63 (largest the 6 bits hold).
        self.assertInvalid([celt2_5, 63] + self.filler(63), .duration(micros: 157_500))

        // SILK 60 ms: 2 frames ok, 3 too long.
        let silk60 = self.toc(config: 11, code: 3)
        self.assertValid([silk60, 2] + self.filler(40), micros: 120_000)
        self.assertInvalid([silk60, 3] + self.filler(60), .duration(micros: 180_000))
    }

    func testCode3FlagsAreMaskedOffTheCount() {
        let celt20 = self.toc(config: 31, code: 3)
        // Padding flag (0x40) with M = 3, a padding length byte of 0, then 3 CBR frames.
        self.assertValid([celt20, 0x43, 0] + self.filler(30), micros: 60_000)
        // VBR + padding flags with M = 7: still 140 ms.
        self.assertInvalid([celt20, 0xC7] + self.filler(30), .duration(micros: 140_000))
    }

    // MARK: misc

    func testHonoursReaderIndex() throws {
        var buffer = ByteBuffer(bytes: [0xFB, 0x00])  // would be an invalid code 3 packet
        buffer.writeBytes([0xF8] + self.filler(10))
        buffer.moveReaderIndex(forwardBy: 2)
        XCTAssertEqual(try OpusPacket.validate(buffer), 20_000)
    }

    func testDescriptions() {
        XCTAssertEqual(OpusPacket.Invalid.length(1276).description, "packet length 1276 outside 1…1275")
        XCTAssertEqual(OpusPacket.Invalid.frameCount(0).description, "code 3 packet with 0 frames")
        XCTAssertEqual(OpusPacket.Invalid.duration(micros: 140_000).description, "packet lasts 140000 µs, over 120 ms")
    }
}
