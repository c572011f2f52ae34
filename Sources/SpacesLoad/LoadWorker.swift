import NIOCore
import NIOPosix
import SpacesClient
import Synchronization

/// Runs one worker's share of a plan's listeners, in this process, and reports.
public struct LoadWorker: Sendable {
    /// A live view, once a second.
    public struct Progress: Sendable, Codable, Equatable {
        public var second: Int
        public var started: Int
        public var connected: Int
        public var waiting: Int
        public var admittedLastSecond: Int
        public var refusedLastSecond: Int
        public var p99LatencyMicros: UInt64
        public var framesReceived: Int
        public var framesLost: Int

        public init(second: Int = 0) {
            self.second = second
            self.started = 0
            self.connected = 0
            self.waiting = 0
            self.admittedLastSecond = 0
            self.refusedLastSecond = 0
            self.p99LatencyMicros = 0
            self.framesReceived = 0
            self.framesLost = 0
        }

        /// Sums workers' progress of the same second.
        public mutating func merge(_ other: Progress) {
            self.started += other.started
            self.connected += other.connected
            self.waiting += other.waiting
            self.admittedLastSecond += other.admittedLastSecond
            self.refusedLastSecond += other.refusedLastSecond
            self.p99LatencyMicros = max(self.p99LatencyMicros, other.p99LatencyMicros)
            self.framesReceived += other.framesReceived
            self.framesLost += other.framesLost
        }
    }

    public let plan: LoadPlan
    public let worker: Int
    public let workers: Int
    public let group: any EventLoopGroup

    public init(plan: LoadPlan, worker: Int = 0, workers: Int = 1, group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton) {
        self.plan = plan
        self.worker = worker
        self.workers = workers
        self.group = group
    }

    /// Runs the plan's listeners of this worker until the run's end, then closes them and
    /// returns the merged report. `progress` is called about once a second.
    public func run(progress: @escaping @Sendable (Progress) -> Void = { _ in }) async throws -> LoadReport {
        let urls = try self.plan.listenURLs.map { try ServerURL($0) }
        precondition(!urls.isEmpty, "a plan needs a listen URL")
        let loops = Array(self.group.makeIterator())
        let start = NIODeadline.now() + .milliseconds(100)
        let deadline = start + .nanoseconds(Int64(self.plan.durationSeconds * 1e9))
        let recorders = try await withThrowingTaskGroup(of: NIOLoopBound<LoopRecorder>.self) { group in
            for loop in loops {
                group.addTask {
                    try await loop.submit { NIOLoopBound(LoopRecorder(eventLoop: loop, start: start), eventLoop: loop) }.get()
                }
            }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let started = Atomic<Int>(0)
        // Schedule every start on its loop, in arrival order.
        for (position, index) in self.plan.indices(worker: self.worker, of: self.workers).enumerated() {
            let recorder = recorders[position % recorders.count]
            let url = urls[index % urls.count]
            let sources = self.plan.sourceAddresses
            let source = sources.isEmpty ? nil : sources[(index / max(1, urls.count)) % sources.count]
            let plan = self.plan
            let at = start + .nanoseconds(Int64(self.plan.startOffset(of: index) * 1e9))
            recorder.eventLoop.scheduleTask(deadline: at) {
                let listener = SimulatedListener(
                    index: index, plan: plan, recorder: recorder.value, url: url, sourceAddress: source, deadline: deadline
                )
                started.add(1, ordering: .relaxed)
                listener.start()
            }
        }
        // Sample every second until the end, then give closes a moment.
        var previous = LoadWorker.Progress()
        while NIODeadline.now() < deadline + .seconds(2) {
            try await Task.sleep(for: .seconds(1))
            var snapshot = Progress(second: Int((NIODeadline.now() - start).nanoseconds / 1_000_000_000))
            snapshot.started = started.load(ordering: .relaxed)
            for recorder in recorders {
                let part = try await recorder.eventLoop.submit { () -> Progress in
                    let recorder = recorder.value
                    recorder.sample()
                    var part = Progress()
                    part.connected = recorder.connected
                    part.waiting = recorder.waiting
                    part.admittedLastSecond = recorder.report.admitted
                    part.refusedLastSecond = recorder.report.httpRefusals.values.reduce(0, +)
                    part.framesReceived = recorder.report.framesReceived
                    part.framesLost = recorder.report.framesLost
                    let last = recorder.report.timeline.dropLast().last
                    part.p99LatencyMicros = last?.latency.percentile(99) ?? 0
                    return part
                }.get()
                snapshot.merge(part)
            }
            let cumulative = snapshot
            snapshot.admittedLastSecond -= previous.admittedLastSecond
            snapshot.refusedLastSecond -= previous.refusedLastSecond
            previous = cumulative
            progress(snapshot)
        }
        var report = LoadReport()
        report.workers = 0
        for recorder in recorders {
            let part = try await recorder.eventLoop.submit { recorder.value.finish() }.get()
            report.merge(part)
        }
        report.workers = 1
        report.durationSeconds = self.plan.durationSeconds
        return report
    }
}
