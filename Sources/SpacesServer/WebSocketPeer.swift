import NIOCore
import NIOWebSocket
import SpacesCore

/// The closing half of a server-side WebSocket connection, shared by listeners and publishers.
///
/// Sends the close frame, then waits a bounded time for the peer's answer before closing the
/// socket, so peers see a clean close rather than a reset. Touched on its event loop only.
final class WebSocketPeer {
    /// How long to wait for the peer's close frame: long enough for a phone on a bad network,
    /// short enough that a vanished peer does not hold a descriptor.
    static let closeTimeout = TimeAmount.seconds(2)

    let writer: SocketWriter
    private(set) var closing = false
    private var timeout: Scheduled<Void>?

    init(writer: SocketWriter) {
        self.writer = writer
    }

    /// Sends a pre-framed control or text message unless the connection is closing.
    func send(_ bytes: ByteBuffer) {
        guard !self.closing else { return }
        self.writer.send(bytes)
    }

    /// Starts the close handshake with `code`.
    func close(_ code: CloseCode, reason: String = "", context: ChannelHandlerContext) {
        guard !self.closing else { return }
        self.closing = true
        self.writer.send(PreframedMessage.close(code, reason: reason).bytes)
        let channel = context.channel
        self.timeout = context.eventLoop.scheduleTask(in: Self.closeTimeout) {
            channel.close(promise: nil)
        }
    }

    /// The peer sent a close frame: answer it (if we did not start) and close the socket.
    func peerClosed(code: UInt16?, context: ChannelHandlerContext) {
        if !self.closing {
            self.closing = true
            var payload = context.channel.allocator.buffer(capacity: 2)
            // Echo the peer's code (RFC 6455 §5.5.1); a close without a code is echoed as 1000.
            payload.writeInteger(code ?? CloseCode.ended.rawValue)
            self.writer.send(PreframedMessage(opcode: .close, payload: payload).bytes)
        }
        self.timeout?.cancel()
        context.close(promise: nil)
    }

    /// Maps a pipeline error to a close: decoder errors get their named code, I/O errors close.
    func handle(error: any Error, context: ChannelHandlerContext) {
        switch error {
        case NIOWebSocketError.invalidFrameLength:
            self.close(.messageTooBig, reason: "frame too large", context: context)
        case is NIOWebSocketError:
            self.close(.protocolError, reason: "malformed frame", context: context)
        default:
            self.timeout?.cancel()
            context.close(promise: nil)
        }
    }

    func channelInactive() {
        self.closing = true
        self.timeout?.cancel()
        self.timeout = nil
    }
}

@available(*, unavailable)
extension WebSocketPeer: Sendable {}
