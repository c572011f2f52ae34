// Handshakes: listener handshakes per second on an idle node, and while a saturating broadcast
// runs; the second must stay above half of the first. The real `spaces serve` runs as a child
// pinned to one core, this process on the other. See SCENARIOS.md.

#if canImport(Glibc)
import Glibc
#endif
import Foundation
import NIOCore
import ScenarioSupport
import SpacesClient
import SpacesCore

@main
enum Handshakes {
    static let usage = """
        Usage: Handshakes [--listeners N] [--seconds S] [--concurrency C] [--writes-per-second-per-core W]
                          [--spaces PATH] [--node-cpu 0] [--cpu 1] [--json PATH]

        Starts `spaces serve` (one event loop, pinned with taskset), creates a Space and measures
        listener handshakes (connect, upgrade, welcome, clean close; C at a time) for S seconds
        idle, then again while N listeners receive a host's 20 ms frames. PASS when the second
        rate is above half of the first; exits 2 on FAIL.

          --listeners       listeners of the broadcast, default 4000
          --seconds         length of each probe window, default 10
          --concurrency     handshakes under way at once, default 8
          --writes-per-second-per-core
                            the node's relay.writesPerSecondPerCore, default 1000000 (one frame per
                            write: the fan-out needs more than the core); 30000 is the node's default
          --spaces          the spaces executable, default ../.build/release/spaces from Bench
          --node-cpu        core for the node, default 0
          --cpu             core for this process, default 1
          --json            where to write the figures, default Bench/results/Handshakes.json
        """

    struct Phase: Codable {
        var name: String
        var seconds: Double
        var handshakes: Int
        var handshakesPerSecond: Double
        var failures: Int
        /// Welcomes after the window's end (counted in the latencies, not in the rate).
        var lateWelcomes: Int
        /// Probes that had no welcome 15 s after the window's end.
        var unfinished: Int
        var welcomeP50Ms: Double
        var welcomeMaxMs: Double
        var welcomeP99Ms: Double
        var nodeCPUPercent: Double
        var benchCPUPercent: Double
        var listeners: Int
        var framesPublishedPerSecond: Double
        var framesDeliveredPerSecond: Double
        /// Delivered ÷ (published × listeners): what share of the audio reached the listeners.
        var deliveredShare: Double?
        /// WebSocket messages the listeners received per second: the node's audio writes that
        /// reached them.
        var messagesDeliveredPerSecond: Double
        /// Frames per message (the node's adaptive batching at work).
        var framesPerMessage: Double?
    }

    struct Report: Codable {
        var benchmark = "Handshakes"
        var date: String
        var command: String
        var nodeEventLoops = 1
        var nodeWritesPerSecondPerCore: Int
        var nodeJoinsPerSecond: Int
        var concurrency: Int
        var baseline: String
        var ratio: Double
        var objective = "broadcast handshakes/s > 0.5 × idle handshakes/s"
        var pass: Bool
        var phases: [Phase]
    }

