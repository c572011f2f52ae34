import Logging
import NIOCore
import SpacesCore

/// Entry points for benchmarks and tests that drive the relay on in-memory channels, without
/// HTTP or sockets. Not part of the supported API.
extension Relay {
    /// Makes a live Space that is not in any registry.
    @_spi(Testing)
    public static func makeSpace(title: String = "bench", channels: Int = 1, capacity: Int = .max) -> LiveSpace {
        LiveSpace(id: Token.random(bytes: 6), title: title, channels: channels, capacity: capacity, hostToken: Token.random(bytes: 24))
    }

    /// Installs the listener handlers on `channel` (already active, on one of this relay's
    /// loops) as an upgraded WebSocket gets them, admitted at once, and adds it to its shard.
    @_spi(Testing)
    public func attachListener(
        to channel: any Channel, space: LiveSpace, limits: SpacesConfiguration.Limits = .init(), compressed: Bool = false
    ) throws {
        channel.eventLoop.preconditionInEventLoop()
        let writer = SocketWriter()
        let sync = channel.pipeline.syncOperations
        try sync.addHandler(writer, position: .first)
        try sync.addHandler(ListenerConnection(
            number: UInt64.random(in: 1...UInt64.max), space: space, relay: self, gate: nil,
            plan: .init(arrivalMicros: WallClock.nowMicros()), writer: writer, limits: limits,
            evictAfterMicros: UInt64(SpacesConfiguration().backpressure.evictAfterMs) * 1000,
            inflater: compressed ? self.shard(on: channel.eventLoop).inflater : nil, logger: Logger(label: "bench")
        ))
    }

    /// Encodes `batch` once and hands it to every shard, as a publisher's batch is.
    ///
    /// As in the server, a shard may hold the frames back (adaptive batching: set
    /// `relay.maxBatchLatencyMs` to 20 to turn it off) and writes at most `relay.writesPerSlice`
    /// listeners before yielding its loop: on an embedded loop, `run()` it to finish the fan-out.
    @_spi(Testing)
    public func broadcast(_ batch: AudioBatch, to space: LiveSpace) {
        self.broadcast(batch, encoded: PreframedMessage(batch: batch).bytes, to: space)
    }
}
