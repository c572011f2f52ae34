import NIOCore
import NIOWebSocket
import SpacesCompression
import SpacesCore

/// A client WebSocket: whole messages in, masked frames out; pings are answered.
public final class WebSocketConnection: Sendable {
    let channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>
    /// The server's permessage-deflate terms, `nil` when it sends every message plain.
    let agreement: PermessageDeflate.Agreement?
    /// The largest message inflated, in bytes: a compressed message that would grow past it
    /// closes the connection with 1009 instead of filling memory.
    let maxMessageSize: Int

    /// The server agreed to permessage-deflate: it may send compressed messages, which
    /// ``MessageIterator`` inflates, so callers see the same messages either way.
    public var compressed: Bool { self.agreement != nil }

    /// The frames' way from the event loop to the reader, declared to ThreadSanitizer.
    let handOff: HandOff

    init(
        channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, agreement: PermessageDeflate.Agreement? = nil, maxMessageSize: Int = 1 << 20,
        handOff: HandOff = HandOff()
    ) {
        self.channel = channel
        self.agreement = agreement
        self.maxMessageSize = maxMessageSize
        self.handOff = handOff
    }

    /// Runs `body` with the connection's messages and a sender, then closes the socket.
    public func run<R: Sendable>(
        _ body: (inout MessageIterator, WebSocketSender) async throws -> R
    ) async throws -> R {
        try await self.channel.executeThenClose { inbound, outbound in
            let sender = WebSocketSender(outbound: outbound)
            // A server that keeps its compression context (not a Spaces server) needs the
            // client to keep it too.
            let inflater = self.agreement.map { Inflater(keepsContext: !$0.serverNoContextTakeover) }
            var iterator = MessageIterator(
                frames: inbound.makeAsyncIterator(), sender: sender, inflater: inflater, inflateLimit: self.maxMessageSize,
                handOff: self.handOff
            )
            return try await body(&iterator, sender)
        }
    }

    /// The server broke the WebSocket protocol or the agreed extension: the client sent a
    /// close frame with `code` and stopped reading.
    public struct ProtocolViolation: Error, Sendable, Equatable, CustomStringConvertible {
        /// 1002 for a frame the agreement does not allow, 1007 for a message that does not
        /// inflate, 1009 for one that inflates past the limit.
        public let code: CloseCode
        public let reason: String

        public var description: String { "\(self.code): \(self.reason)" }
    }
}

/// Sends client (masked) frames.
public struct WebSocketSender: Sendable {
    let outbound: NIOAsyncChannelOutboundWriter<WebSocketFrame>

    public func send(text: String) async throws {
        try await self.outbound.write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(string: text)))
    }

    public func send(binary: ByteBuffer) async throws {
        try await self.outbound.write(WebSocketFrame(fin: true, opcode: .binary, maskKey: .random(), data: binary))
    }

    /// Sends a close frame with `code`.
    public func close(code: UInt16 = 1000, reason: String = "") async throws {
        var payload = ByteBuffer()
        payload.writeInteger(code)
        payload.writeString(reason)
        try await self.outbound.write(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload))
    }

    func pong(_ data: ByteBuffer) async throws {
        try await self.outbound.write(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: data))
    }
}

/// Reassembles frames into messages, inflating compressed ones. Returns `nil` once the socket
/// is closed; throws ``WebSocketConnection/ProtocolViolation`` (after sending the close) when
/// the server breaks the rules of reserved bits or of compression.
public struct MessageIterator {
    var frames: NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator
    let sender: WebSocketSender
    /// Inflates messages whose first frame has RSV1 set; `nil` when permessage-deflate was not
    /// agreed, and RSV1 is then a protocol error.
    let inflater: Inflater?
    /// The largest inflated message, in bytes.
    let inflateLimit: Int
    private var partial: ByteBuffer?
    private var partialOpcode: WebSocketOpcode = .text
    private var partialCompressed = false
    private var closed = false

    let handOff: HandOff

    init(
        frames: NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator, sender: WebSocketSender,
        inflater: Inflater? = nil, inflateLimit: Int = 1 << 20, handOff: HandOff = HandOff()
    ) {
        self.frames = frames
        self.sender = sender
        self.inflater = inflater
        self.inflateLimit = inflateLimit
        self.handOff = handOff
    }

    public mutating func next() async throws -> WebSocketMessage? {
        while !self.closed, let frame = try await self.frames.next() {
            self.handOff.acquired()
            if let reason = self.reservedBitsViolation(frame) { try await self.fail(.protocolError, reason) }
            switch frame.opcode {
            case .text, .binary:
                if frame.fin { return try await self.message(frame.opcode, frame.data, compressed: frame.rsv1) }
                self.partial = frame.data
                self.partialOpcode = frame.opcode
                self.partialCompressed = frame.rsv1
            case .continuation:
                var data = frame.data
                // A fragmented message is bounded before it is whole: the limit, and for a
                // compressed one what deflate may need beyond it.
                let bound = self.partialCompressed ? self.inflateLimit + self.inflateLimit / 64 + 1024 : self.inflateLimit
                if (self.partial?.readableBytes ?? 0) + data.readableBytes > bound {
                    self.partial = nil
                    try await self.fail(.messageTooBig, "fragmented message larger than \(bound) bytes")
                }
                self.partial?.writeBuffer(&data)
                if frame.fin, let whole = self.partial {
                    self.partial = nil
                    return try await self.message(self.partialOpcode, whole, compressed: self.partialCompressed)
                }
            case .ping:
                try? await self.sender.pong(frame.data)
            case .connectionClose:
                var data = frame.data
                let code = data.readInteger(as: UInt16.self)
                let reason = data.readString(length: data.readableBytes) ?? ""
                // Answer the close handshake (RFC 6455 §5.5.1), then report it.
                try? await self.sender.close(code: code ?? 1000)
                self.closed = true
                return .close(code: code, reason: reason)
            default:
                break
            }
        }
        return nil
    }

    /// RFC 6455 §5.2 and RFC 7692 §6.1: RSV1 only with the extension and only on the first
    /// frame of a data message; RSV2 and RSV3 never (no extension here defines them).
    private func reservedBitsViolation(_ frame: WebSocketFrame) -> String? {
        if frame.rsv2 || frame.rsv3 { return "reserved bits RSV2/RSV3 set" }
        guard frame.rsv1 else { return nil }
        guard self.inflater != nil else { return "RSV1 set without permessage-deflate" }
        guard frame.opcode == .text || frame.opcode == .binary else { return "RSV1 set on a control or continuation frame" }
        return nil
    }

    private mutating func message(_ opcode: WebSocketOpcode, _ data: ByteBuffer, compressed: Bool) async throws -> WebSocketMessage {
        var data = data
        if compressed, let inflater = self.inflater {
            do {
                data = try inflater.inflate(data, limit: self.inflateLimit)
            } catch {
                switch error {
                case .tooLarge:
                    try await self.fail(.messageTooBig, "message larger than \(self.inflateLimit) bytes once inflated")
                case .corrupt(let detail):
                    try await self.fail(.invalidPayload, "compressed message does not inflate: \(detail)")
                }
            }
        }
        return opcode == .text ? .text(String(buffer: data)) : .binary(data)
    }

    /// Closes with `code` (best effort: the socket may be gone) and throws.
    private mutating func fail(_ code: CloseCode, _ reason: String) async throws -> Never {
        self.closed = true
        self.partial = nil
        try? await self.sender.close(code: code.rawValue)
        throw WebSocketConnection.ProtocolViolation(code: code, reason: reason)
    }
}
