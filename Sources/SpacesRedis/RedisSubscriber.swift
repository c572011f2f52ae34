import Logging
import NIOCore
import NIOConcurrencyHelpers

/// A connection in subscribe mode, kept open and re-subscribed after every reconnection.
///
/// Pub/sub needs a connection of its own (one in subscribe mode takes no other commands). The
/// set of wanted channels lives here, so a lost connection comes back with all of them.
/// Messages are handed to `onMessage` on ``eventLoop``, in the order Redis sent them.
public final class RedisSubscriber: Sendable {
    struct State {
        var wanted: Set<RedisChannel> = []
        var confirmed: Set<RedisChannel> = []
        var waiters: [RedisChannel: [EventLoopPromise<Void>]] = [:]
    }

    /// The subscriptions, shared with the connection's callbacks.
    final class Book: Sendable {
        private let state = NIOLockedValueBox(State())
        func withLockedValue<T>(_ body: (inout State) -> T) -> T { self.state.withLockedValue { body(&$0) } }
    }

    public let eventLoop: any EventLoop
    private let connector: RedisConnector
    private let state: Book
    private let observers = ConnectionObservers()

    public init(
        configuration: RedisConfiguration, eventLoop: any EventLoop, logger: Logger = Logger(label: "spaces.redis.subscriber"),
        onMessage: @escaping @Sendable (RedisMessage) -> Void
    ) {
        self.eventLoop = eventLoop
        let state = Book()
        self.state = state
        let observers = self.observers
        self.connector = RedisConnector(
            configuration: configuration, eventLoop: eventLoop, logger: logger,
            up: { channel in
                Self.enterSubscribeMode(channel, state: state, onMessage: onMessage)
                observers.notify(true)
            },
            down: {
                state.withLockedValue { $0.confirmed.removeAll() }
                observers.notify(false)
            }
        )
    }

    public func start() { self.connector.start() }

    public func close() async {
        let waiters = self.state.withLockedValue { state in
            defer { state.waiters.removeAll() }
            return state.waiters.values.flatMap { $0 }
        }
        for waiter in waiters { waiter.fail(RedisError.closed) }
        try? await self.connector.close().get()
        self.observers.removeAll()
    }

    public var isConnected: Bool { self.connector.channel != nil }

    /// Calls `observer` on every connection change (true: connected and re-subscribed requests
    /// sent; false: lost). Called on ``eventLoop``.
    public func onConnectionChange(_ observer: @escaping @Sendable (Bool) -> Void) {
        self.observers.add(observer)
    }

    /// Channels Redis has confirmed on the current connection.
    public var subscribed: Set<RedisChannel> { self.state.withLockedValue { $0.confirmed } }

    /// Subscribes to `channel`; the future succeeds when Redis confirms it (after a
    /// reconnection if the connection is down now).
    @discardableResult
    public func subscribe(_ channel: RedisChannel) -> EventLoopFuture<Void> {
        let promise = self.eventLoop.makePromise(of: Void.self)
        let (send, done) = self.state.withLockedValue { state -> (Bool, Bool) in
            if state.confirmed.contains(channel) { return (false, true) }
            let isNew = state.wanted.insert(channel).inserted
            state.waiters[channel, default: []].append(promise)
            return (isNew, false)
        }
        if done {
            promise.succeed()
        } else if send, let connection = self.connector.channel {
            Self.write(RedisCommand(channel.subscribeCommand, .string(channel.name)), on: connection)
        }
        return promise.futureResult
    }

    /// Unsubscribes from `channel` (no confirmation is awaited).
    public func unsubscribe(_ channel: RedisChannel) {
        let (send, waiters) = self.state.withLockedValue { state in
            let removed = state.wanted.remove(channel) != nil
            state.confirmed.remove(channel)
            return (removed, state.waiters.removeValue(forKey: channel) ?? [])
        }
        for waiter in waiters { waiter.fail(RedisError.closed) }
        if send, let connection = self.connector.channel {
            Self.write(RedisCommand(channel.unsubscribeCommand, .string(channel.name)), on: connection)
        }
    }

    /// Replaces the command handler by the subscriber's and subscribes to every wanted channel.
    private static func enterSubscribeMode(
        _ channel: any Channel, state: Book, onMessage: @escaping @Sendable (RedisMessage) -> Void
    ) {
        let handler = SubscriberHandler { event in
            switch event {
            case .message(let message):
                onMessage(message)
            case .subscribed(let subscribed):
                let waiters: [EventLoopPromise<Void>] = state.withLockedValue { state in
                    guard state.wanted.contains(subscribed) else { return [] }
                    state.confirmed.insert(subscribed)
                    return state.waiters.removeValue(forKey: subscribed) ?? []
                }
                for waiter in waiters { waiter.succeed() }
            case .unsubscribed(let gone):
                // Still wanted: Redis dropped it (a slot moved); ask again.
                let again = state.withLockedValue { state in
                    state.confirmed.remove(gone)
                    return state.wanted.contains(gone)
                }
                if again { Self.write(RedisCommand(gone.subscribeCommand, .string(gone.name)), on: channel) }
            case .other:
                break
            }
        }
        do {
            let sync = channel.pipeline.syncOperations
            let commands = try sync.handler(type: RedisCommandHandler.self)
            sync.removeHandler(commands, promise: nil)
            try sync.addHandler(handler)
        } catch {
            channel.close(promise: nil)
            return
        }
        let wanted = state.withLockedValue { $0.wanted }
        // One command per channel: SSUBSCRIBE's channels must share a slot on Redis Cluster.
        for wantedChannel in wanted {
            Self.write(RedisCommand(wantedChannel.subscribeCommand, .string(wantedChannel.name)), on: channel, flush: false)
        }
        channel.flush()
    }

    private static func write(_ command: RedisCommand, on channel: any Channel, flush: Bool = true) {
        var buffer = channel.allocator.buffer(capacity: 64)
        command.encode(into: &buffer)
        if flush {
            channel.writeAndFlush(buffer, promise: nil)
        } else {
            channel.write(buffer, promise: nil)
        }
    }
}
