import NIOCore
import XCTest

@testable import SpacesCore

/// An RFC 6455 §5.2 frame parsed by hand.
private struct ParsedFrame {
    var fin: Bool
    var rsv: UInt8
    var opcode: UInt8
    var masked: Bool
    var headerLength: Int
    var payloadLength: UInt64
    var payload: [UInt8]
}

private enum FrameParseError: Error { case truncated, nonMinimalLength, lengthMSBSet, trailing(Int) }

/// Parses exactly one frame from `bytes`; fails on anything left over or any non-canonical length.
private func parseFrame(_ buffer: ByteBuffer) throws -> ParsedFrame {
    var reader = buffer
    guard let b0 = reader.readInteger(as: UInt8.self), let b1 = reader.readInteger(as: UInt8.self) else {
        throw FrameParseError.truncated
    }
    let masked = b1 & 0x80 != 0
    var length = UInt64(b1 & 0x7F)
    if length == 126 {
        guard let ext = reader.readInteger(as: UInt16.self) else { throw FrameParseError.truncated }
        guard ext >= 126 else { throw FrameParseError.nonMinimalLength }
        length = UInt64(ext)
    } else if length == 127 {
        guard let ext = reader.readInteger(as: UInt64.self) else { throw FrameParseError.truncated }
        guard ext & (1 << 63) == 0 else { throw FrameParseError.lengthMSBSet }
        guard ext > 0xFFFF else { throw FrameParseError.nonMinimalLength }
        length = ext
    }
    var maskKey: [UInt8] = []
    if masked {
        guard let key = reader.readBytes(length: 4) else { throw FrameParseError.truncated }
        maskKey = key
    }
    let headerLength = reader.readerIndex - buffer.readerIndex
    guard var payload = reader.readBytes(length: Int(length)) else { throw FrameParseError.truncated }
    if masked {
        for i in payload.indices { payload[i] ^= maskKey[i % 4] }
    }
    guard reader.readableBytes == 0 else { throw FrameParseError.trailing(reader.readableBytes) }
    return ParsedFrame(
        fin: b0 & 0x80 != 0,
        rsv: (b0 >> 4) & 0x7,
        opcode: b0 & 0x0F,
        masked: masked,
        headerLength: headerLength,
        payloadLength: length,
        payload: payload
    )
}

