import Logging
import NIOCore
import NIOWebSocket
import SpacesCore

/// The host's publish socket: validates audio batches, stamps them and hands them to the relay.
///
/// Each batch is re-sequenced (contiguous per Space), stamped with the time it arrived, encoded
/// once into a pre-framed message and broadcast; in a cluster it is also published once to the
/// Space's channel, and the other nodes relay it with these sequence numbers and capture time. Invalid packets are dropped and counted; a
/// batch whose framing is broken closes the socket with 1002. Owned by its event loop.
final class PublisherConnection: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    let space: LiveSpace
    private let relay: Relay
    private let peer: WebSocketPeer
    private var assembler: FrameAssembler
    private let limits: SpacesConfiguration.Limits
    private let stateInterval: TimeAmount
    private let metrics: ServerMetrics
    private let publishers: PublisherSet
    private var ticker: RepeatedTask?
    private var attached = false
    private var context: ChannelHandlerContext?
    private let logger: Logger

    init(
        space: LiveSpace, relay: Relay, writer: SocketWriter, configuration: SpacesConfiguration,
        metrics: ServerMetrics, publishers: PublisherSet, logger: Logger
    ) {
        self.publishers = publishers
        self.space = space
        self.relay = relay
        self.peer = WebSocketPeer(writer: writer)
        self.limits = configuration.limits
        self.assembler = FrameAssembler(limit: configuration.limits.publishMessageBytes)
        self.stateInterval = .milliseconds(Int64(configuration.relay.stateIntervalMs))
        self.metrics = metrics
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        guard self.space.attachPublisher() else {
            self.peer.close(.policyViolation, reason: "another publisher is live", context: context)
            return
        }
        self.attached = true
        self.context = context
        self.publishers.insert(self, eventLoop: context.eventLoop)
        let event = ServerEvent.publishing(.init(space: self.space.summary, codec: self.space.codec, nodes: self.space.broker?.failoverNodes))
        self.peer.send(PreframedMessage.text(event.json()).bytes)
        // The conversation so far: a host reconnecting sees the queue and the hands at once.
        let (questions, hands) = self.space.conversation.hostViewNow(nowMicros: WallClock.nowMicros())
        let view = [questions.map(ServerEvent.questions), hands.map(ServerEvent.hands)].compactMap { $0 }
        self.sendUpdates(view.map { PreframedMessage.text($0.json()).bytes })
        let space = self.space
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.ticker = context.eventLoop.scheduleRepeatedTask(initialDelay: self.stateInterval, delay: self.stateInterval) { _ in
            let connection = bound.value
            if space.state == .ended, let context = connection.context {
                connection.sendEndedAndClose(reason: "ended", context: context)
                return
            }
            let state = ServerEvent.state(.init(
                listeners: space.listenerCount, invalidPackets: space.invalidPackets, framesRelayed: space.framesRelayed
            ))
            connection.peer.send(PreframedMessage.text(state.json()).bytes)
        }
        self.logger.info("publisher attached", metadata: ["space": "\(self.space.id)"])
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.detach()
        self.context = nil
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.peer.channelInactive()
        self.detach()
        context.fireChannelInactive()
    }

    private func detach() {
        self.ticker?.cancel()
        self.ticker = nil
        guard self.attached else { return }
        self.attached = false
        self.publishers.remove(self)
        self.space.detachPublisher()
        self.logger.info("publisher detached", metadata: ["space": "\(self.space.id)"])
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch self.assembler.receive(Self.unwrapInboundIn(data)) {
        case .none:
            break
        case .binary(let buffer):
            self.receiveBatch(buffer, context: context)
        case .text(let buffer):
            self.receiveAction(buffer, context: context)
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

    /// Sends the host's view of the conversation (framed by the caller, off this loop).
    func sendUpdates(_ frames: [ByteBuffer]) {
        guard self.attached, !self.peer.closing else { return }
        for frame in frames { self.peer.send(frame) }
    }

    /// A host action in a text message: applied, and answered with `applied` or `error`.
    private func receiveAction(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        guard self.attached, !self.peer.closing else { return }
        let bytes = buffer.readableBytesView
        guard String(validating: bytes, as: UTF8.self) != nil else {
            self.peer.close(.invalidPayload, reason: "text is not UTF-8", context: context)
            return
        }
        let action: HostAction
        do {
            action = try HostAction.parse(bytes)
        } catch {
            self.peer.send(PreframedMessage.text(ServerEvent.error(.init(code: error.code, message: error.message)).json()).bytes)
            return
        }
        // Answered in the order sent: the futures of one loop complete in order.
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        self.space.conversation.perform(action, on: context.eventLoop).whenComplete { result in
            let reply: ServerEvent = switch result {
            case .success(let outcome): .applied(outcome.applied)
            case .failure(let error): .error(ServerEvent.ErrorEvent(error as? QuestionQueueError ?? .unavailable))
            }
            let connection = bound.value
            guard !connection.peer.closing else { return }
            connection.peer.send(PreframedMessage.text(reply.json()).bytes)
        }
    }

    /// Closes with `code` (the node is draining).
    func close(_ code: CloseCode, reason: String) {
        guard let context = self.context else { return }
        self.peer.close(code, reason: reason, context: context)
    }

    /// Ends the Space from the publisher's side (the Space was deleted).
    func sendEndedAndClose(reason: String, context: ChannelHandlerContext) {
        self.peer.send(PreframedMessage.text(ServerEvent.ended(.init(reason: reason)).json()).bytes)
        self.peer.close(.ended, reason: reason, context: context)
    }

    private func receiveBatch(_ buffer: ByteBuffer, context: ChannelHandlerContext) {
        guard self.attached, !self.peer.closing else { return }
        guard self.space.state == .live else {
            self.sendEndedAndClose(reason: "ended", context: context)
            return
        }
        let batch: AudioBatch
        do {
            batch = try AudioBatch.decode(buffer, limit: self.limits.publishMessageBytes)
        } catch {
            self.metrics.invalidBatches.increment()
            self.peer.close(.protocolError, reason: error.description, context: context)
            return
        }
        guard batch.frames.count <= self.limits.maxFramesPerPublishBatch else {
            self.metrics.invalidBatches.increment()
            self.peer.close(
                .policyViolation, reason: "more than \(self.limits.maxFramesPerPublishBatch) frames in a batch",
                context: context
            )
            return
        }
        let received = WallClock.nowMicros()
        var valid: [ByteBuffer] = []
        valid.reserveCapacity(batch.frames.count)
        for packet in batch.frames {
            if (try? OpusPacket.validate(packet)) != nil { valid.append(packet) }
        }
        let invalid = batch.frames.count - valid.count
        if invalid > 0 {
            self.space.countInvalid(invalid)
            self.metrics.invalidPackets.increment(by: Int64(invalid))
        }
        guard !valid.isEmpty else { return }
        let out = AudioBatch(
            firstSequence: self.space.takeSequence(count: valid.count),
            captureTimeMicros: received,
            frames: valid
        )
        let message = PreframedMessage(batch: out, allocator: context.channel.allocator)
        self.relay.broadcast(out, encoded: message.bytes, to: self.space)
        if let broker = self.space.broker {
            // Once for the whole cluster; every other node frames it for its own listeners.
            var raw = context.channel.allocator.buffer(capacity: out.encodedSize)
            out.encode(into: &raw)
            broker.publish(raw, space: self.space)
        }
        self.space.countRelayed(valid.count)
        self.metrics.framesRelayed.increment(by: Int64(valid.count))
        self.metrics.batchesRelayed.increment()
    }
}

@available(*, unavailable)
extension PublisherConnection: Sendable {}