    static func main() async {
        let options = Options(
            known: ["listeners", "seconds", "concurrency", "writes-per-second-per-core", "spaces", "node-cpu", "cpu", "json", "frame-bytes"],
            usage: usage
        )
        let listeners = options.int("listeners", default: 4_000)
        let seconds = options.double("seconds", default: 10)
        let concurrency = options.int("concurrency", default: 8)
        let writesPerSecond = options.int("writes-per-second-per-core", default: 1_000_000)
        let executable = options.string("spaces", default: BenchPackage.releaseProduct("spaces"))
        let nodeCPU = options.int("node-cpu", default: 0)
        let cpu = options.int("cpu", default: 1)
        let frameBytes = options.int("frame-bytes", default: 80)
        let jsonPath = options.string("json", default: ResultFile.defaultPath(name: "Handshakes"))
        guard listeners > 0, listeners <= 15_000, seconds > 0, concurrency > 0 else {
            Options.fail("listeners within 1…15000 (one process holds at most 20,000 files), seconds and concurrency positive")
        }
        guard CPUAffinity.pinProcess(to: cpu) else { Options.fail("cannot pin this process to core \(cpu)") }

        let joinsPerSecond = 1_000_000
        let node: SpacesNode
        do {
            node = try SpacesNode.start(
                executable: executable, cpu: nodeCPU, hostKey: "handshakes-bench",
                environment: [
                    // Admission's join rate (2,000/s by default) would send fast probes to the
                    // waiting room: this measures handshakes, not the rate limit.
                    "SPACES_ADMISSION_JOINS_PER_SECOND": String(joinsPerSecond),
                    "SPACES_ADMISSION_JOIN_BURST": String(joinsPerSecond),
                    "SPACES_RELAY_WRITES_PER_SECOND_PER_CORE": String(writesPerSecond),
                    "SPACES_SERVER_SHUTDOWN_GRACE_SECONDS": "2",
                ]
            )
        } catch {
            printError("Handshakes: FAILED: \(error)")
            exit(1)
        }
        signal(SIGPIPE, SIG_IGN)
        // Ctrl-C or a kill stops the node too: it must not outlive the run, pinned to its core.
        let stopSignals = [SIGINT, SIGTERM].map { number in
            signal(number, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: number, queue: .global())
            source.setEventHandler {
                node.stop(seconds: 3)
                exit(130)
            }
            source.resume()
            return source
        }
        defer { stopSignals.forEach { $0.cancel() } }
        do {
            let report = try await self.measure(
                node: node, listeners: listeners, seconds: seconds, concurrency: concurrency, frameBytes: frameBytes,
                writesPerSecond: writesPerSecond, joinsPerSecond: joinsPerSecond
            )
            node.stop()
            try ResultFile.write(report, to: jsonPath)
            printError("figures written to \(jsonPath)")
            exit(report.pass ? 0 : 2)
        } catch {
            node.stop()
            printError("Handshakes: FAILED: \(error)")
            exit(1)
        }
    }

    struct Failure: Error, CustomStringConvertible {
        var description: String
    }

