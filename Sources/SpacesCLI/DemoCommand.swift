import ArgumentParser
import Foundation
import Histogram
import Logging
import NIOPosix
import SpacesClient
import SpacesCore
import SpacesServer
import UnixSignals
import NIOConcurrencyHelpers

struct DemoCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "demo",
        abstract: "Run a node, a host streaming a generated voice and some listeners, in one process, and show what flows."
    )

    @OptionGroup var options: ServerOptions

    @Option(help: "In-process listeners.")
    var listeners = 3

    @Option(help: "Stop after this many seconds (0 = until Ctrl-C).")
    var duration: Double = 0

    func validate() throws {
        if !(0...1000).contains(self.listeners) { throw ValidationError("--listeners must be within 0…1000") }
        if self.duration < 0 { throw ValidationError("--duration must be 0 or more") }
    }

    func run() async throws {
        lineBufferedOutput()
        var configuration = try await SpacesConfiguration.load(file: self.options.config, overrides: self.options.overrides)
        if configuration.server.hostKey.isEmpty { configuration.server.hostKey = Token.random(bytes: 16) }
        var logger = Logger(label: "spaces")
        logger.logLevel = .warning
        let server = try SpacesServer(configuration: configuration, logger: logger)
        let address = try await server.start()
        let base = "http://127.0.0.1:\(address.port!)"
        print("node listening on \(base)")

        let streamer = HostStreamer(
            api: try SpacesAPIClient(server: base), hostKey: configuration.server.hostKey,
            title: "Spaces demo", capacity: nil, framesPerBatch: 1
        )
        let stats = DemoStats()
        let seconds = self.duration > 0 ? self.duration : nil
        let listenerCount = self.listeners
        let created = AsyncStream.makeStream(of: CreateSpaceResponse.self)
        try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask {
                _ = try await streamer.run(
                    source: { try EncodingPacketSource(pcm: VoicePCMSource(seconds: seconds), bitrate: 24_000) },
                    onCreated: { space, _ in
                        print("Space \"\(space.title)\" is live; listen with:")
                        print("  spaces listen \(space.listenURL)")
                        if let page = space.pageURL { print("  or open \(page) in a browser") }
                        created.continuation.yield(space)
                        created.continuation.finish()
                    }
                )
            }
            guard let space = await created.stream.first(where: { _ in true }) else { return }
            for index in 0..<listenerCount {
                group.addTask {
                    let listener = try Listener(url: space.listenURL)
                    let report = try await listener.listen(onTick: { stats.update(index, $0) })
                    stats.update(index, report)
                }
            }
            group.addTask {
                let line = LiveLine()
                var tick = 0
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(1))
                    tick += 1
                    line.update(stats.line(), tick: tick)
                }
            }
            group.addTask {
                try await waitForTerminationSignal()
                throw CancellationError()
            }
            // The host finishing (or a signal) ends the demo.
            do {
                try await group.next()
            } catch is CancellationError {}
            group.cancelAll()
        }
        print("\n" + stats.line(final: true))
        await server.stop()
    }
}

/// The demo listeners' reports, merged for one status line.
final class DemoStats: Sendable {
    private struct State {
        var reports: [Int: ListenReport] = [:]
        var lastFrames = 0
        var lastTime = ContinuousClock.now
    }

    private let state = NIOLockedValueBox(State())

    func update(_ index: Int, _ report: ListenReport) {
        self.state.withLockedValue { $0.reports[index] = report }
    }

    /// The status line; the final one gives totals instead of a rate.
    func line(final: Bool = false) -> String {
        self.state.withLockedValue { state in
            var latency = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
            var frames = 0
            var lost = 0
            var listeners = 0
            for report in state.reports.values {
                latency.add(report.latencyMicros)
                frames += report.sequence.received
                lost += report.sequence.lost
                listeners = max(listeners, report.listeners)
            }
            let now = ContinuousClock.now
            let elapsed = Double((now - state.lastTime).components.seconds) + Double((now - state.lastTime).components.attoseconds) / 1e18
            let rate = elapsed > 0 ? Double(frames - state.lastFrames) / elapsed : 0
            state.lastFrames = frames
            state.lastTime = now
            let p50 = latency.totalCount > 0 ? Double(latency.valueAtPercentile(50)) / 1000 : 0
            let p99 = latency.totalCount > 0 ? Double(latency.valueAtPercentile(99)) / 1000 : 0
            let flow = final ? "frames \(frames)" : "frames/s \(Int(rate.rounded()))"
            return "listeners \(listeners)  \(flow)  lost \(lost)  latency p50 \(String(format: "%.1f", p50)) ms  p99 \(String(format: "%.1f", p99)) ms"
        }
    }
}
