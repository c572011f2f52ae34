import NIOCore
import SpacesClient
import SpacesCore
import Synchronization

/// Creates a Space, publishes packets to it at real time, and ends it when the input ends or
/// the task is cancelled.
struct HostStreamer: Sendable {
    let api: SpacesAPIClient
    let hostKey: String
    let title: String
    let capacity: Int?
    /// Frames per batch sent to the server (1 = lowest latency).
    let framesPerBatch: Int

    struct Status: Sendable {
        var space: CreateSpaceResponse
        var listeners = 0
        /// The most listeners seen at once.
        var peakListeners = 0
        var framesSent = 0
        var framesRelayed = 0
        var invalidPackets = 0
    }

    /// Runs the whole host session; `onCreated` is called once the Space exists (print the
    /// listen URL there), `onStatus` about once a second, `onEvent` with every text event of
    /// the publish socket (the conversation: `questions`, `hands`, `reactions`, and the
    /// `applied` or `error` answering an action). Each of `actions` is sent on the publish
    /// socket as text while it is open (docs/PROTOCOL.md §6.3). Returns the final status.
    func run(
        source makeSource: @escaping @Sendable () throws -> any PacketSource,
        onCreated: @Sendable (CreateSpaceResponse) -> Void = { _ in },
        onStatus: @escaping @Sendable (Status) -> Void = { _ in },
        onEvent: @escaping @Sendable (ServerEvent) -> Void = { _ in },
        actions: AsyncStream<HostAction>? = nil
    ) async throws -> Status {
        let channels = try makeSource().channels
        let space = try await self.api.createSpace(
            CreateSpaceRequest(title: self.title, capacity: self.capacity, channels: channels), hostKey: self.hostKey
        )
        onCreated(space)
        var status = Status(space: space)
        do {
            status = try await self.publish(
                space: space, makeSource: makeSource, onStatus: onStatus, onEvent: onEvent, actions: actions
            )
        } catch {
            _ = try? await self.api.endSpace(id: space.id, token: space.hostToken)
            throw error
        }
        try await self.api.endSpace(id: space.id, token: space.hostToken)
        return status
    }

    private func publish(
        space: CreateSpaceResponse, makeSource: @escaping @Sendable () throws -> any PacketSource,
        onStatus: @escaping @Sendable (Status) -> Void, onEvent: @escaping @Sendable (ServerEvent) -> Void,
        actions: AsyncStream<HostAction>?
    ) async throws -> Status {
        // Publish on the server we were told to use, whatever host name it put in its URLs.
        let publishURL = self.api.server.with(target: try ServerURL(space.publishURL).target)
        let connection = try await WebSocketClient.connect(
            publishURL, headers: [("authorization", "Bearer \(space.hostToken)")], group: self.api.group
        )
        let framesPerBatch = self.framesPerBatch
        return try await connection.run { messages, sender in
            let counter = SentFrames()
            let sending = Task {
                defer { Task { try? await sender.close(code: CloseCode.ended.rawValue, reason: "end of input") } }
                return try await Self.send(makeSource: makeSource, framesPerBatch: framesPerBatch, sender: sender, counter: counter)
            }
            // Actions are text messages on the same socket, written beside the audio (the
            // outbound writer takes writes from several tasks, in order per task).
            let acting = Task {
                guard let actions else { return }
                for await action in actions {
                    try await sender.send(text: action.json())
                }
            }
            defer { acting.cancel() }
            var status = Status(space: space)
            var cancelled = false
            try await withTaskCancellationHandler {
                do {
                    while let message = try await messages.next() {
                        guard case .text(let text) = message, let event = try? ServerEvent.parse(text) else { continue }
                        onEvent(event)
                        if case .state(let state) = event {
                            status.listeners = state.listeners
                            status.peakListeners = max(status.peakListeners, state.listeners)
                            status.framesRelayed = state.framesRelayed ?? status.framesRelayed
                            status.invalidPackets = state.invalidPackets ?? status.invalidPackets
                            onStatus(status)
                        } else if case .ended = event {
                            sending.cancel()
                        }
                    }
                } catch is CancellationError where Task.isCancelled {
                    // The host stopped (Ctrl-C, `q`): the inbound stream ends by throwing. What
                    // was counted so far is the session's status, so that it is still reported.
                }
            } onCancel: {
                sending.cancel()
            }
            cancelled = Task.isCancelled
            switch await sending.result {
            case .success(let sent): status.framesSent = sent
            case .failure(let error) where !(error is CancellationError) && !cancelled: throw error
            case .failure: status.framesSent = counter.value.withLock { $0 }  // stopped: what went out before
            }
            return status
        }
    }

    /// Reads packets and sends them in batches, each when its last frame is due.
    private static func send(
        makeSource: @Sendable () throws -> any PacketSource, framesPerBatch: Int, sender: WebSocketSender, counter: SentFrames
    ) async throws -> Int {
        var source = try makeSource()
        let clock = ContinuousClock()
        let start = clock.now
        var elapsedMicros = 0
        var frames: [ByteBuffer] = []
        var sent = 0
        var sequence: UInt32 = 0
        func flush() async throws {
            guard !frames.isEmpty else { return }
            let batch = AudioBatch(firstSequence: sequence, captureTimeMicros: WallClock.nowMicros(), frames: frames)
            var buffer = ByteBuffer()
            batch.encode(into: &buffer)
            try await sender.send(binary: buffer)
            sequence &+= UInt32(frames.count)
            sent += frames.count
            counter.value.withLock { $0 = sent }
            frames.removeAll(keepingCapacity: true)
        }
        while !Task.isCancelled, let (packet, duration) = try source.nextPacket() {
            elapsedMicros += duration
            // A live source produces a frame only once its time has passed.
            try await Task.sleep(until: start + .microseconds(elapsedMicros), clock: clock)
            frames.append(ByteBuffer(bytes: packet))
            if frames.count >= framesPerBatch { try await flush() }
        }
        try await flush()
        return sent
    }
}

/// Frames sent so far, readable when the sending task was cancelled and has no result to give.
private final class SentFrames: Sendable {
    let value = Mutex(0)
}
