import NIOCore

/// A complete server-to-client WebSocket frame (header and payload) in one buffer.
///
/// Server frames are never masked (RFC 6455 §5.1), so the bytes on the wire are the same for
/// every listener: a message is framed once and the same `ByteBuffer` is written to every
/// channel, skipping the per-channel `WebSocketFrame` encoder.
public struct PreframedMessage: Sendable, Equatable {
    /// The frame bytes: header then payload, ready for the socket.
    public let bytes: ByteBuffer

    public enum Opcode: UInt8, Sendable {
        case text = 0x1
        case binary = 0x2
        case close = 0x8
        case ping = 0x9
        case pong = 0xA
    }

    /// Frames `payload` as a single final frame with `opcode`.
    public init(opcode: Opcode, payload: ByteBuffer, allocator: ByteBufferAllocator = .init()) {
        self.init(opcode: opcode, payload: payload, rsv1: false, allocator: allocator)
    }

    /// Frames `payload` as a single final frame with `opcode`, with the first reserved bit set
    /// when `rsv1` is true: permessage-deflate (RFC 7692 §6) marks a compressed message so, and
    /// `payload` must then be that extension's compressed bytes.
    public init(opcode: Opcode, payload: ByteBuffer, rsv1: Bool, allocator: ByteBufferAllocator = .init()) {
        let length = payload.readableBytes
        var buffer = allocator.buffer(capacity: Self.headerSize(payloadLength: length) + length)
        Self.writeHeader(opcode: opcode, payloadLength: length, rsv1: rsv1, into: &buffer)
        buffer.writeImmutableBuffer(payload)
        self.bytes = buffer
    }

    /// Frames an audio batch, encoding it straight after the header (one allocation, no copy).
    public init(batch: AudioBatch, allocator: ByteBufferAllocator = .init()) {
        let length = batch.encodedSize
        var buffer = allocator.buffer(capacity: Self.headerSize(payloadLength: length) + length)
        Self.writeHeader(opcode: .binary, payloadLength: length, into: &buffer)
        batch.encode(into: &buffer)
        self.bytes = buffer
    }

    /// Frames a text message.
    public static func text(_ string: String, allocator: ByteBufferAllocator = .init()) -> PreframedMessage {
        PreframedMessage(opcode: .text, payload: ByteBuffer(string: string), allocator: allocator)
    }

    /// Frames a close message carrying `code` and a short reason (at most 123 bytes of it are kept).
    public static func close(_ code: CloseCode, reason: String = "") -> PreframedMessage {
        var payload = ByteBuffer()
        payload.writeInteger(code.rawValue)
        // A control frame carries at most 125 bytes: 2 for the code, 123 for whole characters.
        var kept = 0
        for character in reason {
            let size = character.utf8.count
            guard kept + size <= 123 else { break }
            kept += size
        }
        payload.writeString(String(decoding: reason.utf8.prefix(kept), as: UTF8.self))
        return PreframedMessage(opcode: .close, payload: payload)
    }

    static func headerSize(payloadLength: Int) -> Int {
        payloadLength < 126 ? 2 : (payloadLength <= 0xFFFF ? 4 : 10)
    }

    static func writeHeader(opcode: Opcode, payloadLength: Int, rsv1: Bool = false, into buffer: inout ByteBuffer) {
        buffer.writeInteger(0x80 | (rsv1 ? 0x40 : 0) | opcode.rawValue)  // FIN, RSV1 if asked, no RSV2/RSV3
        if payloadLength < 126 {
            buffer.writeInteger(UInt8(payloadLength))
        } else if payloadLength <= 0xFFFF {
            buffer.writeInteger(UInt8(126))
            buffer.writeInteger(UInt16(payloadLength))
        } else {
            buffer.writeInteger(UInt8(127))
            buffer.writeInteger(UInt64(payloadLength))
        }
    }
}
