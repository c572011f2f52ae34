import NIOCore
import SpacesClient
import SpacesCore
import Synchronization

/// A host streaming one Opus frame every 20 ms at real time, as `spaces host` does, with the
/// project's WebSocket client.
final class Publisher: Sendable {
    let sent = Atomic<Int>(0)
    private let task = Mutex<Task<Void, any Error>?>(nil)

    /// Starts streaming to the Space's publish endpoint; returns once the node said `publishing`.
    func start(url: ServerURL, hostToken: String, frameBytes: Int) async throws {
        let ready = AsyncStream.makeStream(of: Bool.self)
        let task = Task {
            let connection = try await WebSocketClient.connect(url, headers: [("authorization", "Bearer \(hostToken)")])
            try await connection.run { messages, sender in
                guard case .text(let text) = try await messages.next(), text.contains("\"publishing\"") else {
                    ready.continuation.yield(false)
                    return
                }
                ready.continuation.yield(true)
                let packet = ByteBuffer(bytes: [0x08] + (1..<frameBytes).map { UInt8(truncatingIfNeeded: $0) })
                let start = ContinuousClock.now
                var index = 0
                while !Task.isCancelled {
                    // On the real-time schedule: a late frame is sent at once, the next on time.
                    try await Task.sleep(until: start + .milliseconds(20 * index), clock: .continuous)
                    var batch = ByteBuffer()
                    AudioBatch(firstSequence: UInt32(truncatingIfNeeded: index), captureTimeMicros: WallClock.nowMicros(), frames: [packet])
                        .encode(into: &batch)
                    try await sender.send(binary: batch)
                    self.sent.add(1, ordering: .relaxed)
                    index += 1
                }
            }
        }
        self.task.withLock { $0 = task }
        var iterator = ready.stream.makeAsyncIterator()
        guard await iterator.next() == true else {
            task.cancel()
            _ = await task.result
            throw Failure(description: "the node did not accept the publisher")
        }
    }

    func stop() async {
        guard let task = self.task.withLock({ $0 }) else { return }
        task.cancel()
        _ = await task.result
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }
}
