import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL
import NIOWebSocket
import ServiceLifecycle
import SpacesCompression
import SpacesCore
import NIOConcurrencyHelpers

/// A Spaces node: the HTTP API, the WebSocket endpoints and the sharded relay.
///
/// Run it as a `Service` in a `ServiceGroup`: on graceful shutdown it stops accepting, closes
/// every listener and publisher with 1001 and waits (bounded) for them to go.
public final class SpacesServer: Service, Sendable {
    public let configuration: SpacesConfiguration
    public let registry: SpaceRegistry
    public let relay: Relay
    public let metrics: ServerMetrics
    let gate: AdmissionGate
    let publishers = PublisherSet()
    let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    private let logger: Logger
    private let channel = NIOLockedValueBox<(any Channel)?>(nil)
    private let tickers = NIOLockedValueBox<[RepeatedTask]>([])
    /// Open connections per address, once started (tests read it).
    let connectionShares = NIOLockedValueBox<ConnectionShares?>(nil)
    /// The cluster on Redis; nil on an embedded node.
    let broker: RedisBroker?
    private let port = BoundPort()
    /// The node's TLS (`server.tls.*`); nil serves plain HTTP and `ws://`.
    private let tls: NIOSSLContext?

    /// This node's id in its cluster (nil on an embedded node).
    public var nodeID: String? { self.broker?.nodeID }

    public init(configuration: SpacesConfiguration, logger: Logger = Logger(label: "spaces"), group: MultiThreadedEventLoopGroup? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        self.tls = try ServerTLS.context(configuration.server.tls)
        if let group {
            self.group = group
            self.ownsGroup = false
        } else {
            let threads = configuration.server.eventLoops > 0 ? configuration.server.eventLoops : System.coreCount
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            self.ownsGroup = true
        }
        self.broker = configuration.cluster.isEnabled
            ? try RedisBroker(
                settings: configuration.cluster, eventLoop: self.group.next(), logger: logger,
                retainEndedSeconds: configuration.spaces.retainEndedSeconds
            ) : nil
        self.registry = SpaceRegistry(limits: configuration.spaces, conversation: configuration.conversation, broker: self.broker)
        self.metrics = ServerMetrics()
        self.gate = AdmissionGate(configuration: configuration, metrics: self.metrics)
        self.relay = try Relay(eventLoops: Array(self.group.makeIterator()), configuration: configuration, metrics: self.metrics)
    }

    /// The address the server is bound to, once started.
    public var localAddress: SocketAddress? {
        self.channel.withLockedValue { $0?.localAddress }
    }

