import ArgumentParser
import NIOCore
import SpacesClient
import Foundation
import SpacesCore

struct ListenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Join a Space as a listener and report frames, losses and latency."
    )

    @Argument(help: "The listen URL (ws:// or wss://host:port/v1/spaces/ID/listen).")
    var url: String

    @Option(help: "Write what is heard: .ogg/.opus (packets as received) or .wav (decoded).")
    var out: String?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "How many times to come back with a ticket when the waiting room is full.")
    var retries = 10

    @Option(name: .customLong("cacert"), help: "Also trust the certificates in this PEM file for wss:// (or SPACES_CA_CERTIFICATE).")
    var caCertificate: String?

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        _ = try ServerURL(self.url)
        if let caCertificate {
            guard FileManager.default.isReadableFile(atPath: caCertificate) else {
                throw ValidationError("--cacert: cannot read \(caCertificate)")
            }
            ClientTLS.trust(certificatesIn: caCertificate)
        }
    }

    func run() async throws {
        lineBufferedOutput()
        let recorder = try self.out.map { try Recorder(path: $0) }
        // --duration counts from the connection that got in; connections after a failover get
        // what is left of it.
        let total = self.duration.map { Duration.milliseconds(Int64($0 * 1000)) }
        var deadline: ContinuousClock.Instant?
        var url = self.url
        var attempt = 0
        var report = ListenReport()
        var counted = false
        /// When the connection was lost, while finding another node.
        var lostAt: ContinuousClock.Instant?
        while true {
            let remaining = deadline.map { $0 - .now } ?? total
            if let remaining, remaining <= .zero { break }
            let started = ContinuousClock.now
            let step = try await self.listenOnce(url: url, recorder: recorder, report: report, duration: remaining)
            switch step {
            case .finished(let last):
                report = last
                counted = true
                if deadline == nil, last.welcome != nil, let total { deadline = started + total }
                if last.welcome != nil, last.connectionLost, let next = try await self.failover(from: url, report: last, since: &lostAt) {
                    report.failovers += 1
                    report.nextConnection()
                    url = next
                    continue
                }
                try self.finish(report, recorder: recorder)
                return
            case .tryAgain(let seconds):
                // The slot is still held by the node that was lost: it is known dead within seconds.
                if let lostAt, ContinuousClock.now - lostAt > Self.resumeWindow { break }
                if lostAt == nil {
                    attempt += 1
                    guard attempt <= self.retries else { break }
                }
                try await Task.sleep(for: .seconds(max(1, seconds)))
                continue
            case .unreachable where lostAt != nil:
                guard let next = try await self.failover(from: url, report: report, since: &lostAt) else { break }
                url = next
                continue
            case .unreachable(let error):
                throw error
            case .ticket(let last, let retry):
                if let last { report = last; counted = true }
                guard attempt < self.retries else { break }
                attempt += 1
                print("the waiting room is full: coming back in \(retry.seconds) s with a ticket (\(attempt)/\(self.retries))")
                try await Task.sleep(for: .seconds(retry.seconds))
                report.nextConnection()
                url = Self.url(self.url, ticket: retry.ticket)
                continue
            }
            break
        }
        try self.finish(counted ? report : nil, recorder: recorder)
    }

    /// How long a lost listener looks for another node (the server's resume grace, 30 s by default).
    static let resumeWindow: Duration = .seconds(30)

    /// After a lost connection: a listen URL on a live node with `?resume=`, or nil to stop.
    private func failover(from url: String, report: ListenReport, since lostAt: inout ContinuousClock.Instant?) async throws -> String? {
        let start = lostAt ?? .now
        lostAt = start
        guard let lost = try? ServerURL(url), let id = NodeFailover.spaceID(of: lost) else { return nil }
        let failover = NodeFailover(spaceID: id, lost: lost, nodes: report.welcome?.nodes)
        var wait: Duration = .milliseconds(250)
        while ContinuousClock.now - start < Self.resumeWindow {
            switch await failover.find(resumeToken: report.welcome?.resumeToken) {
            case .listen(let next):
                print("the connection to \(lost.hostHeader) was lost: resuming on \(next.hostHeader)")
                return next.description
            case .ended:
                print("the Space is gone")
                return nil
            case .unreachable:
                try await Task.sleep(for: wait)
                wait = min(wait * 2, .seconds(2))
            }
        }
        print("no node could be reached for \(Int(Self.resumeWindow.components.seconds)) s")
        return nil
    }

    /// The URL with `ticket=` set (replacing one already there).
    static func url(_ base: String, ticket: String) -> String {
        guard let url = try? ServerURL(base) else { return base }
        return url.settingQuery("ticket", to: ticket).description
    }

    /// What one connection came to.
    private enum Step {
        /// It ended (or was lost: see ``ListenReport/connectionLost``).
        case finished(ListenReport)
        /// Refused with a ticket, before the upgrade (no report) or in line.
        case ticket(ListenReport?, (seconds: Int, ticket: String))
        /// 503 without a ticket: ask again in this many seconds.
        case tryAgain(Int)
        /// The node could not be reached.
        case unreachable(any Error)
    }

    private func listenOnce(url: String, recorder: Recorder?, report earlier: ListenReport, duration: Duration?) async throws -> Step {
        let listener = try Listener(url: url)
        let line = LiveLine()
        var tick = 0
        var recordError: (any Error)?
        let report: ListenReport
        do {
            report = try await listener.listen(
            duration: duration,
            continuing: earlier,
            onEvent: { event, _ in
                switch event {
                case .welcome(let welcome):
                    print("joined \"\(welcome.space.title)\" (\(welcome.space.id)) as \(welcome.listenerId): \(welcome.codec.name) \(welcome.codec.sampleRate) Hz, \(welcome.codec.channels) ch, \(welcome.codec.frameDurationMs) ms frames")
                    do { try recorder?.start(codec: welcome.codec) } catch { recordError = error }
                case .ended(let ended):
                    line.finish()
                    print("the Space ended (\(ended.reason))")
                case .waiting(let waiting):
                    line.update("waiting: #\(waiting.position) in line, about \(waiting.etaSeconds.map { "\($0) s" } ?? "? s")", tick: 0)
                case .refused(let refused):
                    line.finish()
                    print("no place in line (\(refused.reason)); retry in \(refused.retryAfterSeconds) s with ?ticket=\(refused.ticket)")
                case .error(let error):
                    line.finish()
                    print("error \(error.code): \(error.message)")
                default:
                    break
                }
            },
            onBatch: { batch in
                guard recordError == nil else { return }
                do { try recorder?.record(batch) } catch { recordError = error }
            },
            onTick: { report in
                tick += 1
                line.update(Self.summary(report), tick: tick)
            }
            )
        } catch let refused as WebSocketClient.Refused {
            guard refused.status == 503 else { throw refused }
            guard let ticket = refused.response.apiError?.ticket else {
                return .tryAgain(refused.response.apiError?.retryAfterSeconds ?? 1)
            }
            return .ticket(nil, (refused.response.apiError?.retryAfterSeconds ?? 30, ticket))
        } catch let error as IOError {
            return .unreachable(error)
        } catch let error as ChannelError {
            return .unreachable(error)
        }
        line.finish()
        if let recordError { throw recordError }
        if let refused = report.refused { return .ticket(report, (refused.retryAfterSeconds, refused.ticket)) }
        return .finished(report)
    }

    private func finish(_ report: ListenReport?, recorder: Recorder?) throws {
        try recorder?.finish()
        guard let report else {
            print("gave up: the waiting room stayed full")
            throw ExitCode(3)
        }
        print(Self.summary(report))
        if report.failovers > 0 { print("resumed on another connection \(report.failovers) time\(report.failovers == 1 ? "" : "s")") }
        if let code = report.closeCode {
            print("closed: \(CloseCode(rawValue: code)?.description ?? String(code)) \(report.closeReason)")
        }
    }

    static func summary(_ report: ListenReport) -> String {
        let lossPercent = report.sequence.received + report.sequence.lost == 0 ? 0
            : Double(report.sequence.lost) * 100 / Double(report.sequence.received + report.sequence.lost)
        return "listeners \(report.listeners)  frames \(report.sequence.received)  lost \(report.sequence.lost) (\(String(format: "%.2f", lossPercent))%)  latency p50 \(String(format: "%.1f", report.latencyMs(50))) ms  p99 \(String(format: "%.1f", report.latencyMs(99))) ms"
    }
}
