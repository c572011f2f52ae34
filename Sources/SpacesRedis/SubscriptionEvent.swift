import NIOCore

/// What a value read on a subscribed connection means.
enum SubscriptionEvent: Equatable {
    case message(RedisMessage)
    /// Redis confirmed a subscription (the reply to (S)SUBSCRIBE, one per channel).
    case subscribed(RedisChannel)
    /// A channel is no longer subscribed: asked for, or (sharded, on a cluster) a slot moved.
    case unsubscribed(RedisChannel)
    case other

    /// Reads a RESP2 array or a RESP3 push: `[kind, channel, payload-or-count]`.
    init(_ value: RESPValue) {
        guard let parts = value.elements, parts.count >= 3, let kind = parts[0].string?.lowercased(), let name = parts[1].string else {
            self = .other
            return
        }
        switch kind {
        case "message": self = parts[2].bytes.map { .message(RedisMessage(channel: .classic(name), payload: $0)) } ?? .other
        case "smessage": self = parts[2].bytes.map { .message(RedisMessage(channel: .sharded(name), payload: $0)) } ?? .other
        case "subscribe": self = .subscribed(.classic(name))
        case "ssubscribe": self = .subscribed(.sharded(name))
        case "unsubscribe": self = .unsubscribed(.classic(name))
        case "sunsubscribe": self = .unsubscribed(.sharded(name))
        default: self = .other
        }
    }
}
