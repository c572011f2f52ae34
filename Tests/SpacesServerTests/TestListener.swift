import NIOCore
import SpacesClient
import SpacesCore
import XCTest
import NIOConcurrencyHelpers

/// A listener held open in the background that records what it receives, for tests that need
/// many connections at once.
final class TestListener: Sendable {
    struct Record: Sendable {
        var events: [ServerEvent] = []
        /// When each of `events` arrived.
        var times: [ContinuousClock.Instant] = []
        var sequence = SequenceTracker()
        var close: UInt16?
        var finished = false
    }

    let record = NIOLockedValueBox(Record())
    /// Whether permessage-deflate was negotiated.
    let compressed: Bool

    private init(compressed: Bool) {
        self.compressed = compressed
    }
    private let sender = NIOLockedValueBox<WebSocketSender?>(nil)
    private let gate = NIOLockedValueBox<CheckedContinuation<Void, Never>?>(nil)
    private let paused = NIOLockedValueBox(false)
    private let task = NIOLockedValueBox<Task<Void, Never>?>(nil)

    /// Connects; with `paused` it does not read its socket until ``resume()``.
    static func connect(
        _ url: ServerURL, paused: Bool = false, receiveBufferSize: Int? = nil, compression: Bool = false, from localAddress: String? = nil,
        headers: [(String, String)] = []
    ) async throws -> TestListener {
        let connection = try await WebSocketClient.connect(
            url, headers: headers, compression: compression, localAddress: localAddress, receiveBufferSize: receiveBufferSize
        )
        let listener = TestListener(compressed: connection.compressed)
        listener.paused.withLockedValue { $0 = paused }
        let ready = AsyncStream.makeStream(of: Void.self)
        let task = Task {
            _ = try? await connection.run { messages, sender in
                listener.sender.withLockedValue { $0 = sender }
                ready.continuation.yield()
                while true {
                    if listener.paused.withLockedValue({ $0 }) {
                        await withCheckedContinuation { continuation in listener.gate.withLockedValue { $0 = continuation } }
                    }
                    guard let message = try await messages.next() else { break }
                    listener.record.withLockedValue { record in
                        switch message {
                        case .text(let text):
                            if let event = try? ServerEvent.parse(text) {
                                record.events.append(event)
                                record.times.append(.now)
                            }
                        case .binary(let buffer):
                            if let header = try? AudioBatchHeader.decode(buffer) {
                                record.sequence.record(first: header.firstSequence, count: Int(header.frameCount))
                            }
                        case .close(let code, _):
                            record.close = code
                        }
                    }
                }
            }
            listener.record.withLockedValue { $0.finished = true }
        }
        listener.task.withLockedValue { $0 = task }
        for await _ in ready.stream { break }
        return listener
    }

    var welcome: ServerEvent.Welcome? {
        self.record.withLockedValue { record in
            for case .welcome(let welcome) in record.events { return welcome }
            return nil
        }
    }

    var positions: [Int] {
        self.record.withLockedValue { record in record.events.compactMap { if case .waiting(let w) = $0 { w.position } else { nil } } }
    }

    var refused: ServerEvent.Refused? {
        self.record.withLockedValue { record in
            for case .refused(let refused) in record.events { return refused }
            return nil
        }
    }

    var closeCode: UInt16? { self.record.withLockedValue { $0.close } }
    var finished: Bool { self.record.withLockedValue { $0.finished } }
    var sequence: SequenceTracker { self.record.withLockedValue { $0.sequence } }

    /// Every event received, with the time it arrived.
    var timedEvents: [(ServerEvent, ContinuousClock.Instant)] {
        self.record.withLockedValue { Array(zip($0.events, $0.times)) }
    }

    var events: [ServerEvent] { self.record.withLockedValue { $0.events } }

    /// The `questions` events received, with their arrival times.
    var questionUpdates: [(ServerEvent.Questions, ContinuousClock.Instant)] {
        self.timedEvents.compactMap { if case .questions(let q) = $0.0 { (q, $0.1) } else { nil } }
    }

    /// The codes of the `error` events received, in order.
    var errorCodes: [String] {
        self.events.compactMap { if case .error(let error) = $0 { error.code } else { nil } }
    }

    /// The asker's own `question` events received, in order.
    var ownQuestions: [ServerEvent.OwnQuestion] {
        self.events.compactMap { if case .question(let question) = $0 { question } else { nil } }
    }

    /// Sends a text message.
    func send(_ text: String) async throws {
        guard let sender = self.sender.withLockedValue({ $0 }) else { throw CancellationError() }
        try await sender.send(text: text)
    }

    /// Starts reading again.
    func resume() {
        self.paused.withLockedValue { $0 = false }
        self.gate.withLockedValue { $0?.resume(); $0 = nil }
    }

    /// Says goodbye with a close frame (1000) and waits for the socket to close.
    func close() async {
        try? await self.sender.withLockedValue { $0 }?.close()
        await self.task.withLockedValue { $0 }?.value
    }

    /// Drops the socket without a close frame, as a lost network does.
    func drop() async {
        self.task.withLockedValue { $0 }?.cancel()
        self.resume()
        await self.task.withLockedValue { $0 }?.value
    }
}
