import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import SpacesClient
import SpacesCore

/// One simulated listener: joins, waits, listens, misbehaves as its part says, and records.
///
/// Light on purpose, so that the server is what a run measures: it reads batch headers
/// (sequence, capture time) and the type of text events, and parses JSON only for the rare
/// events that carry something it needs (`waiting`, `welcome`, `refused`). Owned by its event
/// loop, like its ``LoopRecorder``.
final class SimulatedListener {
    enum Phase {
        case idle, connecting, waiting, admitted, closing, done
    }

    let index: Int
    let behaviour: LoadPlan.Behaviour
    let plan: LoadPlan
    let recorder: LoopRecorder
    let eventLoop: any EventLoop
    /// Where it listens: the plan's URL, or another node's after a failover.
    private(set) var url: ServerURL
    /// `url`'s `host:port`: the key of its node in the report.
    private var node: String
    let sourceAddress: String?
    let deadline: NIODeadline
    private(set) var phase = Phase.idle
    private var channel: (any Channel)?
    private var context: ChannelHandlerContext?
    private var joinStarted = NIODeadline.now()
    private var answered = false
    private var enteredLine: NIODeadline?
    private var lastPosition: Int?
    private var sequence = SequenceTracker()
    private var resumeToken: String?
    private var resuming = false
    private var churned = false
    private var slowReader: RepeatedTask?
    /// A close frame arrived on the current connection, and its code.
    private(set) var sawClose = false
    private var closeCode: UInt16?
    /// The nodes its last `welcome` named, for a failover.
    private var nodes: [String]?
    /// When its connection was lost, while it looks for another node.
    private var lostAt: NIODeadline?
    /// It drops its own connection (churn): not a lost node.
    private var dropping = false
    /// How long a lost listener looks for another node (the server's resume grace).
    static let failoverWindow = TimeAmount.seconds(30)

    init(index: Int, plan: LoadPlan, recorder: LoopRecorder, url: ServerURL, sourceAddress: String?, deadline: NIODeadline) {
        self.index = index
        self.behaviour = plan.behaviour(of: index)
        self.plan = plan
        self.recorder = recorder
        self.eventLoop = recorder.eventLoop
        self.url = url
        self.node = url.hostHeader
        self.sourceAddress = sourceAddress
        self.deadline = deadline
    }

    // MARK: Joining

    func start() {
        self.recorder.report.listeners += 1
        self.join(target: self.url.target)
    }

