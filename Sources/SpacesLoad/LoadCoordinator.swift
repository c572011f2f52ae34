import Foundation
import NIOCore
import NIOPosix
import SpacesClient
import NIOConcurrencyHelpers

/// Runs a plan over several worker processes (each holds at most a few thousand sockets, well
/// under the per-process limit of open files) and merges their reports and progress.
public struct LoadCoordinator: Sendable {
    public let plan: LoadPlan
    public let workers: Int
    /// The `spaces` executable to start workers with.
    public let executable: String
    /// Base URLs of the nodes whose `/metrics` are read before and after.
    public let servers: [String]

    public init(plan: LoadPlan, workers: Int, executable: String, servers: [String]) {
        self.plan = plan
        self.workers = max(1, workers)
        self.executable = executable
        self.servers = servers
    }

    public enum Failure: Error, CustomStringConvertible {
        case worker(index: Int, status: Int32, output: String)
        public var description: String {
            switch self {
            case .worker(let index, let status, let output): "worker \(index) exited with \(status): \(output.suffix(500))"
            }
        }
    }

    public func run(progress: @escaping @Sendable (LoadWorker.Progress) -> Void) async throws -> LoadReport {
        let before = await self.serverMetrics()
        var report: LoadReport
        if self.workers == 1 {
            report = try await LoadWorker(plan: self.plan).run(progress: progress)
        } else {
            report = try await self.runProcesses(progress: progress)
        }
        report.serverBefore = before
        report.serverAfter = await self.serverMetrics()
        return report
    }

    private func runProcesses(progress: @escaping @Sendable (LoadWorker.Progress) -> Void) async throws -> LoadReport {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spaces-load-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let planFile = directory.appendingPathComponent("plan.json")
        try JSONEncoder().encode(self.plan).write(to: planFile)
        let board = ProgressBoard(workers: self.workers, sink: progress)
        let workers = self.workers
        let executable = self.executable
        let reports = try await withThrowingTaskGroup(of: (Int, LoadReport).self) { group in
            for index in 0..<workers {
                let reportFile = directory.appendingPathComponent("report-\(index).json")
                group.addTask {
                    let report = try await Self.runWorker(
                        executable: executable, planFile: planFile.path, reportFile: reportFile.path, index: index, of: workers,
                        board: board
                    )
                    return (index, report)
                }
            }
            return try await group.reduce(into: [:]) { $0[$1.0] = $1.1 }
        }
        var merged = LoadReport()
        merged.workers = 0
        for index in reports.keys.sorted() { merged.merge(reports[index]!) }
        return merged
    }

    private static func runWorker(
        executable: String, planFile: String, reportFile: String, index: Int, of count: Int, board: ProgressBoard
    ) async throws -> LoadReport {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = [
            "loadtest", "--worker-index", String(index), "--worker-count", String(count), "--plan-file", planFile,
            "--report-file", reportFile,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        let log = NIOLockedValueBox("")
        // Blocking reads get a thread of their own: on the cooperative pool (one thread when the
        // process is pinned to one core) they would starve every task, the host's among them.
        let reading = AsyncStream.makeStream(of: Void.self)
        let reader = Thread {
            var pending = Data()
            while true {
                let chunk = output.fileHandleForReading.availableData  // empty at end of file
                if chunk.isEmpty { break }
                pending.append(chunk)
                while let newline = pending.firstIndex(of: UInt8(ascii: "\n")) {
                    let line = pending[pending.startIndex..<newline]
                    pending.removeSubrange(pending.startIndex...newline)
                    if let snapshot = try? JSONDecoder().decode(LoadWorker.Progress.self, from: line) {
                        board.post(snapshot, from: index)
                    } else {
                        log.withLockedValue { $0 += String(decoding: line, as: UTF8.self) + "\n" }
                    }
                }
            }
            reading.continuation.finish()
        }
        try process.run()
        reader.start()
        for await _ in reading.stream {}
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            throw Failure.worker(index: index, status: process.terminationStatus, output: log.withLockedValue { $0 })
        }
        return try JSONDecoder().decode(LoadReport.self, from: Data(contentsOf: URL(fileURLWithPath: reportFile)))
    }

    /// The `spaces_*` metrics of every node, summed; empty where a node does not answer.
    public func serverMetrics() async -> [String: Double] {
        var parts: [[String: Double]] = []
        for server in self.servers {
            guard let url = try? ServerURL(server).with(target: "/metrics"),
                let response = try? await HTTPClient.request(.GET, url)
            else { continue }
            parts.append(PrometheusText.parse(response.text))
        }
        return PrometheusText.sum(parts)
    }
}

/// Merges the workers' progress lines of the same second and passes each second on once all
/// workers reported it.
final class ProgressBoard: Sendable {
    private let workers: Int
    private let sink: @Sendable (LoadWorker.Progress) -> Void
    private let seconds = NIOLockedValueBox<[Int: (count: Int, progress: LoadWorker.Progress)]>([:])

    init(workers: Int, sink: @escaping @Sendable (LoadWorker.Progress) -> Void) {
        self.workers = workers
        self.sink = sink
    }

    func post(_ snapshot: LoadWorker.Progress, from worker: Int) {
        let complete: LoadWorker.Progress? = self.seconds.withLockedValue { seconds in
            var entry = seconds[snapshot.second] ?? (0, LoadWorker.Progress(second: snapshot.second))
            entry.count += 1
            entry.progress.merge(snapshot)
            seconds[snapshot.second] = entry
            guard entry.count == self.workers else { return nil }
            seconds[snapshot.second] = nil
            return entry.progress
        }
        if let complete { self.sink(complete) }
    }
}
