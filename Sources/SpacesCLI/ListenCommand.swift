import ArgumentParser
import SpacesClient
import Foundation
import SpacesCore

struct ListenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "listen",
        abstract: "Join a Space as a listener and report frames, losses and latency."
    )

    @Argument(help: "The listen URL (ws://host:port/v1/spaces/ID/listen).")
    var url: String

    @Option(help: "Write what is heard: .ogg/.opus (packets as received) or .wav (decoded).")
    var out: String?

    @Option(help: "Stop after this many seconds.")
    var duration: Double?

    @Option(help: "How many times to come back with a ticket when the waiting room is full.")
    var retries = 10

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        _ = try ServerURL(self.url)
    }

    func run() async throws {
        lineBufferedOutput()
        let recorder = try self.out.map { try Recorder(path: $0) }
        var url = self.url
        var attempt = 0
        while true {
            let (report, retry) = try await self.listenOnce(url: url, recorder: recorder)
            guard let retry, attempt < self.retries else {
                try self.finish(report, recorder: recorder)
                return
            }
            attempt += 1
            print("the waiting room is full: coming back in \(retry.seconds) s with a ticket (\(attempt)/\(self.retries))")
            try await Task.sleep(for: .seconds(retry.seconds))
            url = Self.url(self.url, ticket: retry.ticket)
        }
    }

    /// The URL with `ticket=` set (replacing one already there).
    static func url(_ base: String, ticket: String) -> String {
        guard let url = try? ServerURL(base) else { return base }
        return url.settingQuery("ticket", to: ticket).description
    }

    private func listenOnce(url: String, recorder: Recorder?) async throws -> (ListenReport?, (seconds: Int, ticket: String)?) {
        let listener = try Listener(url: url)
        let line = LiveLine()
        var tick = 0
        var recordError: (any Error)?
        let report: ListenReport
        do {
            report = try await listener.listen(
            duration: self.duration.map { .milliseconds(Int64($0 * 1000)) },
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
            guard refused.status == 503, let ticket = refused.response.apiError?.ticket else { throw refused }
            return (nil, (refused.response.apiError?.retryAfterSeconds ?? 30, ticket))
        }
        line.finish()
        if let recordError { throw recordError }
        if let refused = report.refused { return (report, (refused.retryAfterSeconds, refused.ticket)) }
        return (report, nil)
    }

    private func finish(_ report: ListenReport?, recorder: Recorder?) throws {
        try recorder?.finish()
        guard let report else {
            print("gave up: the waiting room stayed full")
            throw ExitCode(3)
        }
        print(Self.summary(report))
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
