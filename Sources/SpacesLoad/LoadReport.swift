import Histogram

/// What a load run saw, from one worker or merged from several.
///
/// Every field merges by addition, so workers' reports combine into the run's; durations are
/// in microseconds.
public struct LoadReport: Codable, Sendable {
    /// One second of the run.
    public struct Second: Codable, Sendable, Equatable {
        /// Seconds since the run started.
        public var second: Int
        /// Listeners admitted (in the fan-out) at the end of the second.
        public var connected = 0
        /// Connections in a waiting room at the end of the second.
        public var waiting = 0
        public var admitted = 0
        public var waitingAnswers = 0
        public var refused = 0
        public var failed = 0
        public var framesReceived = 0
        public var framesLost = 0
        public var latency = LatencyBuckets()

        public init(second: Int) { self.second = second }

        public mutating func merge(_ other: Second) {
            self.connected += other.connected
            self.waiting += other.waiting
            self.admitted += other.admitted
            self.waitingAnswers += other.waitingAnswers
            self.refused += other.refused
            self.failed += other.failed
            self.framesReceived += other.framesReceived
            self.framesLost += other.framesLost
            self.latency.merge(other.latency)
        }
    }

    public var workers = 1
    /// Simulated listeners started.
    public var listeners = 0
    /// Time from TCP connect to the HTTP 101 (or refusal).
    public var connectMicros = LoadReport.histogram()
    /// Time from the start of a join to its `welcome` (including any time waiting).
    public var welcomeMicros = LoadReport.histogram()
    /// Time from the start of a join to its first answer: `welcome`, `waiting` or an HTTP refusal.
    public var answerMicros = LoadReport.histogram()
    /// Time spent in a waiting room by those admitted from one.
    public var waitedMicros = LoadReport.histogram()
    /// Audio latency: arrival minus `captureTimeMicros`.
    public var latencyMicros = LoadReport.histogram()

    /// Joins that got an answer: `welcome`, `waiting` or an HTTP refusal (one per attempt).
    public var answered = 0
    public var admitted = 0
    public var admittedFromWaiting = 0
    public var resumed = 0
    /// Connections lost without a close frame (or with 1001/1011) that went to
    /// `GET /v1/spaces/{id}` for another node.
    public var failovers = 0
    /// Per node (`host:port`), in a run over several.
    public var nodes: [String: NodeTally] = [:]
    public var waitingAnswers = 0
    /// `waiting` events whose position was lower than a later one for the same connection.
    public var positionsWentBack = 0
    /// Pairs admitted out of the order of their first reported positions (same Space, same worker).
    public var admittedOutOfOrder = 0
    public var framesReceived = 0
    public var framesLost = 0
    public var gaps = 0
    public var outOfOrderBatches = 0
    public var bytesReceived = 0
    /// Conversation messages sent, by type (`ask`, `upvote`, `react`).
    public var conversationSent: [String: Int] = [:]
    /// Their acknowledgements (`asked`, `upvoted`) and refusals (`error:<code>`).
    public var conversationAnswers: [String: Int] = [:]
    /// `questions` updates received, all listeners together.
    public var questionUpdates = 0
    /// `reactions` updates received, all listeners together.
    public var reactionUpdates = 0
    /// HTTP refusals by status (as strings, for JSON).
    public var httpRefusals: [String: Int] = [:]
    /// WebSocket closes by code; "none" for a connection that ended without a close frame.
    public var closeCodes: [String: Int] = [:]
    /// Connection failures by kind (refused, timeout, reset, …).
    public var failures: [String: Int] = [:]
    public var timeline: [Second] = []
    /// Wall-clock duration of the run, in seconds.
    public var durationSeconds = 0.0
    /// Selected server metrics before and after the run (name → value).
    public var serverBefore: [String: Double] = [:]
    public var serverAfter: [String: Double] = [:]

    public init() {}

    static func histogram() -> Histogram<UInt64> {
        Histogram<UInt64>(highestTrackableValue: 600_000_000, numberOfSignificantValueDigits: .two)
    }

    /// Share of frames lost, 0…1.
    public var lossRatio: Double {
        let total = self.framesReceived + self.framesLost
        return total == 0 ? 0 : Double(self.framesLost) / Double(total)
    }

    /// Adds another worker's report into this one.
    public mutating func merge(_ other: LoadReport) {
        self.workers += other.workers
        self.listeners += other.listeners
        self.connectMicros.add(other.connectMicros)
        self.welcomeMicros.add(other.welcomeMicros)
        self.answerMicros.add(other.answerMicros)
        self.waitedMicros.add(other.waitedMicros)
        self.latencyMicros.add(other.latencyMicros)
        self.answered += other.answered
        self.admitted += other.admitted
        self.admittedFromWaiting += other.admittedFromWaiting
        self.resumed += other.resumed
        self.failovers += other.failovers
        self.nodes.merge(other.nodes) { mine, theirs in
            var merged = mine
            merged.merge(theirs)
            return merged
        }
        self.waitingAnswers += other.waitingAnswers
        self.positionsWentBack += other.positionsWentBack
        self.admittedOutOfOrder += other.admittedOutOfOrder
        self.framesReceived += other.framesReceived
        self.framesLost += other.framesLost
        self.gaps += other.gaps
        self.outOfOrderBatches += other.outOfOrderBatches
        self.bytesReceived += other.bytesReceived
        self.conversationSent.merge(other.conversationSent, uniquingKeysWith: +)
        self.conversationAnswers.merge(other.conversationAnswers, uniquingKeysWith: +)
        self.questionUpdates += other.questionUpdates
        self.reactionUpdates += other.reactionUpdates
        self.httpRefusals.merge(other.httpRefusals, uniquingKeysWith: +)
        self.closeCodes.merge(other.closeCodes, uniquingKeysWith: +)
        self.failures.merge(other.failures, uniquingKeysWith: +)
        var seconds = Dictionary(uniqueKeysWithValues: self.timeline.map { ($0.second, $0) })
        for second in other.timeline {
            seconds[second.second, default: Second(second: second.second)].merge(second)
        }
        self.timeline = seconds.values.sorted { $0.second < $1.second }
        self.durationSeconds = max(self.durationSeconds, other.durationSeconds)
        // Server metrics are read once by the coordinator, not per worker.
        if self.serverBefore.isEmpty { self.serverBefore = other.serverBefore }
        if self.serverAfter.isEmpty { self.serverAfter = other.serverAfter }
    }
}
