import NIOCore
import XCTest

@testable import SpacesCore

/// A small deterministic PRNG (SplitMix64) so the fuzz test is reproducible.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { self.state = seed }
    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

final class AudioBatchTests: XCTestCase {
    // MARK: helpers

    /// A frame of `length` bytes with a pattern that depends on `seed`, so frames are distinguishable.
    private func frame(length: Int, seed: Int) -> ByteBuffer {
        ByteBuffer(bytes: (0..<length).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ seed &* 7 &+ 1) })
    }

    private func encode(_ batch: AudioBatch) -> ByteBuffer {
        var buffer = ByteBuffer()
        batch.encode(into: &buffer)
        return buffer
    }

    private func assertDecodeFails(
        _ bytes: [UInt8],
        limit: Int = .max,
        _ expected: AudioBatchError,
        file: StaticString = #filePath,
        line: UInt = #line
    ) {
        do {
            let batch = try AudioBatch.decode(ByteBuffer(bytes: bytes), limit: limit)
            XCTFail("decoded \(batch.frames.count) frames, expected \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, file: file, line: line)
        }
    }

    /// Header bytes: kind, count, sequence, capture time.
    private func header(kind: UInt8 = 1, count: UInt8, sequence: UInt32 = 7, capture: UInt64 = 9) -> [UInt8] {
        var buffer = ByteBuffer()
        buffer.writeInteger(kind)
        buffer.writeInteger(count)
        buffer.writeInteger(sequence)
        buffer.writeInteger(capture)
        return Array(buffer.readableBytesView)
    }

    // MARK: constants

    func testConstants() {
        XCTAssertEqual(AudioBatch.kind, 1)
        XCTAssertEqual(AudioBatch.headerSize, 14)
        XCTAssertEqual(AudioBatch.maximumFrameCount, 255)
    }

    // MARK: round trips

    private func assertRoundTrip(frameLengths: [Int], firstSequence: UInt32, capture: UInt64, line: UInt = #line) throws {
        let frames = frameLengths.enumerated().map { self.frame(length: $0.element, seed: $0.offset) }
        let batch = AudioBatch(firstSequence: firstSequence, captureTimeMicros: capture, frames: frames)
        let encoded = self.encode(batch)
        XCTAssertEqual(encoded.readableBytes, batch.encodedSize, line: line)
        XCTAssertEqual(encoded.readableBytes, AudioBatch.encodedSize(packetLengths: frameLengths), line: line)
        XCTAssertEqual(encoded.readableBytes, 14 + frameLengths.reduce(0) { $0 + 2 + $1 }, line: line)

        let decoded = try AudioBatch.decode(encoded)
        XCTAssertEqual(decoded, batch, line: line)
        XCTAssertEqual(decoded.firstSequence, firstSequence, line: line)
        XCTAssertEqual(decoded.captureTimeMicros, capture, line: line)
        XCTAssertEqual(decoded.frames.count, frameLengths.count, line: line)
        XCTAssertEqual(decoded.frames.map(\.readableBytes), frameLengths, line: line)
        for (i, f) in decoded.frames.enumerated() {
            XCTAssertEqual(Array(f.readableBytesView), Array(frames[i].readableBytesView), "frame \(i)", line: line)
        }
        // Re-encoding the decoded batch reproduces the exact bytes.
        XCTAssertEqual(self.encode(decoded), encoded, line: line)
    }

    func testRoundTripOneFrame() throws {
        try self.assertRoundTrip(frameLengths: [1], firstSequence: 0, capture: 0)
        try self.assertRoundTrip(frameLengths: [1275], firstSequence: 42, capture: 1_700_000_000_000_000)
        try self.assertRoundTrip(frameLengths: [160], firstSequence: .max, capture: .max)
    }

    func testRoundTripFiveFrames() throws {
        try self.assertRoundTrip(frameLengths: [1, 1275, 80, 2, 1275], firstSequence: 1000, capture: 123_456_789)
    }

    func testRoundTrip255Frames() throws {
        let lengths = (0..<255).map { i in [1, 1275, 60, 161][i % 4] }
        try self.assertRoundTrip(frameLengths: lengths, firstSequence: 0xDEAD_BEEF, capture: 0x0102_0304_0506_0708)
        try self.assertRoundTrip(frameLengths: Array(repeating: 1275, count: 255), firstSequence: 1, capture: 2)
        try self.assertRoundTrip(frameLengths: Array(repeating: 1, count: 255), firstSequence: 1, capture: 2)
    }

    func testSequenceWrapsNearUInt32Max() throws {
        let first = UInt32.max - 2
        let batch = AudioBatch(
            firstSequence: first,
            captureTimeMicros: 5,
            frames: (0..<5).map { self.frame(length: 10, seed: $0) }
        )
        let encoded = self.encode(batch)
        let decoded = try AudioBatch.decode(encoded)
        XCTAssertEqual(decoded.firstSequence, first)
        let header = try AudioBatchHeader.decode(encoded)
        XCTAssertEqual(header.frameCount, 5)
        // max-2, max-1, max, 0, 1 → next is 2.
        XCTAssertEqual(header.nextSequence, 2)

        let single = try AudioBatchHeader.decode(self.encode(
            AudioBatch(firstSequence: .max, captureTimeMicros: 0, frames: [self.frame(length: 1, seed: 0)])
        ))
        XCTAssertEqual(single.nextSequence, 0)

        let full = try AudioBatchHeader.decode(self.encode(
            AudioBatch(firstSequence: .max - 254, captureTimeMicros: 0, frames: (0..<255).map { self.frame(length: 1, seed: $0) })
        ))
        XCTAssertEqual(full.nextSequence, 0)
    }

    func testEncodeAppendsAfterExistingBytes() throws {
        var buffer = ByteBuffer(bytes: [0xEE, 0xEE, 0xEE])
        let batch = AudioBatch(firstSequence: 3, captureTimeMicros: 4, frames: [self.frame(length: 5, seed: 1)])
        batch.encode(into: &buffer)
        XCTAssertEqual(buffer.readableBytes, 3 + batch.encodedSize)
        XCTAssertEqual(Array(buffer.readableBytesView.prefix(3)), [0xEE, 0xEE, 0xEE])
        buffer.moveReaderIndex(forwardBy: 3)
        XCTAssertEqual(try AudioBatch.decode(buffer), batch)
    }

    // MARK: byte layout

    func testExactByteLayout() {
        let batch = AudioBatch(
            firstSequence: 0x0102_0304,
            captureTimeMicros: 0x1122_3344_5566_7788,
            frames: [ByteBuffer(bytes: [0xAA]), ByteBuffer(bytes: [0xBB, 0xCC])]
        )
        let expected: [UInt8] = [
            0x01,  // kind
            0x02,  // frameCount
            0x01, 0x02, 0x03, 0x04,  // firstSequence, big-endian
            0x11, 0x22, 0x33, 0x44, 0x55, 0x66, 0x77, 0x88,  // captureTimeMicros, big-endian
            0x00, 0x01, 0xAA,  // frame 0
            0x00, 0x02, 0xBB, 0xCC,  // frame 1
        ]
        XCTAssertEqual(Array(self.encode(batch).readableBytesView), expected)
        XCTAssertEqual(batch.encodedSize, expected.count)
    }

    func testFrameLengthIsBigEndianU16() {
        let batch = AudioBatch(firstSequence: 0, captureTimeMicros: 0, frames: [self.frame(length: 1275, seed: 3)])
        let bytes = Array(self.encode(batch).readableBytesView)
        // 1275 = 0x04FB
        XCTAssertEqual(bytes[14], 0x04)
        XCTAssertEqual(bytes[15], 0xFB)
        XCTAssertEqual(bytes.count, 14 + 2 + 1275)
    }

    func testDecodeHonoursReaderIndex() throws {
        let batch = AudioBatch(firstSequence: 77, captureTimeMicros: 88, frames: [self.frame(length: 3, seed: 0)])
        var buffer = ByteBuffer(bytes: [0x02, 0x00, 0x00])  // garbage that is not a batch
        batch.encode(into: &buffer)
        buffer.moveReaderIndex(forwardBy: 3)
        let decoded = try AudioBatch.decode(buffer)
        XCTAssertEqual(decoded, batch)
    }

    // MARK: malformed input

    func testEmptyIsTruncatedHeader() {
        self.assertDecodeFails([], .truncatedHeader(available: 0))
    }

    func testShortHeaderIsTruncatedHeader() {
        let full = self.header(count: 1)
        for n in 1..<14 {
            self.assertDecodeFails(Array(full.prefix(n)), .truncatedHeader(available: n))
        }
    }

    func testWrongKind() {
        for kind: UInt8 in [0, 2, 0x81, 0xFF] {
            self.assertDecodeFails(self.header(kind: kind, count: 1) + [0, 1, 0xAA], .unknownKind(kind))
        }
    }

    func testZeroFrameCount() {
        self.assertDecodeFails(self.header(count: 0), .noFrames)
        self.assertDecodeFails(self.header(count: 0) + [0, 1, 0xAA], .noFrames)
    }

    func testFrameLengthRunningPastEnd() {
        // Frame 0 claims 5 bytes, only 4 follow.
        self.assertDecodeFails(self.header(count: 1) + [0, 5, 1, 2, 3, 4], .truncatedFrame(index: 0))
        // Frame 1 claims 3 bytes, only 1 follows.
        self.assertDecodeFails(self.header(count: 2) + [0, 1, 0xAA, 0, 3, 0xBB], .truncatedFrame(index: 1))
    }

    func testMissingOrHalfLengthPrefix() {
        // frameCount 1 but nothing after the header.
        self.assertDecodeFails(self.header(count: 1), .truncatedFrame(index: 0))
        // frameCount 3, two frames present.
        self.assertDecodeFails(self.header(count: 3) + [0, 1, 0xAA, 0, 1, 0xBB], .truncatedFrame(index: 2))
        // Only one byte of the u16 length of frame 1.
        self.assertDecodeFails(self.header(count: 2) + [0, 1, 0xAA, 0], .truncatedFrame(index: 1))
    }

    func testZeroFrameLength() {
        self.assertDecodeFails(self.header(count: 1) + [0, 0], .invalidPacketLength(index: 0, length: 0))
        self.assertDecodeFails(
            self.header(count: 2) + [0, 1, 0xAA, 0, 0],
            .invalidPacketLength(index: 1, length: 0)
        )
    }

    func testFrameLength1276() {
        let tooLong: [UInt8] = [0x04, 0xFC]  // 1276
        self.assertDecodeFails(
            self.header(count: 1) + tooLong + Array(repeating: 0x55, count: 1276),
            .invalidPacketLength(index: 0, length: 1276)
        )
        self.assertDecodeFails(
            self.header(count: 1) + [0xFF, 0xFF] + [1, 2, 3],
            .invalidPacketLength(index: 0, length: 65535)
        )
        // 1275 with the bytes present is fine.
        XCTAssertNoThrow(try AudioBatch.decode(ByteBuffer(bytes: self.header(count: 1) + [0x04, 0xFB] + Array(repeating: 0x55, count: 1275))))
    }

    func testTrailingBytes() {
        self.assertDecodeFails(self.header(count: 1) + [0, 1, 0xAA, 9, 9, 9], .trailingBytes(count: 3))
        self.assertDecodeFails(self.header(count: 1) + [0, 1, 0xAA, 0], .trailingBytes(count: 1))
    }

    func testOverSizeLimit() throws {
        let bytes = self.header(count: 1) + [0, 4, 1, 2, 3, 4]  // 20 bytes
        XCTAssertEqual(bytes.count, 20)
        self.assertDecodeFails(bytes, limit: 19, .tooLarge(size: 20, limit: 19))
        self.assertDecodeFails(bytes, limit: 0, .tooLarge(size: 20, limit: 0))
        // Exactly at the limit is accepted.
        let batch = try AudioBatch.decode(ByteBuffer(bytes: bytes), limit: 20)
        XCTAssertEqual(Array(batch.frames[0].readableBytesView), [1, 2, 3, 4])
    }

    // MARK: fuzz

    func testRandomGarbageNeverTraps() {
        var rng = SplitMix64(seed: 0x5EED_CAFE)
        var decodedCount = 0
        var thrownCount = 0
        for iteration in 0..<5000 {
            let length = Int.random(in: 0...80, using: &rng)
            var bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &rng) }
            // Bias half the inputs towards plausible headers so decoding gets past the first checks.
            if iteration % 2 == 0 && bytes.count >= 2 {
                bytes[0] = 1
                bytes[1] = UInt8.random(in: 0...4, using: &rng)
                if bytes.count >= 16 && Bool.random(using: &rng) {
                    bytes[14] = 0
                    bytes[15] = UInt8.random(in: 0...UInt8(min(70, bytes.count)), using: &rng)
                }
                // Every tenth input is a well-formed one-frame batch, to exercise the success path.
                if iteration % 10 == 0 && bytes.count >= 17 {
                    bytes[1] = 1
                    bytes[14] = 0
                    bytes[15] = UInt8(bytes.count - 16)
                }
            }
            let buffer = ByteBuffer(bytes: bytes)
            do {
                let batch = try AudioBatch.decode(buffer)
                decodedCount += 1
                // Whatever decodes must re-encode to the same bytes.
                var again = ByteBuffer()
                batch.encode(into: &again)
                XCTAssertEqual(Array(again.readableBytesView), bytes)
                XCTAssertTrue((1...255).contains(batch.frames.count))
                XCTAssertTrue(batch.frames.allSatisfy { (1...1275).contains($0.readableBytes) })
            } catch {
                thrownCount += 1
                // Header decoding must agree with batch decoding about header-level errors.
                switch error {
                case .truncatedHeader, .unknownKind, .noFrames, .tooLarge:
                    XCTAssertThrowsError(try AudioBatchHeader.decode(buffer))
                case .truncatedFrame, .invalidPacketLength, .trailingBytes:
                    XCTAssertNoThrow(try AudioBatchHeader.decode(buffer))
                }
            }
        }
        XCTAssertEqual(decodedCount + thrownCount, 5000)
        XCTAssertGreaterThan(thrownCount, 4000)
        XCTAssertGreaterThan(decodedCount, 100)
    }

    func testMutatedValidBatchesNeverTrap() {
        var rng = SplitMix64(seed: 42)
        for _ in 0..<2000 {
            let count = Int.random(in: 1...6, using: &rng)
            let frames = (0..<count).map { _ in
                ByteBuffer(bytes: (0..<Int.random(in: 1...40, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            }
            let batch = AudioBatch(
                firstSequence: UInt32.random(in: 0...UInt32.max, using: &rng),
                captureTimeMicros: UInt64.random(in: 0...UInt64.max, using: &rng),
                frames: frames
            )
            var bytes = Array(self.encode(batch).readableBytesView)
            // Flip a few random bits, or truncate, or append.
            switch Int.random(in: 0..<3, using: &rng) {
            case 0:
                for _ in 0..<Int.random(in: 1...3, using: &rng) {
                    let i = Int.random(in: 0..<bytes.count, using: &rng)
                    bytes[i] ^= UInt8(1) << UInt8.random(in: 0...7, using: &rng)
                }
            case 1:
                bytes.removeLast(Int.random(in: 1...bytes.count, using: &rng))
            default:
                bytes.append(contentsOf: (0..<Int.random(in: 1...4, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) })
            }
            do {
                let decoded = try AudioBatch.decode(ByteBuffer(bytes: bytes))
                var again = ByteBuffer()
                decoded.encode(into: &again)
                XCTAssertEqual(Array(again.readableBytesView), bytes)
            } catch {
                // Thrown, not trapped: fine.
            }
        }
    }
}
