import Dispatch
import NIOCore
import SpacesCore
@_spi(Testing) import SpacesServer

/// One audio batch, ready for either kind of shard: the batch itself (the relay frames it once
/// per broadcast) and its pre-framed WebSocket message (what the other shards write as it is).
struct PreparedBatch: Sendable {
    let batch: AudioBatch
    let framed: ByteBuffer

    init(sequence: Int, packet: ByteBuffer) {
        self.batch = AudioBatch(firstSequence: UInt32(truncatingIfNeeded: sequence), captureTimeMicros: 1_763_683_200_000_000, frames: [packet])
        self.framed = PreframedMessage(batch: self.batch).bytes
    }
}

/// A shard of the fan-out: hands one batch to every listener it holds. `deliver` is called
/// from a thread that is not the listeners' event loop, as a publisher on another loop would.
protocol FanoutShard: Sendable {
    var name: String { get }
    func deliver(_ batch: PreparedBatch)
}

/// The project's relay: one hop to the shard's event loop per batch, then on-loop writes with no
/// promise, sliced by `relay.writesPerSlice`.
struct EventLoopShard: FanoutShard {
    let relay: Relay
    let space: LiveSpace
    var name: String { "event-loop (Relay)" }

    func deliver(_ batch: PreparedBatch) {
        self.relay.broadcast(batch.batch, to: self.space)
    }
}

/// The design the request asked for: the shard's listeners on a serial `DispatchQueue`. The
/// queue writes to each channel from off its event loop, so every write is its own hop.
final class DispatchShard: FanoutShard {
    let queue = DispatchQueue(label: "bench.dispatch-shard")
    let channels: [any Channel]
    var name: String { "dispatch queue" }

    init(channels: [any Channel]) {
        self.channels = channels
    }

    func deliver(_ batch: PreparedBatch) {
        let channels = self.channels
        let message = batch.framed
        self.queue.async {
            for channel in channels {
                channel.writeAndFlush(message, promise: nil)
            }
        }
    }
}

/// The floor both are measured against: one hop per batch, then plain NIO writes on the loop,
/// with none of the relay's bookkeeping (budgets, slices, batching).
struct PlainLoopShard: FanoutShard {
    let eventLoop: any EventLoop
    let channels: [any Channel]
    var name: String { "event-loop (plain NIO)" }

    func deliver(_ batch: PreparedBatch) {
        let channels = self.channels
        let message = batch.framed
        self.eventLoop.execute {
            for channel in channels {
                channel.writeAndFlush(message, promise: nil)
            }
        }
    }
}
