import BenchSupport
import NIOCore
import NIOEmbedded
import NIOWebSocket
import SpacesCore
@_spi(Testing) import SpacesServer

/// `listeners` in-memory channels on one `EmbeddedEventLoop`, set up for one ``FanoutPath``.
///
/// Made, used and dropped on the thread that runs the benchmark closure: an
/// `EmbeddedEventLoop` belongs to the thread that created it.
final class FanoutFixture {
    let path: FanoutPath
    let batch: AudioBatch
    /// What every listener must receive per batch: one complete WebSocket binary frame.
    let expected: ByteBuffer

    private let loop = EmbeddedEventLoop()
    private let channels: [EmbeddedChannel]
    private let relay: Relay
    private let space: LiveSpace
    /// The batch without its WebSocket header, for ``FanoutPath/frameEncoding``.
    private let frame: WebSocketFrame
    private var verified = false
    private var relayWrites = 0

    init(path: FanoutPath, listeners: Int, batch: AudioBatch) throws {
        precondition(listeners > 0, "a fan-out needs listeners")
        self.path = path
        self.batch = batch
        self.expected = PreframedMessage(batch: batch).bytes
        self.frame = WebSocketFrame(fin: true, opcode: .binary, data: SampleBatch.encoded(batch))
        // Adaptive batching off: a batch latency of one 20 ms frame caps frames per write at 1,
        // so each batch goes out as it comes and one send is one write per listener, like the
        // baseline. Slicing keeps its default, so its yields are part of the measurement.
        var configuration = SpacesConfiguration()
        configuration.relay.maxBatchLatencyMs = 20
        // No shedding of late audio either: this measures the fan-out, not the overload policy.
        configuration.relay.maxLagMs = 0
        self.relay = Relay(onLoops: [self.loop], configuration: configuration)
        self.space = Relay.makeSpace()

        var channels: [EmbeddedChannel] = []
        channels.reserveCapacity(listeners)
        for _ in 0..<listeners {
            let channel = EmbeddedChannel(loop: self.loop)
            channel.connect(to: try SocketAddress(ipAddress: "127.0.0.1", port: 1), promise: nil)
            precondition(channel.isActive, "EmbeddedChannel did not become active on connect")
            switch path {
            case .relay:
                try self.relay.attachListener(to: channel, space: self.space)
            case .directWrite:
                break
            case .frameEncoding:
                try channel.pipeline.syncOperations.addHandler(WebSocketFrameEncoder())
            }
            channels.append(channel)
        }
        self.channels = channels

        if path == .relay {
            // Each listener is sent its `welcome` text frame when attached; read it here so that
            // every later read holds audio only.
            for (index, channel) in channels.enumerated() {
                var welcome = 0
                while try channel.readOutbound(as: ByteBuffer.self) != nil { welcome += 1 }
                precondition(welcome == 1, "listener \(index) was sent \(welcome) messages on attach, expected its welcome")
            }
            let inFanout = self.relay.handles[0].stats.listeners
            precondition(inFanout == listeners, "the shard's fan-out holds \(inFanout) of \(listeners) listeners")
        }
    }

    /// Sends the batch to every listener once: the measured work.
    @inline(__always)
    func send() {
        switch self.path {
        case .relay:
            // Framing the batch is part of a broadcast: it happens once per batch, not per listener.
            self.relay.broadcast(self.batch, to: self.space)
            // The shard writes `writesPerSlice` listeners per turn of its loop and schedules the
            // rest a moment later (so a real loop polls its sockets in between); an embedded loop
            // runs what was scheduled only when its clock is moved.
            self.loop.run()
            for _ in 0..<(self.channels.count / 256 + 1) { self.loop.advanceTime(by: .milliseconds(1)) }
        case .directWrite:
            for channel in self.channels {
                channel.writeAndFlush(self.expected, promise: nil)
            }
        case .frameEncoding:
            for channel in self.channels {
                channel.writeAndFlush(self.frame, promise: nil)
            }
        }
    }

    /// Reads what ``send()`` left in the channels, so that nothing piles up between iterations,
    /// and stops the run if any listener did not get exactly one batch.
    ///
    /// The first call compares every listener's bytes with ``expected``; later calls compare
    /// byte counts, which is cheap enough to do every time.
    func drain() throws {
        let verify = !self.verified
        for (index, channel) in self.channels.enumerated() {
            var received = 0
            var bytes = ByteBuffer()
            while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
                received += buffer.readableBytes
                if verify { bytes.writeImmutableBuffer(buffer) }
            }
            precondition(
                received == self.expected.readableBytes,
                "\(self.path): listener \(index) received \(received) bytes, expected \(self.expected.readableBytes)"
            )
            if verify {
                precondition(bytes == self.expected, "\(self.path): listener \(index) received other bytes than the framed batch")
            }
        }
        if self.path == .relay {
            let stats = self.relay.handles[0].stats
            self.relayWrites += self.channels.count
            precondition(stats.framesPerWrite == 1, "the shard batches \(stats.framesPerWrite) frames per write")
            precondition(stats.droppedBatches == 0 && stats.shedBatches == 0, "the shard dropped or shed batches")
            precondition(stats.audioWrites == self.relayWrites, "the shard made \(stats.audioWrites) audio writes, expected \(self.relayWrites)")
        }
        self.verified = true
    }
}