    private func join(target: String) {
        guard NIODeadline.now() < self.deadline else {
            self.phase = .done
            return
        }
        self.phase = .connecting
        self.joinStarted = .now()
        self.answered = false
        self.sawClose = false
        self.closeCode = nil
        let small = self.behaviour == .slow || self.behaviour == .stall
        var bootstrap = ClientBootstrap(group: self.eventLoop)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        if small {
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(self.plan.slowReceiveBufferBytes))
        }
        if let source = self.sourceAddress, let address = try? SocketAddress(ipAddress: source, port: 0) {
            bootstrap = bootstrap.bind(to: address)
        }
        let url = self.url
        let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
        let outcome = self.eventLoop.makePromise(of: Outcome.self)
        bootstrap = bootstrap.channelInitializer { channel in
            channel.eventLoop.makeCompletedFuture {
                try Self.configureUpgrade(channel: channel, url: url, target: target, listener: bound).cascade(to: outcome)
            }
        }
        // An address literal (the usual case in a rehearsal) is connected to as it is: no
        // resolver thread and no Happy Eyeballs per join.
        let connecting = if let address = try? SocketAddress(ipAddress: url.host, port: url.port) {
            bootstrap.connect(to: address)
        } else {
            bootstrap.connect(host: url.host, port: url.port)
        }
        connecting.whenFailure { outcome.fail($0) }
        outcome.futureResult.assumeIsolated().whenComplete { result in
            let listener = bound.value
            switch result {
            case .success(.upgraded):
                break
            case .success(.refused(let status, let retryAfter, let ticket)):
                listener.refused(status: status, retryAfter: retryAfter, ticket: ticket)
            case .failure(let error):
                listener.failed(error)
            }
        }
    }

    enum Outcome: Sendable {
        case upgraded
        case refused(status: Int, retryAfter: Int?, ticket: String?)
    }

    private static func configureUpgrade(
        channel: any Channel, url: ServerURL, target: String, listener: NIOLoopBound<SimulatedListener>
    ) throws -> EventLoopFuture<Outcome> {
        let outcome: EventLoopFuture<EventLoopFuture<Outcome>> = try WebSocketClient.configureUpgrade(
            channel: channel, url: url.with(target: target),
            upgraded: { channel in
                try channel.pipeline.syncOperations.addHandler(LightFrameHandler(listener: listener.value))
                return channel.eventLoop.makeSucceededFuture(.upgraded)
            },
            refused: { response in
                response.map { response in
                    .refused(
                        status: response.status, retryAfter: response.headers.first(name: "retry-after").flatMap { Int($0) },
                        ticket: response.apiError?.ticket
                    )
                }
            }
        )
        return outcome.flatMap { $0 }
    }

    private func firstAnswer() {
        guard !self.answered else { return }
        self.answered = true
        self.recorder.report.answered += 1
        _ = self.recorder.report.answerMicros.record(UInt64((NIODeadline.now() - self.joinStarted).nanoseconds / 1000))
    }

    private func refused(status: Int, retryAfter: Int?, ticket: String?) {
        self.firstAnswer()
        self.recorder.report.httpRefusals[String(status), default: 0] += 1
        self.recorder.withSecond { $0.refused += 1 }
        self.phase = .idle
        if status == 503, ticket == nil, self.resuming, let lostAt = self.lostAt, NIODeadline.now() - lostAt < Self.failoverWindow {
            // The slot is still held by the node that was lost: it is known dead within seconds.
            let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
            let target = self.resumeToken.map { self.url.settingQuery("resume", to: $0).target } ?? self.url.target
            self.eventLoop.scheduleTask(in: .seconds(Int64(max(1, retryAfter ?? 1)))) { bound.value.join(target: target) }
            return
        }
        guard status == 503, self.plan.honorRetry, let ticket else {
            self.phase = .done
            return
        }
        self.retry(after: retryAfter ?? 30, ticket: ticket)
    }

    private func retry(after seconds: Int, ticket: String) {
        let wait = TimeAmount.seconds(Int64(max(1, seconds)))
        guard NIODeadline.now() + wait < self.deadline else {
            self.phase = .done
            return
        }
        let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
        let target = self.url.settingQuery("ticket", to: ticket).target
        self.eventLoop.scheduleTask(in: wait) { bound.value.join(target: target) }
    }

    private func failed(_ error: any Error) {
        self.recorder.report.failures[Self.kind(of: error), default: 0] += 1
        self.recorder.withSecond { $0.failed += 1 }
        self.phase = .done
        // The node it was sent to is gone as well (its heartbeat has not expired yet): again.
        if self.lostAt != nil { self.failover(after: .milliseconds(500)) }
    }

    // MARK: Failover

    /// Its node is lost: asks `GET /v1/spaces/{id}` of the nodes it knows for a new
    /// `listenURL` and resumes there with `?resume=` (as the CLI and the page do).
    private func failover(after delay: TimeAmount = .zero) {
        let now = NIODeadline.now()
        let lostAt = self.lostAt ?? now
        guard let token = self.resumeToken, let id = NodeFailover.spaceID(of: self.url), now < self.deadline,
            now - lostAt < Self.failoverWindow
        else {
            self.lostAt = nil
            return
        }
        if self.lostAt == nil { self.recorder.report.failovers += 1 }
        self.lostAt = lostAt
        self.phase = .connecting
        let failover = NodeFailover(spaceID: id, lost: self.url.with(target: "/"), nodes: self.nodes)
        let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
        let loop = self.eventLoop
        loop.scheduleTask(in: delay) {
            Task {
                let outcome = await failover.find(resumeToken: token, group: loop)
                loop.execute { bound.value.found(outcome) }
            }
        }
    }

    private func found(_ outcome: NodeFailover.Outcome) {
        switch outcome {
        case .listen(let next):
            self.url = next.with(target: next.target.split(separator: "?", maxSplits: 1).first.map(String.init) ?? next.target)
            self.node = next.hostHeader
            self.resuming = true
            self.join(target: next.target)
        case .ended:
            self.lostAt = nil
            self.phase = .done
        case .unreachable:
            self.phase = .done
            self.failover(after: .milliseconds(500))
        }
    }

    static func kind(of error: any Error) -> String {
        switch error {
        case let error as IOError:
            switch error.errnoCode {
            case ECONNREFUSED: return "connection_refused"
            case ECONNRESET: return "connection_reset"
            case EADDRNOTAVAIL: return "no_source_port"
            case EMFILE, ENFILE: return "too_many_open_files"
            default: return "io_\(error.errnoCode)"
            }
        case ChannelError.connectTimeout: return "connect_timeout"
        case is NIOHTTPClientUpgradeError: return "bad_upgrade"
        default: return String(describing: type(of: error))
        }
    }

    // MARK: On the socket (from LightFrameHandler)

    func upgraded(context: ChannelHandlerContext) {
        self.context = context
        self.channel = context.channel
        _ = self.recorder.report.connectMicros.record(UInt64((NIODeadline.now() - self.joinStarted).nanoseconds / 1000))
        // Ends the run's connection at the deadline, politely.
        let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.eventLoop.scheduleTask(deadline: self.deadline) { bound.value.finish() }
    }

    func text(_ data: ByteBuffer) {
        let view = data.readableBytesView
        // The frequent events first, told apart by their first key (the server sorts keys), so
        // that a 2 KB `questions` update to every listener is not scanned byte by byte.
        if Self.hasPrefix(view, #"{"listeners":"#) { return }
        if Self.hasPrefix(view, #"{"onAir":"#) {
            self.recorder.report.questionUpdates += 1
            return
        }
        if Self.hasPrefix(view, #"{"counts":"#) {
            self.recorder.report.reactionUpdates += 1
            return
        }
        if self.plan.talks && self.conversationAnswer(data) { return }
        if Self.contains(view, #""type":"waiting""#) {
            self.waiting(Self.decode(ServerEvent.Waiting.self, data))
        } else if Self.contains(view, #""type":"welcome""#) {
            self.welcome(Self.decode(ServerEvent.Welcome.self, data))
        } else if Self.contains(view, #""type":"refused""#) {
            if let refused = Self.decode(ServerEvent.Refused.self, data) {
                // An answer too: upgraded, then no place after all (an earlier arrival took the
                // last one meanwhile, PROTOCOL §5.1), as well as bumped from the line.
                self.firstAnswer()
                self.recorder.withSecond { $0.refused += 1 }
                self.leaveLine()
                if self.plan.honorRetry { self.retry(after: refused.retryAfterSeconds, ticket: refused.ticket) }
            }
        }
    }

    private func waiting(_ event: ServerEvent.Waiting?) {
        guard let event else { return }
        self.firstAnswer()
        if self.enteredLine == nil {
            self.enteredLine = .now()
            self.phase = .waiting
            self.recorder.waiting += 1
            self.recorder.report.waitingAnswers += 1
            self.recorder.withSecond { $0.waitingAnswers += 1 }
        }
        if let last = self.lastPosition, event.position > last { self.recorder.report.positionsWentBack += 1 }
        self.lastPosition = event.position
    }

    private func welcome(_ event: ServerEvent.Welcome?) {
        self.firstAnswer()
        let now = NIODeadline.now()
        _ = self.recorder.report.welcomeMicros.record(UInt64((now - self.joinStarted).nanoseconds / 1000))
        if let entered = self.enteredLine {
            self.leaveLine()
            _ = self.recorder.report.waitedMicros.record(UInt64((now - entered).nanoseconds / 1000))
            self.recorder.report.admittedFromWaiting += 1
            self.recorder.admissionsFromLine.append((entered, now))
        }
        self.phase = .admitted
        self.recorder.connected += 1
        self.recorder.report.admitted += 1
        if self.resuming { self.recorder.report.resumed += 1 }
        self.recorder.withSecond { $0.admitted += 1 }
        self.resumeToken = event?.resumeToken
        self.nodes = event?.nodes ?? self.nodes
        self.lostAt = nil
        self.recorder.report.nodes[self.node, default: NodeTally()].admitted += 1
        self.misbehave()
        if self.plan.talks && self.behaviour == .steady { self.scheduleTalk() }
    }

    private func leaveLine() {
        if self.enteredLine != nil, self.phase == .waiting {
            self.recorder.waiting -= 1
            self.phase = .connecting
        }
        self.enteredLine = nil
        self.lastPosition = nil
    }

    func audio(_ data: ByteBuffer) {
        guard data.readableBytes >= AudioBatch.headerSize,
            let count = data.getInteger(at: data.readerIndex + 1, as: UInt8.self),
            let first = data.getInteger(at: data.readerIndex + 2, as: UInt32.self),
            let capture = data.getInteger(at: data.readerIndex + 6, as: UInt64.self)
        else { return }
        let before = self.sequence
        self.sequence.record(first: first, count: Int(count))
        let lost = self.sequence.lost - before.lost
        let now = WallClock.nowMicros()
        let latency = now > capture ? now - capture : 0
        let report = self.recorder
        report.report.framesReceived += Int(count)
        report.report.framesLost += lost
        report.report.gaps += self.sequence.gaps - before.gaps
        report.report.outOfOrderBatches += self.sequence.outOfOrder - before.outOfOrder
        report.report.bytesReceived += data.readableBytes
        _ = report.report.latencyMicros.record(min(latency, 590_000_000))
        Self.count(&report.report.nodes[self.node, default: NodeTally()], frames: Int(count), lost: lost, latency: latency)
        report.withSecond { second in
            second.framesReceived += Int(count)
            second.framesLost += lost
            second.latency.record(micros: latency)
        }
    }

    /// One batch into its node's tally (one dictionary access, changed in place).
    private static func count(_ tally: inout NodeTally, frames: Int, lost: Int, latency: UInt64) {
        tally.framesReceived += frames
        tally.framesLost += lost
        tally.latency.record(micros: latency)
    }

    func closed(code: UInt16?) {
        self.recorder.report.closeCodes[code.map(String.init) ?? "none", default: 0] += 1
        self.closeCode = code
    }

    /// The server sent its close frame.
    func finishClosed() {
        self.sawClose = true
    }

    /// The socket is gone (after a close, a drop or the end of the run).
    func inactive() {
        self.slowReader?.cancel()
        self.slowReader = nil
        let wasAdmitted = self.phase == .admitted
        if wasAdmitted { self.recorder.connected -= 1 }
        self.leaveLine()
        self.context = nil
        self.channel = nil
        if self.phase != .idle { self.phase = .done }
        // Lost, not left: no close frame, or the node going away.
        let lost = !self.sawClose || self.closeCode == CloseCode.goingAway.rawValue || self.closeCode == CloseCode.internalError.rawValue
        if wasAdmitted, lost, !self.dropping, self.behaviour != .stall, self.behaviour != .slow { self.failover() }
        self.dropping = false
    }

    // MARK: Behaviours

    private func misbehave() {
        guard let channel = self.channel else { return }
        switch self.behaviour {
        case .steady:
            break
        case .stall:
            // Stops reading for good: the server must drop, then evict it.
            _ = channel.setOption(.autoRead, value: false)
        case .slow:
            // Reads 512 bytes every 200 ms: ~2.5 KB/s, below a voice stream's rate.
            _ = channel.setOption(.autoRead, value: false)
            _ = channel.setOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: 512))
            _ = channel.setOption(.maxMessagesPerRead, value: 1)
            self.slowReader = self.eventLoop.scheduleRepeatedTask(initialDelay: .milliseconds(200), delay: .milliseconds(200)) { _ in
                channel.read()
            }
        case .churn:
            guard !self.churned else { return }
            self.churned = true
            let remaining = self.deadline - .now()
            let after = TimeAmount.nanoseconds(Int64(Double(remaining.nanoseconds) * (0.2 + 0.3 * Double(self.index % 7) / 7)))
            let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
            self.eventLoop.scheduleTask(in: after) { bound.value.dropAndResume() }
        }
    }

    // MARK: Conversation traffic

    /// Schedules this listener's next question, upvote or reaction at a random time: each of
    /// the plan's rates is shared equally by its listeners, so the audience as a whole sends
    /// them at those rates (a Poisson process per listener).
    private func scheduleTalk() {
        let total = self.plan.questionsPerSecond + self.plan.upvotesPerSecond + self.plan.reactionsPerSecond
        let perListener = total / Double(max(1, self.plan.listeners))
        guard perListener > 0 else { return }
        let wait = -log(Double.random(in: Double.ulpOfOne..<1)) / perListener
        let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
        self.eventLoop.scheduleTask(in: .nanoseconds(Int64(min(wait, 3600) * 1e9))) {
            let listener = bound.value
            guard listener.phase == .admitted else { return }
            listener.talk(draw: Double.random(in: 0..<total))
            listener.scheduleTalk()
        }
    }

    private func talk(draw: Double) {
        let (type, text): (String, String)
        if draw < self.plan.questionsPerSecond {
            type = "ask"
            text = #"{"type":"ask","text":"Load question \#(self.index)-\#(UInt16.random(in: 0...UInt16.max)): what happens next?"}"#
        } else if draw < self.plan.questionsPerSecond + self.plan.upvotesPerSecond {
            guard let id = self.recorder.recentQuestions.randomElement() else { return }
            type = "upvote"
            text = #"{"type":"upvote","id":"\#(id)"}"#
        } else {
            type = "react"
            text = #"{"type":"react","emoji":"👏"}"#
        }
        self.recorder.report.conversationSent[type, default: 0] += 1
        self.send(text: text)
    }

    private func send(text: String) {
        guard let context = self.context else { return }
        let frame = WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: context.channel.allocator.buffer(string: text))
        context.writeAndFlush(NIOAny(frame), promise: nil)
    }

    /// Counts an acknowledgement or refusal of a conversation message; false for other texts.
    private func conversationAnswer(_ data: ByteBuffer) -> Bool {
        let view = data.readableBytesView
        if Self.contains(view, #""type":"asked""#) {
            self.recorder.report.conversationAnswers["asked", default: 0] += 1
            if let asked = Self.decode(ServerEvent.QuestionReference.self, data) { self.recorder.rememberQuestion(asked.id) }
            return true
        }
        if Self.contains(view, #""type":"upvoted""#) {
            self.recorder.report.conversationAnswers["upvoted", default: 0] += 1
            return true
        }
        if Self.contains(view, #""type":"question""#) { return true }
        if Self.contains(view, #""type":"error""#) {
            let code = Self.decode(ServerEvent.ErrorEvent.self, data)?.code ?? "unreadable"
            self.recorder.report.conversationAnswers["error:" + code, default: 0] += 1
            return true
        }
        return false
    }

    /// Drops the socket without a close frame (a network change) and comes back with `?resume=`.
    private func dropAndResume() {
        guard self.phase == .admitted, let channel = self.channel else { return }
        self.dropping = true
        let token = self.resumeToken
        let bound = NIOLoopBound(self, eventLoop: self.eventLoop)
        channel.close().whenComplete { _ in
            let listener = bound.value
            listener.resuming = token != nil
            listener.join(target: token.map { listener.url.settingQuery("resume", to: $0).target } ?? listener.url.target)
        }
    }

    /// The run is over: a close frame (1000), then the socket closes when the server answers.
    func finish() {
        guard let context = self.context, let channel = self.channel else { return }
        if self.phase == .admitted { self.recorder.report.nodes[self.node, default: NodeTally()].connectedAtEnd += 1 }
        self.phase = .closing
        if self.behaviour == .stall || self.behaviour == .slow {
            channel.close(promise: nil)
            return
        }
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.writeInteger(CloseCode.ended.rawValue)
        context.writeAndFlush(NIOAny(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload)), promise: nil)
        channel.eventLoop.scheduleTask(in: .seconds(3)) { channel.close(promise: nil) }
    }

    // MARK: Parsing helpers

    static func hasPrefix(_ bytes: ByteBufferView, _ prefix: StaticString) -> Bool {
        guard bytes.count >= prefix.utf8CodeUnitCount else { return false }
        return bytes.withContiguousStorageIfAvailable { haystack in
            memcmp(haystack.baseAddress!, prefix.utf8Start, prefix.utf8CodeUnitCount) == 0
        } ?? false
    }

    static func contains(_ bytes: ByteBufferView, _ needle: StaticString) -> Bool {
        let pattern = UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount)
        guard bytes.count >= pattern.count else { return false }
        return bytes.withContiguousStorageIfAvailable { haystack in
            var i = 0
            while i + pattern.count <= haystack.count {
                if haystack[i] == pattern[0] && memcmp(haystack.baseAddress! + i, pattern.baseAddress!, pattern.count) == 0 {
                    return true
                }
                i += 1
            }
            return false
        } ?? false
    }

    static func decode<T: Decodable>(_ type: T.Type, _ data: ByteBuffer) -> T? {
        try? JSONDecoder().decode(T.self, from: Data(data.readableBytesView))
    }
}

@available(*, unavailable)
extension SimulatedListener: Sendable {}

/// The WebSocket side of a ``SimulatedListener``.
final class LightFrameHandler: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private var listener: SimulatedListener?

    init(listener: SimulatedListener) {
        self.listener = listener
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.listener?.upgraded(context: context)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        switch frame.opcode {
        case .binary:
            self.listener?.audio(frame.data)
        case .text:
            self.listener?.text(frame.data)
        case .ping:
            context.writeAndFlush(
                Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .pong, maskKey: .random(), data: frame.data)), promise: nil
            )
        case .connectionClose:
            var data = frame.data
            let code = data.readInteger(as: UInt16.self)
            self.listener?.closed(code: code)
            self.listener?.finishClosed()
            var payload = context.channel.allocator.buffer(capacity: 2)
            payload.writeInteger(code ?? CloseCode.ended.rawValue)
            context.writeAndFlush(
                Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: .random(), data: payload))
            ).whenComplete { [channel = context.channel] _ in channel.close(promise: nil) }
        default:
            break
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        if let listener = self.listener {
            if !listener.sawClose { listener.closed(code: nil) }
            listener.inactive()
        }
        self.listener = nil
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension LightFrameHandler: Sendable {}
