import Logging
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import ServiceLifecycle
import SpacesCore
import Synchronization

/// A Spaces node: the HTTP API, the WebSocket endpoints and the sharded relay.
///
/// Run it as a `Service` in a `ServiceGroup`: on graceful shutdown it stops accepting, closes
/// every listener and publisher with 1001 and waits (bounded) for them to go.
public final class SpacesServer: Service, Sendable {
    public let configuration: SpacesConfiguration
    public let registry: SpaceRegistry
    public let relay: Relay
    public let metrics: ServerMetrics
    let group: MultiThreadedEventLoopGroup
    private let ownsGroup: Bool
    private let logger: Logger
    private let channel = Mutex<(any Channel)?>(nil)
    private let ticker = Mutex<RepeatedTask?>(nil)

    public init(configuration: SpacesConfiguration, logger: Logger = Logger(label: "spaces"), group: MultiThreadedEventLoopGroup? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        if let group {
            self.group = group
            self.ownsGroup = false
        } else {
            let threads = configuration.server.eventLoops > 0 ? configuration.server.eventLoops : System.coreCount
            self.group = MultiThreadedEventLoopGroup(numberOfThreads: threads)
            self.ownsGroup = true
        }
        self.registry = SpaceRegistry(limits: configuration.spaces)
        self.metrics = ServerMetrics()
        self.relay = try Relay(eventLoops: Array(self.group.makeIterator()), maxListeners: configuration.limits.nodeListeners)
    }

    /// The address the server is bound to, once started.
    public var localAddress: SocketAddress? {
        self.channel.withLock { $0?.localAddress }
    }

    /// Binds and starts serving; returns the bound address.
    @discardableResult
    public func start() async throws -> SocketAddress {
        let api = SpacesAPI(configuration: self.configuration, registry: self.registry, relay: self.relay, metrics: self.metrics, logger: self.logger)
        let configuration = self.configuration
        let relay = self.relay
        let metrics = self.metrics
        let logger = self.logger
        let counter = Atomic<UInt64>(0)
        let channel = try await ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: Int32(configuration.server.backlog))
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Accept many connections per wake-up: a join storm is answered in bulk.
            .serverChannelOption(.maxMessagesPerRead, value: 256)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelOption(.writeBufferWaterMark, value: .init(low: 32 * 1024, high: 64 * 1024))
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let upgrader = NIOWebSocketServerUpgrader(
                        maxFrameSize: configuration.limits.publishMessageBytes,
                        automaticErrorHandling: false,
                        shouldUpgrade: { channel, head in
                            channel.eventLoop.makeCompletedFuture {
                                switch api.upgrade(head) {
                                case .success: return HTTPHeaders()
                                case .failure: return nil
                                }
                            }
                        },
                        upgradePipelineHandler: { channel, head in
                            channel.pipeline.removeHandler(name: "spaces.api").flatMapThrowing {
                                try Self.installWebSocket(
                                    channel: channel, head: head, api: api, relay: relay, configuration: configuration,
                                    metrics: metrics, logger: logger,
                                    listenerID: counter.wrappingAdd(1, ordering: .relaxed).newValue
                                )
                            }
                        }
                    )
                    let sync = channel.pipeline.syncOperations
                    try sync.configureHTTPServerPipeline(
                        withPipeliningAssistance: true,
                        withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }),
                        withErrorHandling: true
                    )
                    try sync.addHandler(APIHandler(api: api), name: "spaces.api")
                }
            }
            .bind(host: configuration.server.bind, port: configuration.server.port)
            .get()
        self.channel.withLock { $0 = channel }

        let registry = self.registry
        let interval = TimeAmount.milliseconds(Int64(configuration.relay.stateIntervalMs))
        let task = self.group.next().scheduleRepeatedTask(initialDelay: interval, delay: interval) { _ in
            Self.announceState(registry: registry, relay: relay)
            registry.prune(nowMicros: WallClock.nowMicros())
        }
        self.ticker.withLock { $0 = task }
        self.logger.info("listening", metadata: ["address": "\(channel.localAddress!)"])
        return channel.localAddress!
    }

    /// Adds the WebSocket handlers for an upgraded connection.
    private static func installWebSocket(
        channel: any Channel, head: HTTPRequestHead, api: SpacesAPI, relay: Relay,
        configuration: SpacesConfiguration, metrics: ServerMetrics, logger: Logger, listenerID: UInt64
    ) throws {
        let sync = channel.pipeline.syncOperations
        let writer = SocketWriter()
        try sync.addHandler(writer, position: .first)
        switch api.upgrade(head) {
        case .success(.listen(let space)):
            guard relay.reserveListener() else {
                try sync.addHandler(RefusingHandler(writer: writer, code: .tryAgainLater, reason: "node at capacity"))
                return
            }
            guard space.reserveListener() else {
                relay.listenerLeft()
                try sync.addHandler(RefusingHandler(writer: writer, code: .tryAgainLater, reason: "Space at capacity"))
                return
            }
            metrics.listenersJoined.increment()
            let listener = ListenerConnection(
                id: String(listenerID, radix: 36), space: space, relay: relay, writer: writer,
                limits: configuration.limits, logger: logger
            )
            try sync.addHandler(listener)
        case .success(.publish(let space)):
            try sync.addHandler(PublisherConnection(
                space: space, relay: relay, writer: writer, configuration: configuration, metrics: metrics, logger: logger
            ))
        case .failure(let error):
            // The Space changed between the check and the upgrade (ended, filled).
            let code: CloseCode = switch error.kind {
            case .notFound: .noSuchSpace
            case .gone: .ended
            case .unauthorized: .unauthorized
            default: .tryAgainLater
            }
            try sync.addHandler(RefusingHandler(writer: writer, code: code, reason: error.message))
        }
    }

    /// Sends a `state` event to the listeners of every Space whose count changed.
    private static func announceState(registry: SpaceRegistry, relay: Relay) {
        for space in registry.all() where space.state == .live {
            let count = space.listenerCount
            guard space.lastAnnouncedListeners.exchange(count, ordering: .relaxed) != count else { continue }
            let event = ServerEvent.state(.init(listeners: count))
            relay.broadcastControl(PreframedMessage.text(event.json()).bytes, to: space)
        }
    }

    public func run() async throws {
        if self.localAddress == nil { try await self.start() }
        try await gracefulShutdown()
        await self.stop()
    }

    /// Stops accepting, closes every WebSocket with 1001 and waits for them, bounded by the
    /// configured grace period; then releases the event loops it owns.
    public func stop() async {
        guard let channel = self.channel.withLock({ $0 }) else { return }
        self.ticker.withLock { $0?.cancel() }
        try? await channel.close()
        self.relay.closeAll(.goingAway, reason: "server shutting down")
        let deadline = ContinuousClock.now + .seconds(self.configuration.server.shutdownGraceSeconds)
        while self.relay.listenerCount > 0 && ContinuousClock.now < deadline {
            try? await Task.sleep(for: .milliseconds(20))
        }
        self.channel.withLock { $0 = nil }
        self.logger.info("stopped")
        if self.ownsGroup {
            try? await self.group.shutdownGracefully()
        }
    }
}
