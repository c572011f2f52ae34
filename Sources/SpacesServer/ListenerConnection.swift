import Logging
import NIOCore
import NIOWebSocket
import SpacesCompression
import SpacesCore

/// One listener's WebSocket, from the line to the fan-out.
///
/// It starts *pending*; the ``AdmissionGate`` then makes it *waiting* (in the Space's line) or
/// *admitted* (in its ``Shard``, receiving audio). Owned by its channel's event loop, which is
/// also its shard's: the gate and the shard call it on that loop only.
final class ListenerConnection: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame

    enum Phase {
        case pending
        case waiting(arrivalMicros: UInt64)
        case admitted(listenerID: UInt64)
        case done
    }

    let number: UInt64
    let space: LiveSpace
    private let relay: Relay
    private let gate: AdmissionGate?
    private let plan: AdmissionGate.Plan
    private let peer: WebSocketPeer
    private var assembler: FrameAssembler
    /// Messages (and pings) a listener may send: a flood is closed with 1008, and nothing is
    /// answered to a listener that does not read what it is sent.
    private var inbound: TokenBucket
    private var context: ChannelHandlerContext?
    private var channel: (any Channel)?
    private let logger: Logger
    private let metrics: ServerMetrics?
    private(set) var phase: Phase = .pending
    /// The peer said goodbye with a close frame: its slot is not held for a resume.
    private var closedCleanly = false

    /// Position in the shard's listener array; managed by the shard.
    var slot = -1
    /// Send, drop or evict, batch by batch.
    private var dropPolicy: DropPolicy
    /// The latest update of each kind it could not take yet (newer replaces older), by
    /// ``SharedUpdate/Kind`` raw value.
    private var pending = [ByteBuffer?](repeating: nil, count: SharedUpdate.Kind.allCases.count)
    /// Whether it negotiated permessage-deflate (it was given an inflater for what it sends):
    /// shared updates go to it compressed.
    let compressed: Bool
    /// Refused messages it may cause (bad JSON, unknown types, over-long questions …) before it
    /// is closed with 1008; rate-limited actions do not count.
    private var errorBudget: TokenBucket
    /// While it waits: pinged every `limits.waitingPingSeconds`, closed when a ping goes unanswered.
    private let pingInterval: TimeAmount
    private var pinger: RepeatedTask?
    private var lastHeard = NIODeadline.now()
    /// When the waiting connection was last pinged (nil before the first ping).
    private var lastPing: NIODeadline?

    init(
        number: UInt64, space: LiveSpace, relay: Relay, gate: AdmissionGate?, plan: AdmissionGate.Plan, writer: SocketWriter,
        limits: SpacesConfiguration.Limits, evictAfterMicros: UInt64, errorsPerMinute: Int = SpacesConfiguration.Conversation().errorsPerMinute,
        inflater: Inflater? = nil, metrics: ServerMetrics? = nil, logger: Logger
    ) {
        self.metrics = metrics
        self.number = number
        self.space = space
        self.relay = relay
        self.gate = gate
        self.plan = plan
        self.peer = WebSocketPeer(writer: writer)
        self.assembler = FrameAssembler(limit: limits.listenerMessageBytes, inflater: inflater)
        self.dropPolicy = DropPolicy(evictAfterMicros: evictAfterMicros)
        self.inbound = TokenBucket(
            ratePerSecond: Double(limits.listenerMessagesPerSecond), burst: Double(limits.listenerMessagesPerSecond * 2),
            nowMicros: WallClock.nowMicros()
        )
        self.errorBudget = TokenBucket(
            ratePerSecond: Double(max(1, errorsPerMinute)) / 60, burst: Double(max(1, errorsPerMinute)), nowMicros: WallClock.nowMicros()
        )
        self.compressed = inflater != nil
        self.pingInterval = .seconds(Int64(max(1, limits.waitingPingSeconds)))
        self.logger = logger
    }

    /// Whether a reply to the listener may be queued: only while it reads what it is sent.
    private func canReply(_ context: ChannelHandlerContext) -> Bool {
        context.channel.isWritable
    }

    var isWaiting: Bool {
        if case .waiting = self.phase { return true }
        return false
    }

    var arrivalMicros: UInt64? {
        if case .waiting(let arrival) = self.phase { return arrival }
        return nil
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
        self.channel = context.channel
        guard self.space.state == .live else {
            self.sendEndedAndClose(reason: "ended")
            return
        }
        if let gate = self.gate {
            gate.join(self, number: self.number, plan: self.plan, eventLoop: context.eventLoop)
        } else {
            self.admit(listenerID: self.number, resumeToken: nil)
        }
    }

    // MARK: Called by the gate, on this loop.

    func admit(listenerID: UInt64, resumeToken: String?, resumed: Bool = false) {
        guard self.context != nil else { return }
        switch self.phase {
        case .pending, .waiting: break
        case .admitted, .done: return
        }
        self.pinger?.cancel()
        self.pinger = nil
        guard self.space.state == .live else {
            self.sendEndedAndClose(reason: "ended")
            return
        }
        guard !self.relay.isDraining else {
            self.close(.goingAway, reason: "server shutting down")
            return
        }
        self.phase = .admitted(listenerID: listenerID)
        let welcome = self.space.welcome.json(
            listenerId: String(listenerID, radix: 36), resumeToken: resumeToken, nodes: self.space.broker?.failoverNodes
        )
        self.peer.send(PreframedMessage.text(welcome).bytes)
        if let questions = self.space.conversation.latestQuestions { self.sendShared(questions) }
        for event in self.space.conversation.join(listenerID, resumed: resumed, connection: self, eventLoop: self.channel!.eventLoop) {
            self.peer.send(PreframedMessage.text(event.json()).bytes)
        }
        self.relay.shard(on: self.channel!.eventLoop).add(self)
        self.space.listenerJoined()
    }

    func enterWaitingRoom(position: Int, etaSeconds: Int?, arrivalMicros: UInt64) {
        guard case .pending = self.phase else { return }
        self.phase = .waiting(arrivalMicros: arrivalMicros)
        self.updatePosition(position, etaSeconds: etaSeconds)
        self.startPinging()
    }

    /// Pings while it waits; a peer that sent nothing in the interval after a ping is gone (its
    /// network, not its will): it is closed and its place in line freed, two intervals after it
    /// was last heard at most. Admitted listeners need none of this: the audio they are sent
    /// finds out (the budget, then eviction).
    private func startPinging() {
        guard self.pinger == nil, let context = self.context else { return }
        let bound = NIOLoopBound(self, eventLoop: context.eventLoop)
        let interval = self.pingInterval
        self.pinger = context.eventLoop.scheduleRepeatedTask(initialDelay: interval, delay: interval) { task in
            let connection = bound.value
            guard connection.isWaiting, let context = connection.context else {
                task.cancel()
                return
            }
            if let pinged = connection.lastPing, connection.lastHeard < pinged {
                // Its place is freed now, not when the close handshake times out.
                connection.leave()
                connection.peer.close(.goingAway, reason: "no answer to pings", context: context)
            } else {
                connection.lastPing = .now()
                connection.peer.send(PreframedMessage(opcode: .ping, payload: ByteBuffer()).bytes)
            }
        }
    }

    func updatePosition(_ position: Int, etaSeconds: Int?) {
        guard self.isWaiting else { return }
        self.peer.send(PreframedMessage.text(ServerEvent.waiting(.init(position: position, etaSeconds: etaSeconds)).json()).bytes)
    }

    /// No place: tell it where it stands and close with 1013.
    func refuse(reason: String, retryAfterSeconds: Int, ticket: String) {
        guard let context = self.context else { return }
        self.leave()
        let event = ServerEvent.refused(.init(reason: reason, retryAfterSeconds: retryAfterSeconds, ticket: ticket))
        self.peer.send(PreframedMessage.text(event.json()).bytes)
        self.peer.close(.tryAgainLater, reason: "no place in line", context: context)
    }

    // MARK: Lifecycle

    func channelInactive(context: ChannelHandlerContext) {
        self.peer.channelInactive()
        self.leave()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.leave()
        self.context = nil
    }

    /// Leaves the fan-out and the line, once.
    private func leave() {
        self.pinger?.cancel()
        self.pinger = nil
        let phase = self.phase
        self.phase = .done
        switch phase {
        case .done:
            return
        case .admitted(let listenerID):
            if self.dropPolicy.dropped > 0 {
                self.logger.debug("listener left", metadata: ["listener": "\(listenerID)", "droppedBatches": "\(self.dropPolicy.dropped)"])
            }
            self.relay.shard(on: self.channel!.eventLoop).remove(self)
            self.space.conversation.leave(listenerID, connection: self)
            self.space.listenerLeft()
            self.gate?.leave(number: self.number, listenerID: listenerID, space: self.space, hold: !self.closedCleanly)
        case .pending, .waiting:
            self.gate?.leave(number: self.number, listenerID: nil, space: self.space, hold: false)
        }
    }

    func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.dropPolicy.caughtUp()
            for index in self.pending.indices {
                if let bytes = self.pending[index] {
                    self.pending[index] = nil
                    self.peer.send(bytes)
                }
            }
        }
        context.fireChannelWritabilityChanged()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        self.lastHeard = .now()
        if frame.opcode != .connectionClose && !self.inbound.tryTake(nowMicros: WallClock.nowMicros()) {
            self.peer.close(.policyViolation, reason: "too many messages", context: context)
            return
        }
        switch self.assembler.receive(frame) {
        case .none:
            break
        case .binary:
            self.peer.close(.unsupportedData, reason: "listeners send text only", context: context)
        case .text(let buffer):
            self.receiveText(buffer, context: context)
        case .pong(let payload):
            if self.canReply(context) { self.peer.send(PreframedMessage(opcode: .pong, payload: payload).bytes) }
        case .close(let code):
            self.closedCleanly = code == nil || code == CloseCode.ended.rawValue || code == CloseCode.goingAway.rawValue
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
        let event: ClientEvent
        do {
            event = try ClientEvent.parse(bytes)
        } catch {
            self.refuse(.init(code: error.code, message: error.message), context: context)
            return
        }
        if event == .ping {
            self.reply(.pong, context: context)
            return
        }
        guard case .admitted(let listenerID) = self.phase else {
            self.refuse(.init(code: "not_admitted", message: "questions, hands and reactions open once you are admitted"), context: context)
            return
        }
        do {
            switch try self.space.conversation.receive(event, from: listenerID, nowMicros: WallClock.nowMicros()) {
            case .now(let answer):
                self.metrics?.conversationAccepted.increment()
                if let answer { self.reply(answer, context: context) }
            case .later(let answer):
                // Decided in the cluster; answered on this loop, in the order sent.
                let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
                answer.hop(to: context.eventLoop).whenComplete { result in
                    let (connection, context) = bound.value
                    switch result {
                    case .success(let answer):
                        connection.metrics?.conversationAccepted.increment()
                        if let answer { connection.reply(answer, context: context) }
                    case .failure(let error):
                        connection.refused(error as? QuestionQueueError ?? .unavailable, context: context)
                    }
                }
            }
        } catch {
            self.refused(error, context: context)
        }
    }

    private func refused(_ error: QuestionQueueError, context: ChannelHandlerContext) {
        (error.isRateLimited ? self.metrics?.conversationRateLimited : self.metrics?.conversationRefused)?.increment()
        // Neither a rate limit nor the cluster being away is the client's fault.
        self.refuse(ServerEvent.ErrorEvent(error), counts: !error.isRateLimited && error != .unavailable, context: context)
    }

    private func reply(_ event: ServerEvent, context: ChannelHandlerContext) {
        if self.canReply(context) { self.peer.send(PreframedMessage.text(event.json()).bytes) }
    }

    /// Answers a refused message with an `error` event; past the error budget, closes with 1008.
    private func refuse(_ error: ServerEvent.ErrorEvent, counts: Bool = true, context: ChannelHandlerContext) {
        if counts && !self.errorBudget.tryTake(nowMicros: WallClock.nowMicros()) {
            self.peer.close(.policyViolation, reason: "too many refused messages", context: context)
            return
        }
        self.reply(.error(error), context: context)
    }

    // MARK: Called by the shard, on this loop.

    /// Sends an audio batch unless the listener is over its budget; a dropped batch is never
    /// queued, and the listener resumes at the live edge once it catches up.
    /// The updates `carrying` go just before the batch, flushed with it (one system call); a
    /// listener that misses the batch keeps the latest of each kind for when it catches up.
    @inline(__always)
    func sendAudio(_ bytes: ByteBuffer, carrying: [SharedUpdate] = [], nowMicros: UInt64) -> DropPolicy.Outcome {
        guard let channel = self.channel, !self.peer.closing else { return .drop }
        let outcome = self.dropPolicy.offer(withinBudget: channel.isWritable, nowMicros: nowMicros)
        switch outcome {
        case .send:
            for update in carrying {
                self.pending[update.kind.rawValue] = nil
                self.peer.writer.write(update.bytes(compressed: self.compressed))
            }
            self.peer.writer.send(bytes)
        case .drop:
            for update in carrying { self.pending[update.kind.rawValue] = update.bytes(compressed: self.compressed) }
        case .evict:
            break
        }
        return outcome
    }

    /// Sends an update for every listener of the Space, compressed if it negotiated that.
    func sendShared(_ update: SharedUpdate) {
        self.sendLatest(update.kind, update.bytes(compressed: self.compressed))
    }

    /// Sends `bytes` now, or keeps them (replacing any older update of the kind) until the
    /// listener can take them. A `control` event is never dropped.
    func sendLatest(_ kind: SharedUpdate.Kind, _ bytes: ByteBuffer) {
        guard !self.peer.closing else { return }
        if kind == .control || self.channel?.isWritable == true {
            self.peer.send(bytes)
        } else {
            self.pending[kind.rawValue] = bytes
        }
    }

    /// Sends `ended` and closes with 1000.
    func sendEndedAndClose(reason: String) {
        guard let context = self.context else { return }
        self.peer.send(PreframedMessage.text(ServerEvent.ended(.init(reason: reason)).json()).bytes)
        self.peer.close(.ended, reason: reason, context: context)
    }

    /// Closes with `code` (drain, eviction, replacement).
    func close(_ code: CloseCode, reason: String) {
        guard let context = self.context else { return }
        self.peer.close(code, reason: reason, context: context)
    }
}

@available(*, unavailable)
extension ListenerConnection: Sendable {}
