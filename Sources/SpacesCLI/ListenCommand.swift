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

    func validate() throws {
        if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
        _ = try ServerURL(self.url)
    }

    func run() async throws {
        let recorder = try self.out.map { try Recorder(path: $0) }
        let listener = try Listener(url: self.url)
        let line = LiveLine()
        var tick = 0
        var recordError: (any Error)?
        let report = try await listener.listen(
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
        line.finish()
        try recorder?.finish()
        print(Self.summary(report))
        if let code = report.closeCode {
            print("closed: \(CloseCode(rawValue: code)?.description ?? String(code)) \(report.closeReason)")
        }
        if let recordError { throw recordError }
    }

    static func summary(_ report: ListenReport) -> String {
        let lossPercent = report.sequence.received + report.sequence.lost == 0 ? 0
            : Double(report.sequence.lost) * 100 / Double(report.sequence.received + report.sequence.lost)
        return "listeners \(report.listeners)  frames \(report.sequence.received)  lost \(report.sequence.lost) (\(String(format: "%.2f", lossPercent))%)  latency p50 \(String(format: "%.1f", report.latencyMs(50))) ms  p99 \(String(format: "%.1f", report.latencyMs(99))) ms"
    }
}
