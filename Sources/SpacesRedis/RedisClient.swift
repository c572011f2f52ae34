import Logging
import NIOCore
import Synchronization

/// A pipelining Redis client on one connection that re-establishes itself.
///
/// Commands are written as they come, without waiting for earlier replies; Redis answers them
/// in order. While the connection is down a command fails at once with
/// ``RedisError/unavailable``: callers decide what an honest answer is then (a join gets 503
/// with Retry-After), nothing queues behind an outage.
public final class RedisClient: Sendable {
    public let configuration: RedisConfiguration
    public let eventLoop: any EventLoop
    private let connector: RedisConnector
    private let observers = ConnectionObservers()

    public init(configuration: RedisConfiguration, eventLoop: any EventLoop, logger: Logger = Logger(label: "spaces.redis")) {
        self.configuration = configuration
        self.eventLoop = eventLoop
        let observers = self.observers
        self.connector = RedisConnector(
            configuration: configuration, eventLoop: eventLoop, logger: logger,
            up: { _ in observers.notify(true) },
            down: { observers.notify(false) }
        )
    }

    /// Starts connecting (and reconnecting whenever the connection is lost).
    public func start() { self.connector.start() }

    /// Starts, and returns once connected or after `timeout` (then throws ``RedisError/unavailable``).
    public func connect(timeout: Duration = .seconds(5)) async throws {
        self.start()
        let deadline = ContinuousClock.now + timeout
        while !self.isConnected {
            guard ContinuousClock.now < deadline else { throw RedisError.unavailable }
            try await Task.sleep(for: .milliseconds(10))
        }
    }

    /// Closes the connection for good.
    public func close() async {
        try? await self.connector.close().get()
        self.observers.removeAll()
    }

    public var isConnected: Bool { self.connector.channel != nil }

    /// Calls `observer` on every connection change: true when a connection is ready, false when
    /// it was lost. Called on ``eventLoop``.
    public func onConnectionChange(_ observer: @escaping @Sendable (Bool) -> Void) {
        self.observers.add(observer)
    }

    /// Sends one command; the future holds its reply, or a ``RedisError``.
    public func send(_ command: RedisCommand) -> EventLoopFuture<RESPValue> {
        guard let channel = self.connector.channel else { return self.eventLoop.makeFailedFuture(RedisError.unavailable) }
        let promise = channel.eventLoop.makePromise(of: RESPValue.self)
        // A write onto a pipeline closing meanwhile reaches no handler: fail the reply too
        // (a second completion by the handler is ignored).
        channel.writeAndFlush(RedisRequest(command: command, promise: promise)).whenFailure { promise.fail($0) }
        return promise.futureResult
    }

    /// Sends several commands in one write (one flush); the replies come in the same order.
    public func send(_ commands: [RedisCommand]) -> [EventLoopFuture<RESPValue>] {
        guard let channel = self.connector.channel else {
            return commands.map { _ in self.eventLoop.makeFailedFuture(RedisError.unavailable) }
        }
        let replies = commands.map { command in
            let promise = channel.eventLoop.makePromise(of: RESPValue.self)
            channel.write(RedisRequest(command: command, promise: promise)).whenFailure { promise.fail($0) }
            return promise.futureResult
        }
        channel.flush()
        return replies
    }

    public func send(_ name: String, _ arguments: RedisArgument...) async throws -> RESPValue {
        try await self.send(RedisCommand(name, arguments)).get()
    }

    /// Runs `script` with `EVALSHA`; if Redis answers `NOSCRIPT` (a restart, a flush), loads it
    /// with `SCRIPT LOAD` and runs it again.
    public func evaluate(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument]) -> EventLoopFuture<RESPValue> {
        let command = RedisCommand("EVALSHA", [.string(script.sha1), RedisArgument(keys.count)] + keys + arguments)
        return self.send(command).flatMapError { error in
            guard (error as? RedisError)?.serverCode == "NOSCRIPT" else { return self.eventLoop.makeFailedFuture(error) }
            return self.send(RedisCommand("SCRIPT", "LOAD", .string(script.source))).flatMap { _ in self.send(command) }
        }
    }

    public func evaluate(_ script: RedisScript, keys: [RedisArgument], arguments: [RedisArgument]) async throws -> RESPValue {
        try await self.evaluate(script, keys: keys, arguments: arguments).get()
    }
}