final class PreframedMessageTests: XCTestCase {
    private func payload(_ n: Int) -> ByteBuffer {
        ByteBuffer(bytes: (0..<n).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ 3) })
    }

    func testHeaderSizesAndLengthEncoding() throws {
        let cases: [(length: Int, header: [UInt8])] = [
            (0, [0x82, 0x00]),
            (1, [0x82, 0x01]),
            (125, [0x82, 0x7D]),
            (126, [0x82, 0x7E, 0x00, 0x7E]),
            (127, [0x82, 0x7E, 0x00, 0x7F]),
            (65535, [0x82, 0x7E, 0xFF, 0xFF]),
            (65536, [0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x00, 0x00]),
            (70000, [0x82, 0x7F, 0, 0, 0, 0, 0, 0x01, 0x11, 0x70]),
        ]
        for (length, header) in cases {
            let body = self.payload(length)
            let message = PreframedMessage(opcode: .binary, payload: body)
            XCTAssertEqual(message.bytes.readableBytes, header.count + length, "length \(length)")
            XCTAssertEqual(Array(message.bytes.readableBytesView.prefix(header.count)), header, "length \(length)")
            XCTAssertEqual(Array(message.bytes.readableBytesView.dropFirst(header.count)), Array(body.readableBytesView))

            let frame = try parseFrame(message.bytes)
            XCTAssertTrue(frame.fin)
            XCTAssertEqual(frame.rsv, 0)
            XCTAssertEqual(frame.opcode, 0x2)
            XCTAssertFalse(frame.masked, "server frames are never masked")
            XCTAssertEqual(frame.payloadLength, UInt64(length))
            XCTAssertEqual(frame.headerLength, header.count)
            XCTAssertEqual(frame.payload, Array(body.readableBytesView))
        }
    }

    func testHeaderSizeHelper() {
        XCTAssertEqual(PreframedMessage.headerSize(payloadLength: 0), 2)
        XCTAssertEqual(PreframedMessage.headerSize(payloadLength: 125), 2)
        XCTAssertEqual(PreframedMessage.headerSize(payloadLength: 126), 4)
        XCTAssertEqual(PreframedMessage.headerSize(payloadLength: 65535), 4)
        XCTAssertEqual(PreframedMessage.headerSize(payloadLength: 65536), 10)
    }

    func testOpcodesAndFinBit() throws {
        let opcodes: [(PreframedMessage.Opcode, UInt8)] = [
            (.text, 0x1), (.binary, 0x2), (.close, 0x8), (.ping, 0x9), (.pong, 0xA),
        ]
        for (opcode, raw) in opcodes {
            XCTAssertEqual(opcode.rawValue, raw)
            let message = PreframedMessage(opcode: opcode, payload: self.payload(4))
            XCTAssertEqual(message.bytes.getInteger(at: message.bytes.readerIndex, as: UInt8.self), 0x80 | raw)
            let frame = try parseFrame(message.bytes)
            XCTAssertTrue(frame.fin)
            XCTAssertEqual(frame.rsv, 0)
            XCTAssertEqual(frame.opcode, raw)
            XCTAssertFalse(frame.masked)
        }
    }

    /// permessage-deflate marks a compressed message with RSV1 (RFC 7692 §6); nothing else moves.
    func testRSV1IsSetOnlyWhenAsked() throws {
        for length in [3, 300, 70_000] {
            let body = self.payload(length)
            let plain = PreframedMessage(opcode: .text, payload: body)
            let marked = PreframedMessage(opcode: .text, payload: body, rsv1: true)
            XCTAssertEqual(PreframedMessage(opcode: .text, payload: body, rsv1: false), plain)
            XCTAssertEqual(try parseFrame(plain.bytes).rsv, 0)
            let frame = try parseFrame(marked.bytes)
            XCTAssertEqual(frame.rsv, 0b100, "RSV1 only, not RSV2 or RSV3")
            XCTAssertTrue(frame.fin)
            XCTAssertEqual(frame.opcode, 0x1)
            XCTAssertEqual(frame.payload, Array(body.readableBytesView))
            XCTAssertEqual(marked.bytes.getInteger(at: 0, as: UInt8.self), 0xC1)
            XCTAssertEqual(Array(marked.bytes.readableBytesView.dropFirst()), Array(plain.bytes.readableBytesView.dropFirst()))
        }
    }

    func testPayloadReaderIndexIsRespected() throws {
        var body = ByteBuffer(bytes: [0xEE, 0xEE, 1, 2, 3])
        body.moveReaderIndex(forwardBy: 2)
        let frame = try parseFrame(PreframedMessage(opcode: .binary, payload: body).bytes)
        XCTAssertEqual(frame.payload, [1, 2, 3])
    }

    func testText() throws {
        let message = PreframedMessage.text(#"{"type":"pong","t":"héllo"}"#)
        let frame = try parseFrame(message.bytes)
        XCTAssertEqual(frame.opcode, 0x1)
        XCTAssertEqual(frame.payload, Array(#"{"type":"pong","t":"héllo"}"#.utf8))
        XCTAssertEqual(message, PreframedMessage(opcode: .text, payload: ByteBuffer(string: #"{"type":"pong","t":"héllo"}"#)))
    }

    func testBatchFramingEqualsHeaderPlusEncodedBatch() throws {
        let sizes: [[Int]] = [
            [1],  // payload 17: 2-byte header
            [160, 160, 160],  // payload 500: 4-byte header
            Array(repeating: 1275, count: 60),  // payload 76 694: 10-byte header
        ]
        for lengths in sizes {
            let batch = AudioBatch(
                firstSequence: 0xFFFF_FFF0,
                captureTimeMicros: 1_700_000_000_000_000,
                frames: lengths.enumerated().map { i, n in
                    ByteBuffer(bytes: (0..<n).map { UInt8(truncatingIfNeeded: $0 &+ i) })
                }
            )
            var encoded = ByteBuffer()
            batch.encode(into: &encoded)

            let viaBatch = PreframedMessage(batch: batch)
            let viaPayload = PreframedMessage(opcode: .binary, payload: encoded)
            XCTAssertEqual(viaBatch, viaPayload)
            XCTAssertEqual(viaBatch.bytes, viaPayload.bytes)

            let frame = try parseFrame(viaBatch.bytes)
            XCTAssertEqual(frame.opcode, 0x2)
            XCTAssertTrue(frame.fin)
            XCTAssertFalse(frame.masked)
            XCTAssertEqual(frame.payload, Array(encoded.readableBytesView))
            XCTAssertEqual(Int(frame.payloadLength), batch.encodedSize)
            XCTAssertEqual(try AudioBatch.decode(ByteBuffer(bytes: frame.payload)), batch)
        }
    }

    func testCloseCarriesCodeBigEndian() throws {
        for code in CloseCode.allCases {
            let frame = try parseFrame(PreframedMessage.close(code).bytes)
            XCTAssertEqual(frame.opcode, 0x8)
            XCTAssertTrue(frame.fin)
            XCTAssertEqual(frame.payload.count, 2)
            XCTAssertEqual(frame.payload, [UInt8(code.rawValue >> 8), UInt8(code.rawValue & 0xFF)])
        }
        let withReason = try parseFrame(PreframedMessage.close(.noSuchSpace, reason: "gone").bytes)
        XCTAssertEqual(withReason.payload, [0x0F, 0xA4] + Array("gone".utf8))  // 4004 = 0x0FA4
    }

    func testCloseTruncatesReasonTo123Bytes() throws {
        let reason = String(repeating: "x", count: 300)
        let message = PreframedMessage.close(.policyViolation, reason: reason)
        let frame = try parseFrame(message.bytes)
        XCTAssertEqual(frame.payload.count, 125)
        XCTAssertEqual(frame.headerLength, 2, "control frames must use the 7-bit length")
        XCTAssertEqual(Array(frame.payload[0..<2]), [0x03, 0xF0])  // 1008
        XCTAssertEqual(Array(frame.payload[2...]), Array(repeating: UInt8(ascii: "x"), count: 123))

        // Exactly 123 bytes is kept whole.
        let exact = String(repeating: "y", count: 123)
        XCTAssertEqual(try parseFrame(PreframedMessage.close(.ended, reason: exact).bytes).payload.dropFirst(2).count, 123)
    }

    /// RFC 6455 §5.5: a control frame's payload is at most 125 bytes, and §7.1.6: the reason is
    /// UTF-8. Cutting a multi-byte character at byte 123 must not make the payload grow or leave
    /// broken UTF-8.
    ///
    /// Fails against the current source: `String(decoding: reason.utf8.prefix(123), as: UTF8.self)`
    /// repairs the cut character into U+FFFD (3 bytes), so the reason becomes 124 or 125 bytes and
    /// the close payload 126/127 bytes, which needs the 16-bit length form — an invalid control frame.
    func testCloseTruncationAtMultiByteCharacterStaysWithinControlFrameLimit() throws {
        let cases = [
            String(repeating: "a", count: 122) + "é",  // 2-byte character split after its first byte
            String(repeating: "a", count: 121) + "€",  // 3-byte character split after 2 bytes
            String(repeating: "a", count: 122) + "😀",  // 4-byte character split after 1 byte
            String(repeating: "é", count: 100),  // 200 bytes, byte 123 splits an "é"
        ]
        for reason in cases {
            let frame = try parseFrame(PreframedMessage.close(.ended, reason: reason).bytes)
            XCTAssertLessThanOrEqual(frame.payload.count, 125, "close payload for \(reason.utf8.count)-byte reason")
            XCTAssertEqual(frame.headerLength, 2, "control frames must use the 7-bit length")
            let kept = Array(frame.payload.dropFirst(2))
            let keptString = String(validating: kept, as: UTF8.self)
            XCTAssertNotNil(keptString, "reason must stay valid UTF-8")
            XCTAssertTrue(reason.utf8.starts(with: kept), "reason must be a prefix of the original")
            XCTAssertGreaterThanOrEqual(kept.count, 120, "truncation should cut at most one character")
        }
    }

    func testUsesGivenAllocator() {
        let allocator = ByteBufferAllocator()
        let message = PreframedMessage(opcode: .ping, payload: ByteBuffer(bytes: [1]), allocator: allocator)
        XCTAssertEqual(Array(message.bytes.readableBytesView), [0x89, 0x01, 0x01])
    }
}
