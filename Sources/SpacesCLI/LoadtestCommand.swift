import ArgumentParser
import Foundation
import NIOCore
import NIOPosix
import SpacesClient
import SpacesCore
import SpacesLoad

struct LoadtestCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "loadtest",
        abstract: "Rehearse an event: simulated listeners join a Space and report what the node did.",
        discussion: """
            Without --space, a Space is created (with --host-key) and fed a tone for the run, then ended.
            Examples:
              spaces loadtest --server http://127.0.0.1:8080 --host-key KEY --listeners 15000 --join-rate 1000 --duration 60
              spaces loadtest ... --storm 20000:30 --capacity 2000 --slow 0.2 --slo "p99-latency=1s,loss=0.1%,join-p99=2s"
            """
    )

    @Option(name: .customLong("server"), help: "Base URL of a node; repeat for several nodes (one node of a cluster is enough: the others are found through it).")
    var servers: [String] = ["http://127.0.0.1:8080"]

    @Flag(name: .customLong("no-discover"), help: "With one --server in a cluster, load that node only.")
    var noDiscover = false

    @Option(name: .customLong("host-key"), help: "Host key, to create the Space (or SPACES_HOST_KEY).")
    var hostKey: String?

    @Option(help: "Join this existing Space instead of creating one.")
    var space: String?

    @Option(help: "Capacity of the Space created for the run.")
    var capacity: Int?

    @Option(help: "Simulated listeners.")
    var listeners = 1000

    @Option(name: .customLong("join-rate"), help: "Joins per second (a steady ramp).")
    var joinRate = 500.0

    @Option(help: "A storm instead of a ramp: N joins in S seconds, as N:S.")
    var storm: String?

    @Option(help: "Length of the run in seconds, from the first join.")
    var duration = 30.0

    @Option(help: "Share of listeners reading below the audio rate (0…1).")
    var slow = 0.0

    @Option(help: "Share of listeners that stop reading once admitted (0…1).")
    var stall = 0.0

    @Option(help: "Share of listeners that drop once and come back with ?resume= (0…1).")
    var churn = 0.0

    @Option(name: .customLong("questions-per-second"), help: "Questions asked per second by the whole audience (askers).")
    var questionsPerSecond = 0.0

    @Option(name: .customLong("upvotes-per-second"), help: "Upvotes per second by the whole audience (upvoters).")
    var upvotesPerSecond = 0.0

    @Option(name: .customLong("reactions-per-second"), help: "Reactions per second by the whole audience.")
    var reactionsPerSecond = 0.0

    @Flag(name: .customLong("no-retry"), help: "Do not come back with the ticket after a 503.")
    var noRetry = false

    @Option(help: "Worker processes (default: one per 7,500 listeners, at least one).")
    var workers: Int?

    @Option(help: "Comma-separated local source addresses (default on loopback: 127.0.0.1 … 127.0.0.4).")
    var sources: String?

    @Option(help: "Service-level objectives; the exit code says whether the run met them, e.g. \"p99-latency=1s,loss=0.1%,join-p99=2s\".")
    var slo: String?

    @Option(help: "Write the JSON report here.")
    var json: String?

    @Option(help: "Write the HTML report (with charts) here.")
    var html: String?

    // Worker mode, used by the coordinator.
    @Option(name: .customLong("worker-index"), help: .hidden) var workerIndex: Int?
    @Option(name: .customLong("worker-count"), help: .hidden) var workerCount: Int?
    @Option(name: .customLong("plan-file"), help: .hidden) var planFile: String?
    @Option(name: .customLong("report-file"), help: .hidden) var reportFile: String?

    func validate() throws {
        for share in [self.slow, self.stall, self.churn] where !(0...1).contains(share) {
            throw ValidationError("--slow, --stall and --churn are shares within 0…1")
        }
        if self.slow + self.stall + self.churn > 1 { throw ValidationError("--slow + --stall + --churn must not exceed 1") }
        if self.listeners < 1 { throw ValidationError("--listeners must be at least 1") }
        if self.duration <= 0 { throw ValidationError("--duration must be positive") }
        if self.joinRate <= 0 { throw ValidationError("--join-rate must be positive") }
        if let storm, Self.parseStorm(storm) == nil { throw ValidationError("--storm takes N:S, e.g. 20000:30") }
        if let slo { _ = try ServiceLevelObjective.parseList(slo) }
    }

    static func parseStorm(_ text: String) -> (count: Int, seconds: Double)? {
        let parts = text.split(separator: ":")
        guard parts.count == 2, let count = Int(parts[0]), let seconds = Double(parts[1]), count > 0, seconds > 0 else { return nil }
        return (count, seconds)
    }

    func run() async throws {
        lineBufferedOutput()
        if let workerIndex, let workerCount, let planFile, let reportFile {
            try await Self.runWorker(index: workerIndex, count: workerCount, planFile: planFile, reportFile: reportFile)
            return
        }
        let objectives = try self.slo.map { try ServiceLevelObjective.parseList($0) } ?? []
        var listeners = self.listeners
        var rate = self.joinRate
        if let storm = self.storm.flatMap(Self.parseStorm) {
            listeners = storm.count
            rate = Double(storm.count) / storm.seconds
        }

        // The Space: given, or created and fed a tone for the run.
        var hosting: Task<Void, any Error>?
        let spaceID: String
        if let space = self.space {
            spaceID = space
        } else {
            let key = try ClientOptions.hostKey(self.hostKey)
            let created = AsyncStream.makeStream(of: CreateSpaceResponse.self)
            let streamer = HostStreamer(
                api: try SpacesAPIClient(server: self.servers[0]), hostKey: key, title: "Load test",
                capacity: self.capacity, framesPerBatch: 1
            )
            let seconds = self.duration + 10
            hosting = Task {
                _ = try await streamer.run(
                    source: { try EncodingPacketSource(pcm: TonePCMSource(frequency: 440, seconds: seconds), bitrate: 32_000) },
                    onCreated: { space, _ in
                        created.continuation.yield(space)
                        created.continuation.finish()
                    }
                )
            }
            guard let space = await created.stream.first(where: { _ in true }) else {
                try await hosting?.value
                throw ValidationError("the Space could not be created")
            }
            spaceID = space.id
        }

        let servers = await self.nodes(spaceID: spaceID)
        var plan = LoadPlan(
            listenURLs: try servers.map { try ServerURL($0).with(target: "/v1/spaces/\(spaceID)/listen").description },
            listeners: listeners, joinsPerSecond: rate, durationSeconds: self.duration
        )
        plan.slowShare = self.slow
        plan.stallShare = self.stall
        plan.churnShare = self.churn
        plan.honorRetry = !self.noRetry
        plan.questionsPerSecond = self.questionsPerSecond
        plan.upvotesPerSecond = self.upvotesPerSecond
        plan.reactionsPerSecond = self.reactionsPerSecond
        plan.sourceAddresses = try self.sourceAddresses()
        let workers = self.workers ?? max(1, (listeners + 7_499) / 7_500)
        let coordinator = LoadCoordinator(
            plan: plan, workers: workers, executable: Self.executablePath(), servers: servers
        )
        print("load test: \(listeners) listeners at \(String(format: "%.0f", rate))/s for \(Int(self.duration)) s over \(workers) worker(s), Space \(spaceID)")
        let line = LiveLine(plainEvery: 5)
        let report = try await coordinator.run { progress in
            line.update(Self.progressLine(progress), tick: progress.second)
        }
        line.finish()
        hosting?.cancel()
        _ = try? await hosting?.value

        let verdicts = objectives.evaluate(report)
        print(SummaryTable.render(report, verdicts: verdicts))
        let command = CommandLine.arguments.joined(separator: " ")
        if let json = self.json {
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
            try encoder.encode(LoadReportFile(report)).write(to: URL(fileURLWithPath: json))
            print("JSON report: \(json)")
        }
        if let html = self.html {
            try HTMLReport.render(report, verdicts: verdicts, title: "Spaces load test", command: command)
                .write(toFile: html, atomically: true, encoding: .utf8)
            print("HTML report: \(html)")
        }
        if verdicts.contains(where: { !$0.passed }) { throw ExitCode(2) }
    }

    static func progressLine(_ p: LoadWorker.Progress) -> String {
        let total = p.framesReceived + p.framesLost
        let loss = total == 0 ? 0 : Double(p.framesLost) * 100 / Double(total)
        return "t=\(p.second)s started \(p.started)  connected \(p.connected)  waiting \(p.waiting)  admitted/s \(p.admittedLastSecond)  refused/s \(p.refusedLastSecond)  p99 \(String(format: "%.0f", Double(p.p99LatencyMicros) / 1000)) ms  loss \(String(format: "%.3f", loss))%"
    }

    /// The nodes to load: those given, or, from one node of a cluster, every live node it
    /// names (`nodes` of `GET /v1/spaces/{id}`).
    private func nodes(spaceID: String) async -> [String] {
        guard self.servers.count == 1, !self.noDiscover, let api = try? SpacesAPIClient(server: self.servers[0]),
            let nodes = try? await api.space(id: spaceID).nodes, nodes.count > 1
        else { return self.servers }
        let found = nodes.compactMap { try? ServerURL($0).httpDescription }.map { $0.hasSuffix("/") ? String($0.dropLast()) : $0 }
        print("cluster: \(found.count) nodes found through \(self.servers[0]): \(found.joined(separator: " "))")
        return found
    }

    private func sourceAddresses() throws -> [String] {
        if let sources = self.sources { return sources.split(separator: ",").map(String.init) }
        let hosts = try self.servers.map { try ServerURL($0).host }
        guard hosts.allSatisfy({ $0.hasPrefix("127.") || $0 == "localhost" }) else { return [] }
        return (1...4).map { "127.0.0.\($0)" }
    }

    static func executablePath() -> String {
        let path = CommandLine.arguments[0]
        if path.contains("/") { return URL(fileURLWithPath: path).standardizedFileURL.path }
        return Bundle.main.executablePath ?? path
    }

    /// Worker mode: run a slice of the plan, print progress as JSON lines, write the report.
    static func runWorker(index: Int, count: Int, planFile: String, reportFile: String) async throws {
        let plan = try JSONDecoder().decode(LoadPlan.self, from: Data(contentsOf: URL(fileURLWithPath: planFile)))
        // The workers are processes already (for the open-file limit): more event loops than
        // this process's share of the cores only adds thread switches to every read.
        let group = MultiThreadedEventLoopGroup(numberOfThreads: max(1, System.coreCount / max(1, count)))
        let report = try await LoadWorker(plan: plan, worker: index, workers: count, group: group).run { progress in
            if let data = try? JSONEncoder().encode(progress) {
                print(String(decoding: data, as: UTF8.self))
                fflush(nil)
            }
        }
        try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: reportFile))
        try? await group.shutdownGracefully()
    }
}
