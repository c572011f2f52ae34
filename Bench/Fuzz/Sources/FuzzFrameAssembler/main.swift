import FuzzDriver
import NIOCore
import NIOWebSocket
import SpacesCompression
@testable import SpacesServer

/// A listener's WebSocket frames as the server reassembles them, permessage-deflate agreed:
/// the input is cut into frames (a flags byte: FIN, RSV1–3, opcode, masked; a length byte; the
/// payload). Fragments, control frames in between, compressed garbage and deflate bombs must
/// end in a message within the limit or a named close, never a trap or an oversized message.
func fuzzFrameAssembler(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let bytes = UnsafeBufferPointer(start: start, count: count)
    let limit = 4_096
    var assembler = FrameAssembler(limit: limit, inflater: Inflater())
    let opcodes: [WebSocketOpcode] = [.continuation, .text, .binary, .connectionClose, .ping, .pong, WebSocketOpcode(encodedWebSocketOpcode: 3)!]
    var index = 0
    while index + 2 <= bytes.count {
        let flags = bytes[index]
        let length = Int(bytes[index + 1]) * (flags & 0x80 != 0 ? 64 : 1)
        index += 2
        let end = min(bytes.count, index + length)
        let payload = ByteBuffer(bytes: bytes[index..<end])
        index = end
        let frame = WebSocketFrame(
            fin: flags & 0x01 != 0, rsv1: flags & 0x02 != 0, rsv2: flags & 0x40 != 0 && flags & 0x20 != 0, rsv3: false,
            opcode: opcodes[Int(flags >> 2) % opcodes.count], maskKey: flags & 0x10 == 0 ? [1, 2, 3, 4] : nil, data: payload
        )
        switch assembler.receive(frame) {
        case .text(let message), .binary(let message):
            precondition(message.readableBytes <= limit, "a message over the limit got through: \(message.readableBytes)")
        case .fail(let code, let reason):
            precondition(!reason.isEmpty)
            _ = code
            return 0
        case .close:
            return 0
        default:
            break
        }
    }
    return 0
}

runFuzzer(fuzzFrameAssembler)
