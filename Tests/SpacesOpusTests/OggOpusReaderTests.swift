import XCTest
@testable import SpacesOpus

final class OggOpusReaderTests: XCTestCase {
    private func writeFile(
        packets: Int,
        channels: Int = 1,
        preSkip: Int = 312,
        inputSampleRate: Int = 48_000
    ) throws -> (path: String, packets: [[UInt8]]) {
        let path = temporaryPath("reader", extension: "opus")
        let rate = inputSampleRate == 0 ? 48_000 : inputSampleRate
        let encoder = try OpusEncoder(sampleRate: rate, channels: channels)
        var signal = VoiceLikeSignal(sampleRate: rate, channels: channels)
        let writer = try OggOpusWriter(path: path, channels: channels, preSkip: preSkip, inputSampleRate: inputSampleRate)
        var written: [[UInt8]] = []
        for _ in 0..<packets {
            let packet = try encoder.encode(signal.next(frameSamples: encoder.frameSamples))
            try writer.write(packet: packet)
            written.append(packet)
        }
        try writer.close()
        return (path, written)
    }

    private func readAll(_ reader: OggOpusReader) throws -> [[UInt8]] {
        var packets: [[UInt8]] = []
        while let packet = try reader.nextPacket() { packets.append(packet) }
        return packets
    }

    func testRoundTripMono() throws {
        let file = try writeFile(packets: 250)
        defer { removeFile(file.path) }
        let reader = try OggOpusReader(path: file.path)
        XCTAssertEqual(reader.channels, 1)
        XCTAssertEqual(reader.preSkip, 312)
        XCTAssertEqual(reader.inputSampleRate, 48_000)
        XCTAssertEqual(reader.outputGain, 0)
        XCTAssertEqual(reader.vendor, "spaces")
        XCTAssertEqual(try readAll(reader), file.packets)
        XCTAssertNil(try reader.nextPacket(), "stays at end")
    }

    func testRoundTripStereoFromMemory() throws {
        let file = try writeFile(packets: 40, channels: 2, preSkip: 104, inputSampleRate: 16_000)
        defer { removeFile(file.path) }
        let reader = try OggOpusReader(data: readBytes(file.path))
        XCTAssertEqual(reader.channels, 2)
        XCTAssertEqual(reader.preSkip, 104)
        XCTAssertEqual(reader.inputSampleRate, 16_000)
        XCTAssertEqual(try readAll(reader), file.packets)
    }

    func testDecodedFileKeepsTonePitch() throws {
        let path = temporaryPath("tone", extension: "opus")
        defer { removeFile(path) }
        let encoder = try OpusEncoder(sampleRate: 48_000, channels: 1, application: .audio)
        let writer = try OggOpusWriter(path: path, channels: 1, preSkip: encoder.lookahead)
        var tone = ToneGenerator(frequency: 1000, sampleRate: 48_000, channels: 1)
        for _ in 0..<75 { try writer.write(packet: encoder.encode(tone.next(frameSamples: 960))) }
        try writer.close()

        let reader = try OggOpusReader(path: path)
        let decoder = try OpusDecoder(channels: reader.channels)
        var pcm: [Int16] = []
        while let packet = try reader.nextPacket() { pcm += try decoder.decode(packet) }
        XCTAssertEqual(pcm.count, 75 * 960)
        let trimmed = Array(pcm.dropFirst(reader.preSkip))
        XCTAssertEqual(FrequencyEstimator.dominantFrequency(trimmed, sampleRate: 48_000), 1000, accuracy: 5)
    }

    func testGarbageIsNotOgg() {
        var generator = SystemRandomNumberGenerator()
        let garbage = (0..<4096).map { _ in UInt8.random(in: 0...255, using: &generator) }
        XCTAssertThrowsError(try OggOpusReader(data: garbage)) { error in
            XCTAssertEqual(error as? OggOpusError, .notOgg)
        }
        XCTAssertThrowsError(try OggOpusReader(data: [])) { error in
            XCTAssertEqual(error as? OggOpusError, .notOgg)
        }
        XCTAssertThrowsError(try OggOpusReader(data: Array("RIFF....WAVEfmt ".utf8))) { error in
            XCTAssertEqual(error as? OggOpusError, .notOgg)
        }
    }

    func testMissingFileThrowsFileError() {
        XCTAssertThrowsError(try OggOpusReader(path: "/nonexistent-dir/missing.opus")) { error in
            XCTAssertNotNil(error as? AudioFileError)
        }
    }

