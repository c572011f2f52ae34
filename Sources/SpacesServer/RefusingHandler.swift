import NIOCore
import NIOWebSocket
import SpacesCore

/// Closes a freshly upgraded WebSocket with a named code (a race lost after the HTTP checks).
final class RefusingHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    private let peer: WebSocketPeer
    private let code: CloseCode
    private let reason: String

    init(writer: SocketWriter, code: CloseCode, reason: String) {
        self.peer = WebSocketPeer(writer: writer)
        self.code = code
        self.reason = reason
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.peer.close(self.code, reason: self.reason, context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        if frame.opcode == .connectionClose {
            var payload = frame.unmaskedData
            self.peer.peerClosed(code: payload.readInteger(as: UInt16.self), context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension RefusingHandler: Sendable {}
