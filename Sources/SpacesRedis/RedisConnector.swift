import Logging
import NIOCore
import NIOPosix
import NIOConcurrencyHelpers

/// Keeps one connection to Redis open: connects, prepares it (AUTH, SELECT, CLIENT SETNAME),
/// and when it is lost or refused tries again after a jittered ``Backoff``, until closed.
///
/// The client and the subscriber each own one; they learn of a connection that is ready
/// through `up` and of its loss through `down`, both called on `eventLoop`.
final class RedisConnector: Sendable {
    private enum State {
        case idle
        case connecting(attempt: Int)
        case connected(any Channel)
        case closed
    }

    let configuration: RedisConfiguration
    let eventLoop: any EventLoop
    private let logger: Logger
    private let state = NIOLockedValueBox<State>(.idle)
    private let up: @Sendable (any Channel) -> Void
    private let down: @Sendable () -> Void

    init(
        configuration: RedisConfiguration, eventLoop: any EventLoop, logger: Logger,
        up: @escaping @Sendable (any Channel) -> Void, down: @escaping @Sendable () -> Void
    ) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        self.logger = logger
        self.up = up
        self.down = down
    }

    /// The connection, when one is ready.
    var channel: (any Channel)? {
        self.state.withLockedValue { state in
            if case .connected(let channel) = state { return channel }
            return nil
        }
    }

    func start() {
        let begin = self.state.withLockedValue { state in
            guard case .idle = state else { return false }
            state = .connecting(attempt: 0)
            return true
        }
        if begin { self.connect(attempt: 0) }
    }

    /// Closes the connection and stops reconnecting.
    func close() -> EventLoopFuture<Void> {
        let channel: (any Channel)? = self.state.withLockedValue { state in
            defer { state = .closed }
            if case .connected(let channel) = state { return channel }
            return nil
        }
        guard let channel else { return self.eventLoop.makeSucceededVoidFuture() }
        return channel.close().recover { _ in }
    }

    private func connect(attempt: Int) {
        let configuration = self.configuration
        let connector = self
        ClientBootstrap(group: self.eventLoop)
            .connectTimeout(.milliseconds(Int64(configuration.connectTimeoutMillis)))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let sync = channel.pipeline.syncOperations
                    try sync.addHandler(ByteToMessageHandler(
                        RESPDecoder(limits: configuration.parserLimits), maximumBufferSize: configuration.maxBufferedReplyBytes
                    ))
                    try sync.addHandler(RedisCommandHandler(maxPending: configuration.maxPendingCommands), name: RedisConnector.commandsHandler)
                }
            }
            .connect(host: configuration.url.host, port: configuration.url.port)
            .flatMap { channel in Self.prepare(channel, configuration: configuration).map { channel } }
            .whenComplete { result in
                switch result {
                case .success(let channel): connector.connected(channel)
                case .failure(let error): connector.failed(attempt: attempt, error: error)
                }
            }
    }

    static let commandsHandler = "redis.commands"

    /// AUTH, SELECT and CLIENT SETNAME, pipelined, before the connection is handed out.
    private static func prepare(_ channel: any Channel, configuration: RedisConfiguration) -> EventLoopFuture<Void> {
        var commands: [RedisCommand] = []
        if let password = configuration.url.password {
            commands.append(configuration.url.username.map { RedisCommand("AUTH", .string($0), .string(password)) }
                ?? RedisCommand("AUTH", .string(password)))
        }
        if configuration.url.database != 0 { commands.append(RedisCommand("SELECT", RedisArgument(configuration.url.database))) }
        if !configuration.clientName.isEmpty { commands.append(RedisCommand("CLIENT", "SETNAME", .string(configuration.clientName))) }
        guard !commands.isEmpty else { return channel.eventLoop.makeSucceededVoidFuture() }
        let replies = commands.map { command in
            let promise = channel.eventLoop.makePromise(of: RESPValue.self)
            channel.write(RedisRequest(command: command, promise: promise), promise: nil)
            return promise.futureResult
        }
        channel.flush()
        return EventLoopFuture.andAllSucceed(replies, on: channel.eventLoop).flatMapError { error in
            channel.close(promise: nil)
            return channel.eventLoop.makeFailedFuture(error)
        }
    }

    private func connected(_ channel: any Channel) {
        let keep = self.state.withLockedValue { state in
            guard case .connecting = state else { return false }
            state = .connected(channel)
            return true
        }
        guard keep else {
            channel.close(promise: nil)
            return
        }
        self.logger.debug("redis connected", metadata: ["redis": "\(self.configuration.url)"])
        let connector = self
        channel.closeFuture.whenComplete { _ in connector.lost(channel) }
        self.up(channel)
    }

    private func lost(_ channel: any Channel) {
        let retry = self.state.withLockedValue { state in
            guard case .connected(let current) = state, current === channel else { return false }
            state = .connecting(attempt: 0)
            return true
        }
        guard retry else { return }
        self.logger.warning("redis connection lost", metadata: ["redis": "\(self.configuration.url)"])
        self.down()
        self.retry(attempt: 0)
    }

    private func failed(attempt: Int, error: any Error) {
        let retry = self.state.withLockedValue { state in
            guard case .connecting = state else { return false }
            state = .connecting(attempt: attempt + 1)
            return true
        }
        guard retry else { return }
        self.logger.debug("redis connection attempt failed", metadata: ["attempt": "\(attempt)", "error": "\(error)"])
        self.retry(attempt: attempt + 1)
    }

    private func retry(attempt: Int) {
        let delay = self.configuration.backoff.delayMillis(attempt: attempt)
        let connector = self
        self.eventLoop.scheduleTask(in: .milliseconds(Int64(delay))) {
            let go = connector.state.withLockedValue { state in
                if case .connecting = state { return true }
                return false
            }
            if go { connector.connect(attempt: attempt) }
        }
    }
}
