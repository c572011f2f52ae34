import Logging
import NIOCore
import NIOWebSocket
import SpacesCore

/// One listener's WebSocket: receives its few text messages and is written to by its ``Shard``.
///
/// Owned by its channel's event loop, which is also its shard's: the shard calls
/// ``sendAudio(_:)`` and ``sendControl(_:)`` on that loop, never from elsewhere.
final class ListenerConnection: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    let id: String
    let space: LiveSpace
    private let relay: Relay
    private let peer: WebSocketPeer
    private var assembler: FrameAssembler
    private var context: ChannelHandlerContext?
    private var channel: Channel?
    private let logger: Logger

    /// Position in the shard's listener array; managed by the shard.
    var slot = -1
    /// Audio frames not sent because the listener could not keep up.
    private(set) var droppedBatches = 0
    private var registered = false

    init(id: String, space: LiveSpace, relay: Relay, writer: SocketWriter, limits: SpacesConfiguration.Limits, logger: Logger) {
        self.id = id
        self.space = space
        self.relay = relay
        self.peer = WebSocketPeer(writer: writer)
        self.assembler = FrameAssembler(limit: limits.listenerMessageBytes)
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.channel = context.channel
        let welcome = ServerEvent.welcome(.init(space: self.space.summary, codec: self.space.codec, listenerId: self.id))
        self.peer.send(PreframedMessage.text(welcome.json()).bytes)
        guard self.space.state == .live else {
            self.sendEndedAndClose(reason: "ended")
            return
        }
        self.relay.shard(on: context.eventLoop).add(self)
        self.registered = true
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.peer.channelInactive()
        self.leave()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.leave()
        self.context = nil
    }

    private func leave() {
        guard self.registered else { return }
        self.registered = false
        self.relay.shard(on: self.channel!.eventLoop).remove(self)
        self.space.releaseListener()
        self.relay.listenerLeft()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch self.assembler.receive(frame) {
        case .none:
            break
        case .binary:
            self.peer.close(.unsupportedData, reason: "listeners send text only", context: context)
        case .text(let buffer):
            self.receiveText(buffer, context: context)
        case .pong(let payload):
            self.peer.send(PreframedMessage(opcode: .pong, payload: payload).bytes)
        case .close(let code):
            self.peer.peerClosed(code: code, context: context)
        case .fail(let code, let reason):
            self.peer.close(code, reason: reason, context: context)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.peer.handle(error: error, context: context)
    }

    private func receiveText(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        let bytes = buffer.readableBytesView
        guard String(validating: bytes, as: UTF8.self) != nil else {
            self.peer.close(.invalidPayload, reason: "text is not UTF-8", context: context)
            return
        }
        do {
            switch try ClientEvent.parse(bytes) {
            case .ping:
                self.peer.send(PreframedMessage.text(ServerEvent.pong.json()).bytes)
            }
        } catch {
            let event = ServerEvent.error(.init(code: error.code, message: error.message))
            self.peer.send(PreframedMessage.text(event.json()).bytes)
        }
    }

    // MARK: Called by the shard, on this loop.

    /// Sends an audio batch unless the listener is behind; a dropped batch is counted, never queued.
    @inline(__always)
    func sendAudio(_ bytes: ByteBuffer) -> Bool {
        guard let channel = self.channel, channel.isWritable, !self.peer.closing else {
            self.droppedBatches &+= 1
            return false
        }
        self.peer.writer.send(bytes)
        return true
    }

    /// Sends a control event; control events are never dropped.
    func sendControl(_ bytes: ByteBuffer) {
        self.peer.send(bytes)
    }

    /// Sends `ended` and closes with 1000.
    func sendEndedAndClose(reason: String) {
        guard let context = self.context else { return }
        self.peer.send(PreframedMessage.text(ServerEvent.ended(.init(reason: reason)).json()).bytes)
        self.peer.close(.ended, reason: reason, context: context)
    }

    /// Closes with `code` (server shutdown).
    func close(_ code: CloseCode, reason: String) {
        guard let context = self.context else { return }
        self.peer.close(code, reason: reason, context: context)
    }
}

@available(*, unavailable)
extension ListenerConnection: Sendable {}
