import XCTest
@testable import SpacesOpus

final class OggOpusWriterTests: XCTestCase {
    private func encodedPackets(count: Int, channels: Int) throws -> [[UInt8]] {
        let encoder = try OpusEncoder(sampleRate: 48_000, channels: channels)
        var signal = VoiceLikeSignal(sampleRate: 48_000, channels: channels)
        return try (0..<count).map { _ in try encoder.encode(signal.next(frameSamples: encoder.frameSamples)) }
    }

    /// Splits an Ogg file into pages: (header type flags, granule position, body bytes).
    private func pages(_ bytes: [UInt8]) -> [(flags: UInt8, granule: Int64, segments: Int)] {
        var result: [(UInt8, Int64, Int)] = []
        var offset = 0
        while offset + 27 <= bytes.count {
            XCTAssertEqual(Array(bytes[offset..<offset + 4]), Array("OggS".utf8))
            var granule: UInt64 = 0
            for index in 0..<8 { granule |= UInt64(bytes[offset + 6 + index]) << (8 * UInt64(index)) }
            let segmentCount = Int(bytes[offset + 26])
            let lacing = bytes[(offset + 27)..<(offset + 27 + segmentCount)]
            let bodySize = lacing.reduce(0) { $0 + Int($1) }
            result.append((bytes[offset + 5], Int64(bitPattern: granule), segmentCount))
            offset += 27 + segmentCount + bodySize
        }
        XCTAssertEqual(offset, bytes.count, "pages should cover the whole file")
        return result
    }

    func testHeadersHaveTheirOwnPagesAndLastPageIsEndOfStream() throws {
        let path = temporaryPath("writer", extension: "opus")
        defer { removeFile(path) }
        let packets = try encodedPackets(count: 100, channels: 1)
        let writer = try OggOpusWriter(path: path, channels: 1, preSkip: 312, inputSampleRate: 48_000)
        for packet in packets { try writer.write(packet: packet) }
        try writer.close()
        XCTAssertEqual(writer.packetCount, 100)
        XCTAssertEqual(writer.granulePosition, 100 * 960)

        let bytes = try readBytes(path)
        XCTAssertEqual(Array(bytes.prefix(4)), Array("OggS".utf8))
        let layout = pages(bytes)
        XCTAssertGreaterThanOrEqual(layout.count, 3)
        XCTAssertEqual(layout[0].flags & 0x02, 0x02, "first page is beginning of stream")
        XCTAssertEqual(layout[0].segments, 1, "OpusHead alone on the first page")
        XCTAssertEqual(layout[0].granule, 0)
        XCTAssertEqual(layout[1].segments, 1, "OpusTags alone on the second page")
        XCTAssertEqual(layout[1].granule, 0)
        XCTAssertEqual(layout.last!.flags & 0x04, 0x04, "last page is end of stream")
        XCTAssertEqual(layout.last!.granule, 100 * 960)
        XCTAssertEqual(layout.dropLast().filter { $0.flags & 0x04 != 0 }.count, 0)

        // OpusHead fields: version 1, 1 channel, pre-skip 312, 48000 Hz, gain 0, family 0.
        let head = Array(bytes[28..<47])
        XCTAssertEqual(Array(head[0..<8]), Array("OpusHead".utf8))
        XCTAssertEqual(head[8], 1)
        XCTAssertEqual(head[9], 1)
        XCTAssertEqual(head.uint16LE(at: 10), 312)
        XCTAssertEqual(head.uint32LE(at: 12), 48_000)
        XCTAssertEqual(head.uint16LE(at: 16), 0)
        XCTAssertEqual(head[18], 0)
    }

    func testGranulePositionsIncrease() throws {
        let path = temporaryPath("granule", extension: "opus")
        defer { removeFile(path) }
        let writer = try OggOpusWriter(path: path, channels: 2)
        for packet in try encodedPackets(count: 300, channels: 2) { try writer.write(packet: packet) }
        try writer.close()
        let granules = pages(try readBytes(path)).dropFirst(2).map(\.granule)
        XCTAssertGreaterThan(granules.count, 1)
        XCTAssertEqual(granules, granules.sorted())
        XCTAssertEqual(granules.last, 300 * 960)
    }

    func testEmptyStreamStillEndsWithEndOfStream() throws {
        let path = temporaryPath("empty", extension: "opus")
        defer { removeFile(path) }
        let writer = try OggOpusWriter(path: path, channels: 1)
        try writer.close()
        try writer.close()
        let layout = pages(try readBytes(path))
        XCTAssertEqual(layout.count, 2)
        XCTAssertEqual(layout[1].flags & 0x04, 0x04)
        let reader = try OggOpusReader(path: path)
        XCTAssertNil(try reader.nextPacket())
    }

    func testRejectsInvalidPacketsAndParameters() throws {
        let path = temporaryPath("invalid", extension: "opus")
        defer { removeFile(path) }
        XCTAssertThrowsError(try OggOpusWriter(path: path, channels: 3)) { error in
            XCTAssertEqual(error as? OggOpusError, .unsupportedChannelCount(3))
        }
        XCTAssertThrowsError(try OggOpusWriter(path: path, channels: 1, preSkip: 70_000))
        let writer = try OggOpusWriter(path: path, channels: 1)
        XCTAssertThrowsError(try writer.write(packet: [])) { error in
            XCTAssertEqual(error as? OggOpusError, .invalidPacket)
        }
        XCTAssertThrowsError(try writer.write(packet: [0x03])) { error in
            XCTAssertEqual(error as? OggOpusError, .invalidPacket)
        }
        XCTAssertEqual(writer.packetCount, 0)
        try writer.close()
    }

    func testUnwritableDirectoryThrowsFileError() {
        XCTAssertThrowsError(try OggOpusWriter(path: "/nonexistent-dir/x.opus", channels: 1)) { error in
            guard case .cannotOpen(let path, _)? = error as? AudioFileError else {
                return XCTFail("unexpected error \(error)")
            }
            XCTAssertEqual(path, "/nonexistent-dir/x.opus")
        }
    }
}
