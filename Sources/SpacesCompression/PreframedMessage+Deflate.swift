import NIOCore
import SpacesCore

extension PreframedMessage {
    /// A final frame with RSV1 set whose payload is `payload` compressed: one frame for every
    /// listener that agreed to permessage-deflate, as ``PermessageDeflate/accept(offers:)``
    /// answers (no context takeover, 15-bit window). Listeners without the extension need the
    /// plain frame, framed apart.
    ///
    /// Only text and binary: RFC 7692 §6.1 forbids compressed control frames.
    public static func deflated(
        opcode: Opcode, payload: ByteBuffer, deflater: Deflater, allocator: ByteBufferAllocator = .init()
    ) -> PreframedMessage {
        precondition(opcode == .text || opcode == .binary, "control frames are never compressed (RFC 7692 §6.1)")
        return PreframedMessage(opcode: opcode, payload: deflater.compress(payload, allocator: allocator), rsv1: true, allocator: allocator)
    }

    /// A compressed final text frame carrying `string`; see ``deflated(opcode:payload:deflater:allocator:)``.
    public static func deflatedText(_ string: String, deflater: Deflater, allocator: ByteBufferAllocator = .init()) -> PreframedMessage {
        PreframedMessage(opcode: .text, payload: deflater.compress(string.utf8, allocator: allocator), rsv1: true, allocator: allocator)
    }
}
