import Dispatch
import NIOCore
import ScenarioSupport
import Synchronization

/// Bytes received by all clients together, and a signal when they reach a target.
final class ByteTally: Sendable {
    private let bytes = Atomic<Int>(0)
    private let target = Atomic<Int>(.max)
    private let reached = DispatchSemaphore(value: 0)

    var received: Int { self.bytes.load(ordering: .acquiring) }

    /// Expects `count` more bytes from now on.
    func expect(_ count: Int) {
        self.target.store(self.bytes.load(ordering: .acquiring) + count, ordering: .releasing)
    }

    func add(_ count: Int) {
        let now = self.bytes.wrappingAdd(count, ordering: .acquiringAndReleasing).newValue
        let target = self.target.load(ordering: .acquiring)
        if now >= target && now - count < target { self.reached.signal() }
    }

    /// Waits for the expected bytes; false after `seconds`.
    func wait(seconds: Int) -> Bool {
        self.reached.wait(timeout: .now() + .seconds(seconds)) == .success
    }
}

/// A client connection that only reads: it counts the frames it gets and adds the bytes to
/// the tally. Owned by its channel's event loop.
final class CountingHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    let tally: ByteTally
    private(set) var counter = WebSocketFrameCounter()

    init(tally: ByteTally) {
        self.tally = tally
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let buffer = Self.unwrapInboundIn(data)
        self.counter.consume(buffer)
        self.tally.add(buffer.readableBytes)
    }
}

@available(*, unavailable)
extension CountingHandler: Sendable {}
