/// Why a command did not get its reply.
public enum RedisError: Error, Sendable, Equatable, CustomStringConvertible {
    /// No connection to Redis right now (it is being re-established): fail fast, never queue.
    case unavailable
    /// The connection closed before the reply came.
    case connectionClosed
    /// More commands in flight than `maxPendingCommands`: Redis is not keeping up.
    case tooManyPending(limit: Int)
    /// Redis answered with an error reply, e.g. `NOSCRIPT No matching script`.
    case server(String)
    /// Redis sent bytes that are not RESP, or a value over a limit.
    case protocolError(RESPError)
    /// The reply had another shape than the command's caller expected.
    case unexpectedReply(String)
    /// The `redis://` URL does not parse.
    case invalidURL(String)
    /// The client was closed.
    case closed

    /// The first word of a server error (`NOSCRIPT`, `WRONGTYPE`, `ERR`…).
    public var serverCode: String? {
        guard case .server(let message) = self else { return nil }
        return message.split(separator: " ", maxSplits: 1).first.map(String.init)
    }

    public var description: String {
        switch self {
        case .unavailable: "Redis is unavailable"
        case .connectionClosed: "the Redis connection closed before the reply"
        case .tooManyPending(let limit): "more than \(limit) Redis commands in flight"
        case .server(let message): "Redis: \(message)"
        case .protocolError(let error): "Redis protocol error: \(error)"
        case .unexpectedReply(let what): "unexpected Redis reply: \(what)"
        case .invalidURL(let url): "not a redis:// URL: \(url.prefix(100))"
        case .closed: "the Redis client is closed"
        }
    }
}
