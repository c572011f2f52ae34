import NIOCore
import NIOWebSocket
import SpacesCompression
import SpacesCore

/// Turns inbound WebSocket frames into whole messages, within a size limit, inflating the
/// compressed ones when the connection agreed to permessage-deflate (RFC 7692).
///
/// A plain struct: the connection handlers feed it frames and carry out what it returns.
///
/// NIO's `WebSocketFrameDecoder` checks no reserved bit (it leaves them to extensions), so
/// this is where RFC 6455 §5.2 and RFC 7692 §6 are enforced: RSV1 only on the first frame of a
/// text or binary message and only with the extension, RSV2 and RSV3 never.
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

    /// The largest message accepted, in bytes (inflated, for a compressed one).
    let limit: Int
    /// Inflates compressed messages; `nil` when the connection did not agree to
    /// permessage-deflate, and a frame with RSV1 is then a protocol error. The Spaces server
    /// asks for `client_no_context_takeover`, so the inflater keeps nothing between messages
    /// and may be shared by every connection of one event loop.
    let inflater: Inflater?
    private var partial: ByteBuffer?
    private var partialOpcode: WebSocketOpcode = .text
    private var partialCompressed = false

    init(limit: Int, inflater: Inflater? = nil) {
        self.limit = limit
        self.inflater = inflater
    }

    /// The most compressed bytes a message may take on the wire: a little over `limit`, as
    /// deflate can make data it cannot shrink slightly larger (stored blocks: 5 bytes per
    /// 64 KB). The inflated message is held to `limit` itself.
    var compressedLimit: Int { self.limit + self.limit / 64 + 32 }

    mutating func receive(_ frame: WebSocketFrame) -> Action {
        // RFC 6455 §5.1: a server must close on an unmasked client frame.
        guard frame.maskKey != nil else { return .fail(.protocolError, "client frames must be masked") }
        // RFC 6455 §5.2: no extension we agree to defines RSV2 or RSV3.
        guard !frame.rsv2, !frame.rsv3 else { return .fail(.protocolError, "reserved bits RSV2/RSV3 set") }
        if frame.rsv1 {
            guard self.inflater != nil else { return .fail(.protocolError, "RSV1 set without permessage-deflate") }
            // RFC 7692 §6.1: only the first frame of a data message says it is compressed.
            guard frame.opcode == .text || frame.opcode == .binary else {
                return .fail(.protocolError, "RSV1 set on a control or continuation frame")
            }
        }
        switch frame.opcode {
        case .text, .binary:
            guard self.partial == nil else { return .fail(.protocolError, "new message inside a fragmented one") }
            let compressed = frame.rsv1
            guard frame.data.readableBytes <= (compressed ? self.compressedLimit : self.limit) else { return self.tooBig() }
            if frame.fin {
                return self.message(frame.opcode, frame.unmaskedData, compressed: compressed)
            }
            self.partial = frame.unmaskedData
            self.partialOpcode = frame.opcode
            self.partialCompressed = compressed
            return .none
        case .continuation:
            guard var buffer = self.partial else { return .fail(.protocolError, "continuation without a message") }
            let wireLimit = self.partialCompressed ? self.compressedLimit : self.limit
            guard buffer.readableBytes + frame.data.readableBytes <= wireLimit else { return self.tooBig() }
            var data = frame.unmaskedData
            buffer.writeBuffer(&data)
            guard frame.fin else {
                self.partial = buffer
                return .none
            }
            self.partial = nil
            return self.message(self.partialOpcode, buffer, compressed: self.partialCompressed)
        case .ping:
            return .pong(frame.unmaskedData)
        case .pong:
            return .none
        case .connectionClose:
            // RFC 6455 §5.5.1, §7.4: no payload, or a code a peer may send and a UTF-8 reason.
            var data = frame.unmaskedData
            guard data.readableBytes != 1 else { return .fail(.protocolError, "a close frame of 1 byte") }
            guard let code = data.readInteger(as: UInt16.self) else { return .close(code: nil) }
            guard CloseCode.peerMaySend(code) else { return .fail(.protocolError, "close code \(code) is not one a peer may send") }
            guard String(validating: data.readableBytesView, as: UTF8.self) != nil else {
                return .fail(.invalidPayload, "the close reason is not UTF-8")
            }
            return .close(code: code)
        default:
            return .fail(.protocolError, "unknown opcode")
        }
    }

    /// A whole message, inflated first if it came compressed: 1009 past the limit (the
    /// inflater stops there), 1007 for data that does not inflate.
    private func message(_ opcode: WebSocketOpcode, _ data: ByteBuffer, compressed: Bool) -> Action {
        var data = data
        if compressed, let inflater = self.inflater {
            do {
                data = try inflater.inflate(data, limit: self.limit)
            } catch {
                switch error {
                case .tooLarge:
                    return .fail(.messageTooBig, "message larger than \(self.limit) bytes once inflated")
                case .corrupt(let detail):
                    return .fail(.invalidPayload, "compressed message does not inflate: \(detail)")
                }
            }
        }
        return opcode == .text ? .text(data) : .binary(data)
    }

    private mutating func tooBig() -> Action {
        self.partial = nil
        return .fail(.messageTooBig, "message larger than \(self.limit) bytes")
    }
}