    func testTruncatedFileThrows() throws {
        let file = try writeFile(packets: 200)
        defer { removeFile(file.path) }
        let bytes = try readBytes(file.path)
        for length in [10, 40, bytes.count / 2, bytes.count - 1] {
            let reader: OggOpusReader
            do {
                reader = try OggOpusReader(data: Array(bytes.prefix(length)))
            } catch let error as OggOpusError {
                XCTAssertEqual(error, .truncated, "length \(length)")
                continue
            }
            XCTAssertThrowsError(try readAll(reader), "length \(length)") { error in
                XCTAssertEqual(error as? OggOpusError, .truncated)
            }
        }
    }

    func testCorruptedPageThrows() throws {
        let file = try writeFile(packets: 200)
        defer { removeFile(file.path) }
        var bytes = try readBytes(file.path)
        bytes[bytes.count / 2] ^= 0xFF
        let reader = try OggOpusReader(data: bytes)
        XCTAssertThrowsError(try readAll(reader)) { error in
            guard case .corruptStream? = error as? OggOpusError else {
                return XCTFail("unexpected error \(error)")
            }
        }
    }

    func testOggStreamWithoutOpusHeadThrows() throws {
        let stream = try OggStreamWriter(serialNumber: 7)
        var bytes = try stream.append(Array("\u{01}vorbis-ish header".utf8), granulePosition: 0, flush: true)
        bytes += try stream.append([1, 2, 3], granulePosition: 0, endOfStream: true)
        XCTAssertThrowsError(try OggOpusReader(data: bytes)) { error in
            XCTAssertEqual(error as? OggOpusError, .notOpus)
        }
    }

    func testUnsupportedHeadersThrow() throws {
        func file(head: [UInt8]) throws -> [UInt8] {
            let stream = try OggStreamWriter(serialNumber: 1)
            var bytes = try stream.append(head, granulePosition: 0, flush: true)
            bytes += try stream.append(OpusTags(vendor: "x").encoded(), granulePosition: 0, endOfStream: true)
            return bytes
        }
        var head = OpusHead(channels: 2, preSkip: 312, inputSampleRate: 48_000)

        var familyOne = head.encoded()
        familyOne[18] = 1
        XCTAssertThrowsError(try OggOpusReader(data: file(head: familyOne))) { error in
            XCTAssertEqual(error as? OggOpusError, .unsupportedMappingFamily(1))
        }

        head.channels = 3
        XCTAssertThrowsError(try OggOpusReader(data: file(head: head.encoded()))) { error in
            XCTAssertEqual(error as? OggOpusError, .unsupportedChannelCount(3))
        }

        head.channels = 1
        head.version = 0x21
        XCTAssertThrowsError(try OggOpusReader(data: file(head: head.encoded()))) { error in
            XCTAssertEqual(error as? OggOpusError, .unsupportedVersion(0x21))
        }

        XCTAssertThrowsError(try OggOpusReader(data: file(head: Array("OpusHead\u{01}\u{01}".utf8)))) { error in
            guard case .malformedHeader? = error as? OggOpusError else {
                return XCTFail("unexpected error \(error)")
            }
        }
    }

    func testMissingTagsThrows() throws {
        let stream = try OggStreamWriter(serialNumber: 3)
        let head = OpusHead(channels: 1, preSkip: 312, inputSampleRate: 48_000).encoded()
        var bytes = try stream.append(head, granulePosition: 0, flush: true)
        bytes += try stream.append([0xF8, 0xFF, 0xFE], granulePosition: 960, endOfStream: true)
        XCTAssertThrowsError(try OggOpusReader(data: bytes)) { error in
            XCTAssertEqual(error as? OggOpusError, .missingTags)
        }
    }

    func testPagesOfOtherStreamsAreSkipped() throws {
        let opus = try OggStreamWriter(serialNumber: 10)
        let other = try OggStreamWriter(serialNumber: 20)
        let head = OpusHead(channels: 1, preSkip: 0, inputSampleRate: 8000).encoded()
        var bytes = try opus.append(head, granulePosition: 0, flush: true)
        bytes += try other.append(Array("other stream".utf8), granulePosition: 0, flush: true)
        bytes += try opus.append(OpusTags(vendor: "v").encoded(), granulePosition: 0, flush: true)
        bytes += try other.append([9, 9, 9], granulePosition: 1, endOfStream: true)
        bytes += try opus.append([0x08, 0x01], granulePosition: 960, endOfStream: true)
        let reader = try OggOpusReader(data: bytes)
        XCTAssertEqual(reader.inputSampleRate, 8000)
        XCTAssertEqual(reader.vendor, "v")
        XCTAssertEqual(try readAll(reader), [[0x08, 0x01]])
    }
}
