import NIOCore
import XCTest

@testable import SpacesCore

final class AudioBatchHeaderTests: XCTestCase {
    private func headerBytes(kind: UInt8 = 1, count: UInt8, sequence: UInt32, capture: UInt64) -> ByteBuffer {
        var buffer = ByteBuffer()
        buffer.writeInteger(kind)
        buffer.writeInteger(count)
        buffer.writeInteger(sequence)
        buffer.writeInteger(capture)
        return buffer
    }

    func testDecodesFieldsBigEndian() throws {
        let buffer = ByteBuffer(bytes: [
            0x01, 0x03,
            0xDE, 0xAD, 0xBE, 0xEF,
            0x00, 0x06, 0x0A, 0x1B, 0x2C, 0x3D, 0x4E, 0x5F,
        ])
        let header = try AudioBatchHeader.decode(buffer)
        XCTAssertEqual(header.frameCount, 3)
        XCTAssertEqual(header.firstSequence, 0xDEAD_BEEF)
        XCTAssertEqual(header.captureTimeMicros, 0x0006_0A1B_2C3D_4E5F)
        XCTAssertEqual(header, AudioBatchHeader(frameCount: 3, firstSequence: 0xDEAD_BEEF, captureTimeMicros: 0x0006_0A1B_2C3D_4E5F))
    }

    func testMatchesEncodedBatch() throws {
        let batch = AudioBatch(
            firstSequence: 123_456,
            captureTimeMicros: 1_700_000_000_123_456,
            frames: [ByteBuffer(bytes: [1, 2]), ByteBuffer(bytes: [3]), ByteBuffer(bytes: [4, 5, 6])]
        )
        var buffer = ByteBuffer()
        batch.encode(into: &buffer)
        let header = try AudioBatchHeader.decode(buffer)
        XCTAssertEqual(header, AudioBatchHeader(frameCount: 3, firstSequence: 123_456, captureTimeMicros: 1_700_000_000_123_456))
        XCTAssertEqual(header.nextSequence, 123_459)
    }

    func testReadsWithoutTouchingFrames() throws {
        // Frames are not validated by the header: a header followed by a broken frame still decodes.
        var buffer = self.headerBytes(count: 2, sequence: 10, capture: 20)
        buffer.writeBytes([0xFF, 0xFF, 0x00])
        let header = try AudioBatchHeader.decode(buffer)
        XCTAssertEqual(header.frameCount, 2)
        XCTAssertEqual(header.firstSequence, 10)
        XCTAssertEqual(header.captureTimeMicros, 20)
        // …while the full decoder refuses it.
        XCTAssertThrowsError(try AudioBatch.decode(buffer))
    }

    func testReadsAtReaderIndexWithoutMovingIt() throws {
        var buffer = ByteBuffer(bytes: [9, 9, 9, 9])
        buffer.writeImmutableBuffer(self.headerBytes(count: 1, sequence: 5, capture: 6))
        buffer.moveReaderIndex(forwardBy: 4)
        let before = buffer.readerIndex
        let header = try AudioBatchHeader.decode(buffer)
        XCTAssertEqual(header, AudioBatchHeader(frameCount: 1, firstSequence: 5, captureTimeMicros: 6))
        XCTAssertEqual(buffer.readerIndex, before)
    }

    func testNextSequence() {
        XCTAssertEqual(AudioBatchHeader(frameCount: 1, firstSequence: 0, captureTimeMicros: 0).nextSequence, 1)
        XCTAssertEqual(AudioBatchHeader(frameCount: 255, firstSequence: 1000, captureTimeMicros: 0).nextSequence, 1255)
        XCTAssertEqual(AudioBatchHeader(frameCount: 1, firstSequence: .max, captureTimeMicros: 0).nextSequence, 0)
        XCTAssertEqual(AudioBatchHeader(frameCount: 10, firstSequence: .max - 3, captureTimeMicros: 0).nextSequence, 6)
        XCTAssertEqual(AudioBatchHeader(frameCount: 255, firstSequence: .max, captureTimeMicros: 0).nextSequence, 254)
    }

    func testErrors() {
        func fails(_ buffer: ByteBuffer, limit: Int = .max, _ expected: AudioBatchError, line: UInt = #line) {
            do {
                _ = try AudioBatchHeader.decode(buffer, limit: limit)
                XCTFail("expected \(expected)", line: line)
            } catch {
                XCTAssertEqual(error, expected, line: line)
            }
        }
        fails(ByteBuffer(), .truncatedHeader(available: 0))
        fails(ByteBuffer(bytes: Array(repeating: 1, count: 13)), .truncatedHeader(available: 13))
        fails(self.headerBytes(kind: 7, count: 1, sequence: 0, capture: 0), .unknownKind(7))
        fails(self.headerBytes(count: 0, sequence: 0, capture: 0), .noFrames)
        fails(self.headerBytes(count: 1, sequence: 0, capture: 0), limit: 13, .tooLarge(size: 14, limit: 13))
        XCTAssertNoThrow(try AudioBatchHeader.decode(self.headerBytes(count: 1, sequence: 0, capture: 0), limit: 14))
    }
}
