import NIOCore
import NIOWebSocket
import SpacesCore

/// Turns inbound WebSocket frames into whole messages, within a size limit.
///
/// A plain struct: the connection handlers feed it frames and carry out what it returns.
struct FrameAssembler {
    enum Action: Equatable {
        /// A complete text message (not yet checked for UTF-8).
        case text(ByteBuffer)
        /// A complete binary message.
        case binary(ByteBuffer)
        /// Answer with a pong carrying this payload.
        case pong(ByteBuffer)
        /// The peer started or answered a close handshake.
        case close(code: UInt16?)
        /// Nothing to do yet (a fragment, a pong).
        case none
        /// The peer broke the protocol or a limit: close with this code.
        case fail(CloseCode, String)
    }

    /// The largest message accepted, in bytes.
    let limit: Int
    private var partial: ByteBuffer?
    private var partialOpcode: WebSocketOpcode = .text

    init(limit: Int) {
        self.limit = limit
    }

    mutating func receive(_ frame: WebSocketFrame) -> Action {
        // RFC 6455 §5.1: a server must close on an unmasked client frame.
        guard frame.maskKey != nil else { return .fail(.protocolError, "client frames must be masked") }
        switch frame.opcode {
        case .text, .binary:
            guard self.partial == nil else { return .fail(.protocolError, "new message inside a fragmented one") }
            guard frame.data.readableBytes <= self.limit else { return self.tooBig() }
            if frame.fin {
                return frame.opcode == .text ? .text(frame.unmaskedData) : .binary(frame.unmaskedData)
            }
            self.partial = frame.unmaskedData
            self.partialOpcode = frame.opcode
            return .none
        case .continuation:
            guard var buffer = self.partial else { return .fail(.protocolError, "continuation without a message") }
            guard buffer.readableBytes + frame.data.readableBytes <= self.limit else { return self.tooBig() }
            var data = frame.unmaskedData
            buffer.writeBuffer(&data)
            guard frame.fin else {
                self.partial = buffer
                return .none
            }
            self.partial = nil
            return self.partialOpcode == .text ? .text(buffer) : .binary(buffer)
        case .ping:
            return .pong(frame.unmaskedData)
        case .pong:
            return .none
        case .connectionClose:
            var data = frame.unmaskedData
            return .close(code: data.readInteger(as: UInt16.self))
        default:
            return .fail(.protocolError, "unknown opcode")
        }
    }

    private mutating func tooBig() -> Action {
        self.partial = nil
        return .fail(.messageTooBig, "message larger than \(self.limit) bytes")
    }
}