    /// Binds and starts serving; returns the bound address.
    @discardableResult
    public func start() async throws -> SocketAddress {
        var api = SpacesAPI(
            configuration: self.configuration, registry: self.registry, relay: self.relay, gate: self.gate, metrics: self.metrics,
            logger: self.logger, port: self.port
        )
        api.trustedProxies = try self.configuration.server.trustedProxies.map { text in
            guard let range = AddressRange(parsing: text) else { throw AddressRange.Invalid(text: text) }
            return range
        }
        if !self.configuration.server.hostKey.isEmpty {
            api.authority = await HostAuthority(operatorKey: self.configuration.server.hostKey)
            // A host token is signed with a key derived from this one: whoever holds a token
            // can test guesses of a short key offline, and then act as the operator.
            if self.configuration.server.hostKey.utf8.count < HostAuthority.minimumKeyBytes {
                self.logger.warning(
                    "server.hostKey is short: a host token lets its holder guess it offline; use a long random key (e.g. openssl rand -hex 32)",
                    metadata: ["bytes": "\(self.configuration.server.hostKey.utf8.count)"]
                )
            }
        }
        let configuration = self.configuration
        let shares = ConnectionShares(limit: configuration.limits.connectionsPerAddress, trusted: api.trustedProxies)
        self.connectionShares.withLockedValue { $0 = shares }
        let relay = self.relay
        let metrics = self.metrics
        let logger = self.logger
        let gate = self.gate
        let publishers = self.publishers
        let tls = self.tls
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: Int32(configuration.server.backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Accept many connections per wake-up: a join storm is answered in bulk.
            .serverChannelOption(.maxMessagesPerRead, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            // Small kernel buffers: seconds of audio queued there would be invisible to the budget.
            .childChannelOption(.socketOption(.so_sndbuf), value: SocketOptionValue(configuration.backpressure.socketSendBufferBytes))
            .childChannelOption(.writeBufferWaterMark, value: .init(
                low: configuration.backpressure.highWatermark / 2, high: configuration.backpressure.highWatermark
            ))
            .childChannelInitializer { channel in
                // Over its address's share: closed before anything is read or allocated for it.
                guard shares.admit(channel) else {
                    metrics.connectionsRefused.increment()
                    return channel.close()
                }
                return channel.eventLoop.makeCompletedFuture {
                    if let tls {
                        // First, next to the socket: everything after it reads and writes plain
                        // bytes. The API handler's deadline also bounds the TLS handshake (a client
                        // that never sends a request head is closed at `limits.requestSeconds`).
                        try channel.pipeline.syncOperations.addHandler(NIOSSLServerHandler(context: tls), name: "spaces.tls")
                    }
                    // The upgrade is decided once, before the 101, and the pipeline is built from
                    // that decision (the checks, a ticket's or token's signature included, are
                    // not made again).
                    let decision = NIOLoopBoundBox<Upgrade?>(nil, eventLoop: channel.eventLoop)
                    // A handshake over its address's rate is refused before anything else; the
                    // API handler answers it (NIO hands it the request the upgrader declined).
                    let apiHandler = APIHandler(api: api)
                    let boundHandler = NIOLoopBound(apiHandler, eventLoop: channel.eventLoop)
                    let upgrader = NIOWebSocketServerUpgrader(
                        maxFrameSize: configuration.limits.publishMessageBytes,
                        automaticErrorHandling: false,
                        shouldUpgrade: { channel, head in
                            // Who it is and what it asks for, found once for the rate, the
                            // directory and the line.
                            let client: SpacesAPI.Client? =
                                if let peer = channel.remoteAddress { api.clientAddress(peer: peer, headers: head.headers) } else { nil }
                            let target = RequestTarget(head.uri)
                            let route = Route(path: target.path)
                            if let refusal = api.handshakeRefusal(route: route, client: client) {
                                boundHandler.value.overRate = refusal
                                return channel.eventLoop.makeSucceededFuture(nil)
                            }
                            return api.resolve(target: target, route: route, on: channel.eventLoop).flatMapThrowing {
                                switch api.upgrade(head, target: target, route: route, client: client) {
                                case .success(.listen(let space, let plan)):
                                    let agreement = Self.deflateAgreement(head, relay: relay)
                                    decision.value = Upgrade(route: .listen(space, plan), deflate: agreement != nil)
                                    var headers = HTTPHeaders()
                                    if let agreement { headers.add(name: "sec-websocket-extensions", value: agreement.header) }
                                    return headers
                                case .success(let route):
                                    decision.value = Upgrade(route: route, deflate: false)
                                    return HTTPHeaders()
                                case .failure: return nil
                                }
                            }
                        },
                        upgradePipelineHandler: { channel, head in
                            channel.eventLoop.makeCompletedFuture {
                                // Removed at once (it holds nothing back), with its deadline.
                                channel.pipeline.syncOperations.removeHandler(boundHandler.value, promise: nil)
                                try Self.installWebSocket(
                                    channel: channel, decision: decision.value, secure: tls != nil, relay: relay, gate: gate, configuration: configuration,
                                    metrics: metrics, publishers: publishers, logger: logger
                                )
                            }
                        }
                    )
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline(
                        withPipeliningAssistance: true,
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }),
                        withErrorHandling: false
                    )
                    try sync.addHandler(apiHandler, name: "spaces.api")
                }
            }
            .bind(host: configuration.server.bind, port: configuration.server.port)
            .get()
        self.channel.withLockedValue { $0 = channel }
        self.port.set(channel.localAddress?.port ?? 0)
        var tickers: [RepeatedTask] = []
        if let broker = self.broker {
            tickers.append(await self.startCluster(broker, api: api))
        }

        let registry = self.registry
        let interval = TimeAmount.milliseconds(Int64(configuration.relay.stateIntervalMs))
        let stateTask = self.group.next().scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            Self.announceState(registry: registry, relay: relay)
            registry.prune(nowMicros: WallClock.nowMicros())
        }
        let tick = TimeAmount.milliseconds(Int64(configuration.admission.tickMs))
        let admissionTask = self.group.next().scheduleRepeatedTask(initialDelay: tick, delay: tick) { _ in
            gate.tick(registry: registry)
        }
        let conversationTick = TimeAmount.milliseconds(Int64(Self.conversationTickMs))
        let conversationTask = self.group.next().scheduleRepeatedTask(initialDelay: conversationTick, delay: conversationTick) { _ in
            Self.announceConversation(registry: registry, relay: relay, publishers: publishers, metrics: metrics)
        }
        self.tickers.withLockedValue { $0 = tickers + [stateTask, admissionTask, conversationTask] }
        self.logger.info("listening", metadata: ["address": "\(channel.localAddress!)"])
        return channel.localAddress!
    }

    /// What `shouldUpgrade` decided, for the pipeline built after the 101.
    struct Upgrade {
        var route: SpacesAPI.Upgrade
        /// permessage-deflate was agreed.
        var deflate: Bool
    }

    /// Adds the WebSocket handlers for an upgraded connection, as decided before the upgrade.
    private static func installWebSocket(
        channel: any Channel, decision: Upgrade?, secure: Bool, relay: Relay, gate: AdmissionGate,
        configuration: SpacesConfiguration, metrics: ServerMetrics, publishers: PublisherSet, logger: Logger
    ) throws {
        metrics.handshakes.increment()
        let sync = channel.pipeline.syncOperations
        let writer = SocketWriter()
        // Next to the socket, or next to the TLS handler, which must see every byte written
        // (looked up only when there is one: a lookup by type costs a join dynamic casts).
        if secure {
            try sync.addHandler(writer, position: .after(sync.handler(type: NIOSSLServerHandler.self)))
        } else {
            try sync.addHandler(writer, position: .first)
        }
        // Always there: NIO upgrades only after `shouldUpgrade` said yes, which records it (the
        // failed future closes the connection).
        guard let decision else { throw ChannelError.inappropriateOperationForState }
        switch decision.route {
        case .listen(let space, let plan):
            let inflater = decision.deflate ? relay.shard(on: channel.eventLoop).inflater : nil
            try sync.addHandler(ListenerConnection(
                number: gate.makeConnectionNumber(), space: space, relay: relay, gate: gate, plan: plan, writer: writer,
                limits: configuration.limits,
                evictAfterMicros: UInt64(configuration.backpressure.evictAfterMs) * 1000,
                errorsPerMinute: configuration.conversation.errorsPerMinute, inflater: inflater, metrics: metrics, logger: logger
            ))
        case .publish(let space):
            try sync.addHandler(PublisherConnection(
                space: space, relay: relay, writer: writer, configuration: configuration, metrics: metrics,
                publishers: publishers, logger: logger
            ))
        }
    }

    /// permessage-deflate for a listener that offered it, when the node compresses (the same
    /// answer in the upgrade's headers and in the handlers installed after it).
    private static func deflateAgreement(_ head: HTTPRequestHead, relay: Relay) -> PermessageDeflate.Agreement? {
        guard relay.offersDeflate else { return nil }
        let offers = head.headers["sec-websocket-extensions"]
        return offers.isEmpty ? nil : PermessageDeflate.accept(offers: offers.joined(separator: ","))
    }

    /// Sends a `state` event to the listeners of every Space whose count changed.
    private static func announceState(registry: SpaceRegistry, relay: Relay) {
        for space in registry.all() where space.state == .live {
            let count = space.listenerCount
            guard space.lastAnnouncedListeners.exchange(count, ordering: .relaxed) != count else { continue }
            let event = ServerEvent.state(.init(listeners: count))
            // A count is a few dozen bytes: not worth compressing.
            relay.broadcast(SharedUpdate(kind: .state, event: event), to: space)
        }
    }

    /// How often each Space's conversation is asked what is due: well under the 500 ms and
    /// 1 s intervals it enforces, so an update goes out within 100 ms of being allowed.
    static let conversationTickMs = 100

    /// Sends what each Space's conversation has due: shared updates framed (and compressed)
    /// once for all its listeners, the host's view to its publisher.
    private static func announceConversation(registry: SpaceRegistry, relay: Relay, publishers: PublisherSet, metrics: ServerMetrics) {
        let now = WallClock.nowMicros()
        for space in registry.all() where space.state == .live {
            Self.deliver(space.conversation.tick(nowMicros: now), of: space, relay: relay, publishers: publishers, metrics: metrics)
        }
    }

    /// Fans out a Space's conversation updates: due here (embedded) or published by the node
    /// leading the Space (cluster).
    private static func deliver(
        _ updates: Conversation.Updates, of space: LiveSpace, relay: Relay, publishers: PublisherSet, metrics: ServerMetrics
    ) {
        guard !updates.isEmpty else { return }
        if let questions = updates.questions {
            let update = SharedUpdate(kind: .questions, event: .questions(questions), deflate: relay.deflate)
            // Kept before the fan-out: a listener admitted meanwhile gets this one or a later one.
            space.conversation.latestQuestions = update
            relay.broadcast(update, to: space)
            metrics.questionsUpdates.increment()
        }
        if let reactions = updates.reactions {
            relay.broadcast(SharedUpdate(kind: .reactions, event: .reactions(reactions), deflate: relay.deflate), to: space)
            metrics.reactionsUpdates.increment()
        }
        var host: [ServerEvent] = []
        if let questions = updates.hostQuestions { host.append(.questions(questions)) }
        if let hands = updates.hands { host.append(.hands(hands)) }
        if let reactions = updates.reactions { host.append(.reactions(reactions)) }
        if !host.isEmpty { publishers.send(host, to: space) }
    }

    /// Connects to the cluster: audio and ended Spaces from the other nodes, and a heartbeat.
    private func startCluster(_ broker: RedisBroker, api: SpacesAPI) async -> RepeatedTask {
        let registry = self.registry
        let relay = self.relay
        let metrics = self.metrics
        let publishers = self.publishers
        let limit = self.configuration.limits.publishMessageBytes
        await broker.start(handlers: .init(
            audio: { id, envelope in
                guard let space = registry.space(id: id), space.state == .live,
                    let batch = try? AudioBatch.decode(envelope.payload, limit: limit)
                else { return }
                space.advanceSequence(to: batch.firstSequence &+ UInt32(batch.frames.count))
                let message = PreframedMessage(batch: batch)
                relay.broadcast(batch, encoded: message.bytes, to: space)
                space.countRelayed(batch.frames.count)
                metrics.framesRelayed.increment(by: Int64(batch.frames.count))
                metrics.batchesRelayed.increment()
            },
            conversation: { id, broadcast in
                guard let space = registry.space(id: id), space.state == .live else { return }
                Self.deliver(
                    space.conversation.received(broadcast), of: space, relay: relay, publishers: publishers, metrics: metrics
                )
            },
            resync: { id in registry.space(id: id)?.conversation.forgetVersions() },
            ended: { id in
                if let space = registry.space(id: id) { api.endLocally(space) }
            }
        ))
        let gate = self.gate
        if !gate.hasConfiguredSecret {
            if let secret = try? await broker.sharedSecret() {
                gate.useSecret(secret)
            } else {
                self.logger.warning("no cluster secret could be read: tickets and resume tokens verify on this node only until admission.secret is set")
            }
        }
        let nodeListeners = self.configuration.limits.nodeListeners
        let interval = TimeAmount.milliseconds(Int64(max(100, self.configuration.cluster.heartbeatMs)))
        let beat: @Sendable () -> Void = {
            let listeners = relay.listenerCount
            let load = NodeLoad(
                id: broker.nodeID, url: api.nodeURL, listeners: listeners,
                freeFiles: max(0, min(nodeListeners, OpenFiles.limit - OpenFiles.reserve) - gate.connectionCount),
                fanoutMillisPerSecond: 0, at: WallClock.nowMicros()
            )
            let spaces = registry.all().filter { $0.state == .live }.map { (id: $0.id, listeners: $0.listenerCount) }
            broker.heartbeat(load, spaces: spaces)
            broker.refreshNodes()
        }
        beat()
        broker.client.onConnectionChange { up in if up { beat() } }
        return self.group.next().scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in beat() }
    }

    public func run() async throws {
        if self.localAddress == nil { try await self.start() }
        try await gracefulShutdown()
        await self.stop()
    }

    /// Stops accepting, closes every WebSocket with 1001 and waits for them, bounded by the
    /// configured grace period; then releases the event loops it owns.
    public func stop() async {
        guard let channel = self.channel.withLockedValue({ $0 }) else { return }
        self.tickers.withLockedValue { $0.forEach { $0.cancel() } }
        try? await channel.close()
        self.relay.closeAll(.goingAway, reason: "server shutting down")
        self.gate.closeWaiting(.goingAway, reason: "server shutting down")
        self.publishers.closeAll(.goingAway, reason: "server shutting down")
        let deadline = ContinuousClock.now + .seconds(self.configuration.server.shutdownGraceSeconds)
        while (self.relay.listenerCount > 0 || self.publishers.count > 0) && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        self.channel.withLockedValue { $0 = nil }
        await self.broker?.stop()
        self.logger.info("stopped")
        if self.ownsGroup {
            try? await self.group.shutdownGracefully()
        }
    }
}
