import NIOCore

/// A pub/sub channel: classic (`SUBSCRIBE`/`PUBLISH`) or sharded (`SSUBSCRIBE`/`SPUBLISH`,
/// Redis 7: on Redis Cluster a sharded message travels only within the shard of its slot).
public struct RedisChannel: Sendable, Hashable, CustomStringConvertible {
    public var name: String
    public var sharded: Bool

    public init(_ name: String, sharded: Bool) {
        self.name = name
        self.sharded = sharded
    }

    public static func sharded(_ name: String) -> RedisChannel { .init(name, sharded: true) }
    public static func classic(_ name: String) -> RedisChannel { .init(name, sharded: false) }

    var subscribeCommand: String { self.sharded ? "SSUBSCRIBE" : "SUBSCRIBE" }
    var unsubscribeCommand: String { self.sharded ? "SUNSUBSCRIBE" : "UNSUBSCRIBE" }
    /// The command that publishes to this channel.
    public var publishCommand: String { self.sharded ? "SPUBLISH" : "PUBLISH" }

    public var description: String { self.sharded ? "shard:\(self.name)" : self.name }
}

/// A message received on a subscribed channel.
public struct RedisMessage: Sendable, Equatable {
    public var channel: RedisChannel
    public var payload: ByteBuffer

    public init(channel: RedisChannel, payload: ByteBuffer) {
        self.channel = channel
        self.payload = payload
    }
}
