import NIOCore
import SpacesClient
import SpacesCore
import NIOConcurrencyHelpers

/// Creates a Space, publishes packets to it at real time, and ends it when the input ends or
/// the task is cancelled.
struct HostStreamer: Sendable {
    let api: SpacesAPIClient
    let hostKey: String
    let title: String
    let capacity: Int?
    /// Frames per batch sent to the server (1 = lowest latency).
    let framesPerBatch: Int
    /// Who may listen.
    var access: SpaceAccess = .open

    struct Status: Sendable {
        var space: CreateSpaceResponse
        var listeners = 0
        /// The most listeners seen at once.
        var peakListeners = 0
        var framesSent = 0
        var framesRelayed = 0
        var invalidPackets = 0
    }

    /// Runs the whole host session; `onCreated` is called once the Space exists (print the
    /// listen URL there; an invite-only Space comes with its first invite), `onStatus` about once a second, `onEvent` with every text event of
    /// the publish socket (the conversation: `questions`, `hands`, `reactions`, and the
    /// `applied` or `error` answering an action). Each of `actions` is sent on the publish
    /// socket as text while it is open (docs/PROTOCOL.md §6.3). Returns the final status.
    ///
    /// If the node is lost (the socket closes without the Space ending), the host publishes
    /// again through another node of the cluster with its host token (`onFailover` is told
    /// where); the source keeps its time meanwhile, and what it produced while no socket was
    /// open is not sent.
    func run(
        source makeSource: @escaping @Sendable () throws -> any PacketSource,
        onCreated: @Sendable (CreateSpaceResponse, InviteResponse?) -> Void = { _, _ in },
        onStatus: @escaping @Sendable (Status) -> Void = { _ in },
        onEvent: @escaping @Sendable (ServerEvent) -> Void = { _ in },
        onFailover: @escaping @Sendable (ServerURL) -> Void = { _ in },
        actions: AsyncStream<HostAction>? = nil
    ) async throws -> Status {
        let channels = try makeSource().channels
        let space = try await self.api.createSpace(
            CreateSpaceRequest(title: self.title, capacity: self.capacity, channels: channels, access: self.access), hostKey: self.hostKey
        )
        // An invite-only Space: the first invite link, for the host to share.
        var invite: InviteResponse?
        if self.access == .invite {
            do {
                invite = try await self.api.invite(spaceID: space.id, token: space.hostToken)
            } catch {
                // Not left live without its host, nor without a way in.
                _ = try? await self.api.endSpace(id: space.id, token: space.hostToken)
                throw error
            }
        }
        onCreated(space, invite)
        var status = Status(space: space)
        let session = Session(node: self.api.server)
        do {
            status = try await self.publish(
                space: space, makeSource: makeSource, session: session, onStatus: onStatus, onEvent: onEvent,
                onFailover: onFailover, actions: actions
            )
        } catch {
            _ = try? await SpacesAPIClient(server: session.node, group: self.api.group).endSpace(id: space.id, token: space.hostToken)
            throw error
        }
        try await SpacesAPIClient(server: session.node, group: self.api.group).endSpace(id: space.id, token: space.hostToken)
        return status
    }

    /// How long a host whose node was lost looks for another one.
    static let failoverWindow: Duration = .seconds(30)

    /// What the connections of one host session share.
    final class Session: Sendable {
        private let state: NIOLockedValueBox<(node: ServerURL, sender: WebSocketSender?, nodes: [String], inputEnded: Bool)>
        init(node: ServerURL) { self.state = NIOLockedValueBox((node, nil, [], false)) }
        /// The node published through now (the API base: ends the Space there).
        var node: ServerURL { self.state.withLockedValue { $0.node } }
        var sender: WebSocketSender? { self.state.withLockedValue { $0.sender } }
        var nodes: [String] { self.state.withLockedValue { $0.nodes } }
        var inputEnded: Bool { self.state.withLockedValue { $0.inputEnded } }
        func connected(_ sender: WebSocketSender?) { self.state.withLockedValue { $0.sender = sender } }
        func moved(to node: ServerURL) { self.state.withLockedValue { $0.node = node } }
        func learned(_ nodes: [String]?) { if let nodes { self.state.withLockedValue { $0.nodes = nodes } } }
        /// The input ended: returns the socket to close.
        func endInput() -> WebSocketSender? {
            self.state.withLockedValue { state in
                state.inputEnded = true
                return state.sender
            }
        }
    }

