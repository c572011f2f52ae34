import XCTest
@testable import SpacesOpus

final class WAVFileTests: XCTestCase {
    /// Builds a RIFF/WAVE file from raw chunks.
    private func riff(_ chunks: [(String, [UInt8])]) -> [UInt8] {
        var body: [UInt8] = Array("WAVE".utf8)
        for (id, data) in chunks {
            body += Array(id.utf8)
            body.appendUInt32LE(UInt32(data.count))
            body += data
            if data.count % 2 == 1 { body.append(0) }
        }
        var bytes: [UInt8] = Array("RIFF".utf8)
        bytes.appendUInt32LE(UInt32(body.count))
        return bytes + body
    }

    private func format(tag: UInt16 = 1, channels: UInt16 = 1, rate: UInt32 = 16_000, bits: UInt16 = 16) -> [UInt8] {
        var chunk: [UInt8] = []
        chunk.appendUInt16LE(tag)
        chunk.appendUInt16LE(channels)
        chunk.appendUInt32LE(rate)
        chunk.appendUInt32LE(rate * UInt32(channels) * UInt32(bits / 8))
        chunk.appendUInt16LE(channels * bits / 8)
        chunk.appendUInt16LE(bits)
        return chunk
    }

    private func pcmBytes(_ samples: [Int16]) -> [UInt8] {
        var bytes: [UInt8] = []
        for sample in samples { bytes.appendUInt16LE(UInt16(bitPattern: sample)) }
        return bytes
    }

    func testRoundTripThroughFile() throws {
        let path = temporaryPath("wav", extension: "wav")
        defer { removeFile(path) }
        var tone = ToneGenerator(frequency: 300, sampleRate: 24_000, channels: 2)
        let samples = tone.next(frameSamples: 2400) + [Int16.min, Int16.max, -1, 0]
        try WAVFile.write(path: path, sampleRate: 24_000, channels: 2, samples: samples)
        let bytes = try readBytes(path)
        XCTAssertEqual(bytes.count, 44 + samples.count * 2)
        XCTAssertEqual(Array(bytes.prefix(4)), Array("RIFF".utf8))
        let file = try WAVFile.read(path: path)
        XCTAssertEqual(file.sampleRate, 24_000)
        XCTAssertEqual(file.channels, 2)
        XCTAssertEqual(file.samples, samples)
        XCTAssertEqual(file.frameCount, 2402)
    }

    func testEncodedHeaderFields() throws {
        let bytes = WAVFile(sampleRate: 8000, channels: 1, samples: [1, -2, 3]).encoded()
        XCTAssertEqual(bytes.uint32LE(at: 4), 36 + 6)
        XCTAssertEqual(bytes.uint16LE(at: 20), 1)
        XCTAssertEqual(bytes.uint32LE(at: 24), 8000)
        XCTAssertEqual(bytes.uint32LE(at: 28), 16_000)
        XCTAssertEqual(bytes.uint16LE(at: 34), 16)
        XCTAssertEqual(bytes.uint32LE(at: 40), 6)
        XCTAssertEqual(Array(bytes[44...]), [1, 0, 0xFE, 0xFF, 3, 0])
    }

    func testSkipsListChunkAndOddPadding() throws {
        let samples: [Int16] = [100, -100, 200, -200]
        let bytes = riff([
            ("fmt ", format(channels: 2)),
            ("LIST", Array("INFOISFT\u{05}\u{00}\u{00}\u{00}odd!!".utf8)),
            ("junk", [1, 2, 3]),
            ("data", pcmBytes(samples)),
        ])
        let file = try WAVFile.parse(bytes)
        XCTAssertEqual(file.channels, 2)
        XCTAssertEqual(file.sampleRate, 16_000)
        XCTAssertEqual(file.samples, samples)
    }

    func testAcceptsExtensiblePCM() throws {
        var chunk = format(tag: 0xFFFE, channels: 1)
        chunk.appendUInt16LE(22)
        chunk.appendUInt16LE(16)
        chunk.appendUInt32LE(4)
        chunk += [0x01, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71]
        let file = try WAVFile.parse(riff([("fmt ", chunk), ("data", pcmBytes([7, 8]))]))
        XCTAssertEqual(file.samples, [7, 8])

        var float = chunk
        float[24] = 3
        XCTAssertThrowsError(try WAVFile.parse(riff([("fmt ", float), ("data", pcmBytes([7, 8]))]))) { error in
            XCTAssertEqual(error as? WAVError, .unsupportedFormat(3))
        }
    }

    func testRejectsEightBit() {
        let bytes = riff([("fmt ", format(bits: 8)), ("data", [128, 129])])
        XCTAssertThrowsError(try WAVFile.parse(bytes)) { error in
            XCTAssertEqual(error as? WAVError, .unsupportedBitsPerSample(8))
        }
    }

    func testRejectsFloat() {
        let bytes = riff([("fmt ", format(tag: 3, bits: 32)), ("data", [0, 0, 0, 0])])
        XCTAssertThrowsError(try WAVFile.parse(bytes)) { error in
            XCTAssertEqual(error as? WAVError, .unsupportedFormat(3))
        }
    }

    func testRejectsUnsupportedChannelCount() {
        let bytes = riff([("fmt ", format(channels: 6)), ("data", [])])
        XCTAssertThrowsError(try WAVFile.parse(bytes)) { error in
            XCTAssertEqual(error as? WAVError, .unsupportedChannelCount(6))
        }
    }

    func testRejectsGarbage() {
        XCTAssertThrowsError(try WAVFile.parse(Array("definitely not audio".utf8))) { error in
            XCTAssertEqual(error as? WAVError, .notRIFF)
        }
        XCTAssertThrowsError(try WAVFile.parse([])) { error in
            XCTAssertEqual(error as? WAVError, .notRIFF)
        }
        XCTAssertThrowsError(try WAVFile.parse(Array("RIFF\u{04}\u{00}\u{00}\u{00}AVI LIST".utf8))) { error in
            XCTAssertEqual(error as? WAVError, .notWAVE)
        }
    }

    func testRejectsTruncatedData() {
        let complete = WAVFile(sampleRate: 16_000, channels: 1, samples: [Int16](repeating: 5, count: 100)).encoded()
        XCTAssertThrowsError(try WAVFile.parse(Array(complete.prefix(150)))) { error in
            XCTAssertEqual(error as? WAVError, .truncated("\"data\" chunk"))
        }
        XCTAssertThrowsError(try WAVFile.parse(Array(complete.prefix(30)))) { error in
            XCTAssertEqual(error as? WAVError, .truncated("\"fmt \" chunk"))
        }
        XCTAssertThrowsError(try WAVFile.parse(Array(complete.prefix(36)))) { error in
            XCTAssertEqual(error as? WAVError, .missingChunk("data"))
        }
        XCTAssertThrowsError(try WAVFile.parse(riff([("fmt ", format(channels: 2)), ("data", [1, 2, 3, 4, 5, 6])]))) { error in
            XCTAssertEqual(error as? WAVError, .partialFrame(6))
        }
    }

    func testRejectsMissingFormat() {
        XCTAssertThrowsError(try WAVFile.parse(riff([("data", [0, 0])]))) { error in
            XCTAssertEqual(error as? WAVError, .missingChunk("fmt "))
        }
    }

    func testMissingFileThrowsFileError() {
        XCTAssertThrowsError(try WAVFile.read(path: "/nonexistent-dir/none.wav")) { error in
            guard case .cannotOpen? = error as? AudioFileError else {
                return XCTFail("unexpected error \(error)")
            }
        }
    }
}
