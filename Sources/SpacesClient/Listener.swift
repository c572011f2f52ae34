import NIOCore
import NIOPosix
import SpacesCore

/// A listener client: joins a Space, follows its events and audio, and reports.
public struct Listener: Sendable {
    public let url: ServerURL
    public let headers: [(String, String)]
    public let localAddress: String?
    public let group: any EventLoopGroup

    public init(url: String, headers: [(String, String)] = [], localAddress: String? = nil, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) throws {
        self.url = try ServerURL(url)
        self.headers = headers
        self.localAddress = localAddress
        self.group = group
    }

    /// Listens until the Space ends, the socket closes, or `duration` passes (then closes with
    /// 1000). `onBatch` sees every audio batch; `onEvent` every text event and `onTick` is
    /// called about once a second with the report so far.
    ///
    /// `report` is where to count from (a listener's earlier connections); a connection lost
    /// under it ends the call with ``ListenReport/connectionLost`` true, not with an error.
    public func listen(
        duration: Duration? = nil,
        continuing report: ListenReport = ListenReport(),
        onEvent: (ServerEvent, ListenReport) -> Void = { _, _ in },
        onBatch: (AudioBatch) -> Void = { _ in },
        onTick: (ListenReport) -> Void = { _ in }
    ) async throws -> ListenReport {
        let connection = try await WebSocketClient.connect(self.url, headers: self.headers, localAddress: self.localAddress, group: self.group)
        return try await connection.run { messages, sender in
            let timer = Task {
                if let duration {
                    try await Task.sleep(for: duration)
                    try await sender.close(code: CloseCode.ended.rawValue, reason: "done")
                }
            }
            defer { timer.cancel() }
            var report = report
            var lastTick = ContinuousClock.now
            while true {
                let next: WebSocketMessage?
                do {
                    next = try await messages.next()
                } catch let violation as WebSocketConnection.ProtocolViolation {
                    throw violation
                } catch {
                    // Reset, EOF mid-frame: the node is gone; the caller may fail over.
                    break
                }
                guard let message = next else { break }
                switch message {
                case .text(let text):
                    guard let event = try? ServerEvent.parse(text) else { continue }
                    switch event {
                    case .welcome(let welcome): report.welcome = welcome
                    case .state(let state):
                        report.listeners = state.listeners
                        report.stateEvents += 1
                    case .ended(let ended): report.ended = ended
                    case .error(let error): report.errors.append(error)
                    case .waiting(let waiting): report.waiting.append(waiting)
                    case .refused(let refused): report.refused = refused
                    case .questions(let questions): report.questions = questions
                    default: break
                    }
                    onEvent(event, report)
                case .binary(let buffer):
                    let now = WallClock.nowMicros()
                    report.bytes += buffer.readableBytes
                    guard let batch = try? AudioBatch.decode(buffer) else { continue }
                    report.batches += 1
                    report.sequence.record(first: batch.firstSequence, count: batch.frames.count)
                    if now > batch.captureTimeMicros {
                        _ = report.latencyMicros.record(min(now - batch.captureTimeMicros, 59_000_000))
                    } else {
                        _ = report.latencyMicros.record(0)
                    }
                    onBatch(batch)
                case .close(let code, let reason):
                    report.closeCode = code
                    report.closeReason = reason
                }
                if ContinuousClock.now - lastTick >= .seconds(1) {
                    lastTick = .now
                    onTick(report)
                }
            }
            return report
        }
    }
}
