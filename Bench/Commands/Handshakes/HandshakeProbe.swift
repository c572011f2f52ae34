import NIOCore
import NIOPosix
import SpacesClient
import Synchronization

/// Opens listener WebSockets one after another on a few concurrent loops, with the project's
/// WebSocket client: connect, upgrade, wait for `welcome`, close cleanly (so the node frees the
/// slot at once). Counts the welcomes that arrive within the window.
final class HandshakeProbe: Sendable {
    struct Result: Sendable {
        var seconds: Double
        var handshakes: Int
        var failures: Int
        /// Welcomes that came after the window's end (while its last probes finished).
        var late: Int
        /// Probes still waiting for their welcome when this gave up on them.
        var unfinished: Int
        /// Connect to `welcome`, in milliseconds, of every welcome (late ones too).
        var latencies: [Double]
        var handshakesPerSecond: Double { Double(self.handshakes) / self.seconds }
    }

    let url: ServerURL
    let sources: [String]
    let concurrency: Int
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    init(url: ServerURL, sources: [String], concurrency: Int) {
        self.url = url
        self.sources = sources
        self.concurrency = concurrency
    }

    /// Probes for `seconds`. Probes still under way at the end do not count; they are given a
    /// short while to finish before this returns.
    func run(seconds: Double) async -> Result {
        let clock = ContinuousClock()
        let start = clock.now
        let end = start + .milliseconds(Int(seconds * 1000))
        let tally = Tally()
        for loop in 0..<self.concurrency {
            Task {
                var attempt = loop
                while clock.now < end {
                    let source = self.sources[attempt % self.sources.count]
                    attempt += self.concurrency
                    let began = clock.now
                    do {
                        let welcomed = try await self.once(source: source, began: began)
                        if welcomed <= end {
                            tally.handshakes.add(1, ordering: .relaxed)
                        } else {
                            tally.late.add(1, ordering: .relaxed)
                        }
                        tally.latencies.withLock { $0.append(Self.milliseconds(welcomed - began)) }
                    } catch {
                        if clock.now < end { tally.failures.add(1, ordering: .relaxed) }
                    }
                }
                tally.finished.add(1, ordering: .relaxed)
            }
        }
        try? await Task.sleep(until: end, clock: .continuous)
        // Let the probes under way finish (bounded), so their latency is known and the next
        // phase starts from a quiet probe.
        let grace = end + .seconds(15)
        while tally.finished.load(ordering: .relaxed) < self.concurrency && clock.now < grace {
            try? await Task.sleep(for: .milliseconds(20))
        }
        return Result(
            seconds: seconds, handshakes: tally.handshakes.load(ordering: .relaxed), failures: tally.failures.load(ordering: .relaxed),
            late: tally.late.load(ordering: .relaxed), unfinished: self.concurrency - tally.finished.load(ordering: .relaxed),
            latencies: tally.latencies.withLock { $0 }
        )
    }

    /// What the probe loops of one window count together.
    final class Tally: Sendable {
        let handshakes = Atomic<Int>(0)
        let failures = Atomic<Int>(0)
        let late = Atomic<Int>(0)
        let finished = Atomic<Int>(0)
        let latencies = Mutex<[Double]>([])
    }

    enum ProbeError: Error {
        case notWelcomed(String)
        case closedEarly
    }

    /// One listener: returns when its `welcome` arrived.
    private func once(source: String, began: ContinuousClock.Instant) async throws -> ContinuousClock.Instant {
        let connection = try await WebSocketClient.connect(self.url, localAddress: source, group: self.group)
        return try await connection.run { messages, sender in
            var welcomed: ContinuousClock.Instant?
            while let message = try await messages.next() {
                switch message {
                case .text(let text) where welcomed == nil:
                    guard text.contains("\"welcome\"") else { throw ProbeError.notWelcomed(String(text.prefix(120))) }
                    welcomed = ContinuousClock.now
                    try await sender.close(code: 1000)
                case .text, .binary:
                    continue
                case .close:
                    guard let welcomed else { throw ProbeError.closedEarly }
                    return welcomed
                }
            }
            guard let welcomed else { throw ProbeError.closedEarly }
            return welcomed
        }
    }

    static func milliseconds(_ duration: Duration) -> Double {
        Double(duration.components.seconds) * 1e3 + Double(duration.components.attoseconds) / 1e15
    }

    func shutdown() async {
        try? await self.group.shutdownGracefully()
    }
}
