import NIOCore
import NIOWebSocket

/// A client WebSocket: whole messages in, masked frames out; pings are answered.
public final class WebSocketConnection: Sendable {
    let channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>

    init(channel: NIOAsyncChannel<WebSocketFrame, WebSocketFrame>) {
        self.channel = channel
    }

    /// Runs `body` with the connection's messages and a sender, then closes the socket.
    public func run<R: Sendable>(
        _ body: (inout MessageIterator, WebSocketSender) async throws -> R
    ) async throws -> R {
        try await self.channel.executeThenClose { inbound, outbound in
            let sender = WebSocketSender(outbound: outbound)
            var iterator = MessageIterator(frames: inbound.makeAsyncIterator(), sender: sender)
            return try await body(&iterator, sender)
        }
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

/// Reassembles frames into messages. Returns `nil` once the socket is closed.
public struct MessageIterator {
    var frames: NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator
    let sender: WebSocketSender
    private var partial: ByteBuffer?
    private var partialOpcode: WebSocketOpcode = .text
    private var closed = false

    init(frames: NIOAsyncChannelInboundStream<WebSocketFrame>.AsyncIterator, sender: WebSocketSender) {
        self.frames = frames
        self.sender = sender
    }

    public mutating func next() async throws -> WebSocketMessage? {
        while !self.closed, let frame = try await self.frames.next() {
            switch frame.opcode {
            case .text, .binary:
                if frame.fin { return Self.message(frame.opcode, frame.data) }
                self.partial = frame.data
                self.partialOpcode = frame.opcode
            case .continuation:
                var data = frame.data
                self.partial?.writeBuffer(&data)
                if frame.fin, let whole = self.partial {
                    self.partial = nil
                    return Self.message(self.partialOpcode, whole)
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

    private static func message(_ opcode: WebSocketOpcode, _ data: ByteBuffer) -> WebSocketMessage {
        opcode == .text ? .text(String(buffer: data)) : .binary(data)
    }
}
