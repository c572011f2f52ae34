/// How a client or subscriber reaches Redis and the bounds it keeps.
public struct RedisConfiguration: Sendable, Equatable {
    public var url: RedisURL
    /// Reconnection delays after a lost or refused connection.
    public var backoff = Backoff()
    /// `maxPendingCommands`, default 10 000: commands in flight on one connection. Past this a
    /// command fails at once (``RedisError/tooManyPending(limit:)``): a Redis that does not keep
    /// up must not turn into unbounded memory in every node.
    public var maxPendingCommands = 10_000
    /// `maxBufferedReplyBytes`, default 8 MiB: bytes of replies held while they are incomplete.
    public var maxBufferedReplyBytes = 8 << 20
    /// Bounds of every value parsed.
    public var parserLimits = RESPParser.Limits()
    /// `connectTimeoutMillis`, default 1000: one connection attempt; then the next, after a backoff.
    public var connectTimeoutMillis = 1000
    /// Shown by `CLIENT LIST` (`CLIENT SETNAME`), empty for none.
    public var clientName = ""

    public init(url: RedisURL) {
        self.url = url
    }
}