    static func measure(
        node: SpacesNode, listeners: Int, seconds: Double, concurrency: Int, frameBytes: Int, writesPerSecond: Int, joinsPerSecond: Int
    ) async throws -> Report {
        let api = try SpacesAPIClient(server: node.base)
        let space = try await api.createSpace(CreateSpaceRequest(title: "Handshakes", capacity: 100_000), hostKey: "handshakes-bench")
        let listenURL = try ServerURL("ws://127.0.0.1:\(node.port)/v1/spaces/\(space.id)/listen")
        // Probes and listeners use different source addresses, so their ports never meet.
        let probe = HandshakeProbe(url: listenURL, sources: ["127.0.0.1", "127.0.0.5", "127.0.0.6", "127.0.0.7"], concurrency: concurrency)
        printError("Handshakes: node pid \(node.pid) on port \(node.port), one event loop; \(concurrency) handshakes at a time, \(fixed(seconds, 0)) s per phase")

        // Phase A: idle.
        var window = Window(node: node)
        let idle = await probe.run(seconds: seconds)
        if let exit = node.exitDescription { throw Failure(description: exit) }
        var phases = [window.close(name: "idle", probe: idle, listeners: 0)]
        printError("  idle       \(fixed(idle.handshakesPerSecond, 0)) handshakes/s")

        // Phase B: a broadcast that needs more than the node's core.
        let audience = Audience()
        let publisher = Publisher()
        do {
            try await audience.join(count: listeners, port: node.port, target: listenURL.target, sources: ["127.0.0.2", "127.0.0.3", "127.0.0.4"])
            let deadline = ContinuousClock.now + .seconds(60)
            while audience.joined.load(ordering: .relaxed) + audience.refused.load(ordering: .relaxed) < listeners && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(50))
            }
            guard audience.joined.load(ordering: .relaxed) == listeners else {
                throw Failure(description: "\(audience.joined.load(ordering: .relaxed)) of \(listeners) listeners were welcomed (\(audience.refused.load(ordering: .relaxed)) refused)")
            }
            try await publisher.start(
                url: try ServerURL("ws://127.0.0.1:\(node.port)/v1/spaces/\(space.id)/publish"), hostToken: space.hostToken, frameBytes: frameBytes
            )
            try await Task.sleep(for: .seconds(2))
            window = Window(node: node, audience: audience, publisher: publisher)
            let busy = await probe.run(seconds: seconds)
            if let exit = node.exitDescription { throw Failure(description: exit) }
            let phase = window.close(name: "broadcast", probe: busy, listeners: listeners)
            phases.append(phase)
            printError("  broadcast  \(fixed(busy.handshakesPerSecond, 1)) handshakes/s")
        } catch {
            await publisher.stop()
            await audience.leave()
            await probe.shutdown()
            throw error
        }
        await publisher.stop()
        await audience.leave()
        await probe.shutdown()

        let ratio = phases[1].handshakesPerSecond / phases[0].handshakesPerSecond
        let pass = ratio > 0.5
        print(
            "Handshakes: \(pass ? "PASS" : "FAIL") — \(fixed(phases[0].handshakesPerSecond, 0))/s idle, \(fixed(phases[1].handshakesPerSecond, 1))/s while \(grouped(listeners)) listeners receive \(grouped(Int(phases[1].framesDeliveredPerSecond))) frames/s (ratio \(fixed(ratio, 3)), must stay above 0.5); node CPU \(fixed(phases[1].nodeCPUPercent, 0)) % of its core"
        )
        var table = TextTable(["phase", "handshakes/s", "welcome p50 ms", "p99 ms", "max ms", "late", "failures", "node CPU %", "bench CPU %", "listeners", "frames delivered/s", "share delivered", "frames/message"])
        for phase in phases {
            table.add([
                phase.name, fixed(phase.handshakesPerSecond, 1), fixed(phase.welcomeP50Ms, 1), fixed(phase.welcomeP99Ms, 1), fixed(phase.welcomeMaxMs, 0), String(phase.lateWelcomes), String(phase.failures + phase.unfinished),
                fixed(phase.nodeCPUPercent, 0), fixed(phase.benchCPUPercent, 0), grouped(phase.listeners), grouped(Int(phase.framesDeliveredPerSecond)),
                phase.deliveredShare.map { fixed($0 * 100, 1) + " %" } ?? "–", phase.framesPerMessage.map { fixed($0, 2) } ?? "–",
            ])
        }
        print(table.rendered)
        return Report(
            date: ResultFile.today, command: ResultFile.commandLine, nodeWritesPerSecondPerCore: writesPerSecond, nodeJoinsPerSecond: joinsPerSecond,
            concurrency: concurrency, baseline: "the idle phase of the same run, same node, same probe", ratio: ratio, pass: pass, phases: phases
        )
    }

    /// CPU and counters at the start of a probe window.
    struct Window {
        let node: SpacesNode
        let audience: Audience?
        let publisher: Publisher?
        let wall = CPUClock.wall()
        let benchCPU = CPUClock.process()
        let nodeCPU: Double
        let delivered: Int
        let messages: Int
        let published: Int

        init(node: SpacesNode, audience: Audience? = nil, publisher: Publisher? = nil) {
            self.node = node
            self.audience = audience
            self.publisher = publisher
            self.nodeCPU = node.cpuSeconds()
            self.delivered = audience?.audioFrames.load(ordering: .relaxed) ?? 0
            self.messages = audience?.messages.load(ordering: .relaxed) ?? 0
            self.published = publisher?.sent.load(ordering: .relaxed) ?? 0
        }

        func close(name: String, probe: HandshakeProbe.Result, listeners: Int) -> Phase {
            let elapsed = Double(CPUClock.wall() - self.wall) / 1e9
            let delivered = Double((self.audience?.audioFrames.load(ordering: .relaxed) ?? 0) - self.delivered)
            let messages = Double((self.audience?.messages.load(ordering: .relaxed) ?? 0) - self.messages)
            let published = Double((self.publisher?.sent.load(ordering: .relaxed) ?? 0) - self.published)
            return Phase(
                name: name, seconds: probe.seconds, handshakes: probe.handshakes, handshakesPerSecond: probe.handshakesPerSecond,
                failures: probe.failures, lateWelcomes: probe.late, unfinished: probe.unfinished,
                welcomeP50Ms: percentile(probe.latencies, 50), welcomeMaxMs: probe.latencies.max() ?? 0, welcomeP99Ms: percentile(probe.latencies, 99),
                nodeCPUPercent: (self.node.cpuSeconds() - self.nodeCPU) / elapsed * 100,
                benchCPUPercent: Double(CPUClock.process() - self.benchCPU) / 1e9 / elapsed * 100,
                listeners: listeners, framesPublishedPerSecond: published / elapsed, framesDeliveredPerSecond: delivered / elapsed,
                deliveredShare: listeners > 0 && published > 0 ? delivered / (published * Double(listeners)) : nil,
                messagesDeliveredPerSecond: messages / elapsed, framesPerMessage: messages > 0 ? delivered / messages : nil
            )
        }
    }

}