    private func publish(
        space: CreateSpaceResponse, makeSource: @escaping @Sendable () throws -> any PacketSource, session: Session,
        onStatus: @escaping @Sendable (Status) -> Void, onEvent: @escaping @Sendable (ServerEvent) -> Void,
        onFailover: @escaping @Sendable (ServerURL) -> Void, actions: AsyncStream<HostAction>?
    ) async throws -> Status {
        let target = try ServerURL(space.publishURL).target
        let counter = SentFrames()
        let framesPerBatch = self.framesPerBatch
        // The source runs for the whole session, whichever socket is open.
        let sending = Task {
            defer {
                if let sender = session.endInput() { Task { try? await sender.close(code: CloseCode.ended.rawValue, reason: "end of input") } }
            }
            return try await Self.send(makeSource: makeSource, framesPerBatch: framesPerBatch, session: session, counter: counter)
        }
        // Actions are text messages on the open socket, written beside the audio (the
        // outbound writer takes writes from several tasks, in order per task).
        let acting = Task {
            guard let actions else { return }
            for await action in actions {
                try? await session.sender?.send(text: action.json())
            }
        }
        defer { acting.cancel() }
        var status = Status(space: space)
        var cancelled = false
        var ended = false
        try await withTaskCancellationHandler {
            // Publish on the server we were told to use, whatever host name it put in its URLs.
            var url = self.api.server.with(target: target)
            var lostAt: ContinuousClock.Instant?
            var attempt = 0
            connections: while !Task.isCancelled {
                let connection: WebSocketConnection
                do {
                    connection = try await WebSocketClient.connect(url, headers: [("authorization", "Bearer \(space.hostToken)")], group: self.api.group)
                } catch let error where lostAt != nil && !(error is CancellationError) {
                    guard let next = try await self.nextNode(after: url, target: target, session: session, since: lostAt!, attempt: &attempt) else { throw error }
                    url = next
                    continue
                }
                if lostAt != nil {
                    session.moved(to: url.with(target: "/"))
                    onFailover(url)
                }
                lostAt = nil
                attempt = 0
                let closedCleanly: Bool = try await connection.run { messages, sender in
                    session.connected(sender)
                    defer { session.connected(nil) }
                    if session.inputEnded { try? await sender.close(code: CloseCode.ended.rawValue, reason: "end of input") }
                    var clean = false
                    do {
                        while let message = try await messages.next() {
                            switch message {
                            case .close(let code, _):
                                clean = code != CloseCode.goingAway.rawValue && code != CloseCode.internalError.rawValue
                                continue
                            case .binary:
                                continue
                            case .text(let text):
                                guard let event = try? ServerEvent.parse(text) else { continue }
                                onEvent(event)
                                switch event {
                                case .publishing(let publishing):
                                    session.learned(publishing.nodes)
                                case .state(let state):
                                    status.listeners = state.listeners
                                    status.peakListeners = max(status.peakListeners, state.listeners)
                                    status.framesRelayed = state.framesRelayed ?? status.framesRelayed
                                    status.invalidPackets = state.invalidPackets ?? status.invalidPackets
                                    onStatus(status)
                                case .ended:
                                    ended = true
                                    sending.cancel()
                                default:
                                    break
                                }
                            }
                        }
                    } catch is CancellationError where Task.isCancelled {
                        // The host stopped (Ctrl-C, `q`): the inbound stream ends by throwing.
                        clean = true
                    } catch let violation as WebSocketConnection.ProtocolViolation {
                        throw violation
                    } catch {
                        clean = false  // reset: the node is gone
                    }
                    return clean
                }
                if closedCleanly || ended || session.inputEnded || Task.isCancelled { break connections }
                lostAt = .now
                guard let next = try await self.nextNode(after: url, target: target, session: session, since: lostAt!, attempt: &attempt) else { break connections }
                url = next
            }
        } onCancel: {
            sending.cancel()
        }
        cancelled = Task.isCancelled
        if !ended && !cancelled && !session.inputEnded { sending.cancel() }
        switch await sending.result {
        case .success(let sent): status.framesSent = sent
        case .failure(let error) where !(error is CancellationError) && !cancelled && !ended: throw error
        case .failure: status.framesSent = counter.value.withLockedValue { $0 }  // stopped: what went out before
        }
        return status
    }

    /// The next node to publish through after `lost`: the nodes the last `publishing` named,
    /// in turn (the lost one last), waiting a little between rounds; nil past the window.
    private func nextNode(after lost: ServerURL, target: String, session: Session, since: ContinuousClock.Instant, attempt: inout Int) async throws -> ServerURL? {
        guard ContinuousClock.now - since < Self.failoverWindow else { return nil }
        var candidates = session.nodes.compactMap { try? ServerURL($0) }.filter { $0.hostHeader != session.node.hostHeader }
        candidates.append(session.node)
        defer { attempt += 1 }
        // A pause once every node was tried.
        if attempt > 0 && attempt % candidates.count == 0 { try await Task.sleep(for: .milliseconds(250)) }
        return candidates[attempt % candidates.count].with(target: target)
    }

    /// Reads packets and sends them in batches, each when its last frame is due, on whichever
    /// socket is open (none while the host moves between nodes: those batches are not sent).
    private static func send(
        makeSource: @Sendable () throws -> any PacketSource, framesPerBatch: Int, session: Session, counter: SentFrames
    ) async throws -> Int {
        var source = try makeSource()
        let clock = ContinuousClock()
        let start = clock.now
        var elapsedMicros = 0
        var frames: [ByteBuffer] = []
        var sent = 0
        var sequence: UInt32 = 0
        func flush() async throws {
            guard !frames.isEmpty else { return }
            defer { frames.removeAll(keepingCapacity: true) }
            guard let sender = session.sender else { return }
            let batch = AudioBatch(firstSequence: sequence, captureTimeMicros: WallClock.nowMicros(), frames: frames)
            var buffer = ByteBuffer()
            batch.encode(into: &buffer)
            do {
                try await sender.send(binary: buffer)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                return  // the socket is going: the session finds another node
            }
            sequence &+= UInt32(frames.count)
            sent += frames.count
            counter.value.withLockedValue { $0 = sent }
        }
        while !Task.isCancelled, let (packet, duration) = try source.nextPacket() {
            elapsedMicros += duration
            // A live source produces a frame only once its time has passed.
            try await Task.sleep(until: start + .microseconds(elapsedMicros), clock: clock)
            frames.append(ByteBuffer(bytes: packet))
            if frames.count >= framesPerBatch { try await flush() }
        }
        try await flush()
        return sent
    }
}

/// Frames sent so far, readable when the sending task was cancelled and has no result to give.
private final class SentFrames: Sendable {
    let value = NIOLockedValueBox(0)
}
