/// What a load run does: who joins, how fast, for how long, and how they behave.
public struct LoadPlan: Codable, Sendable, Equatable {
    /// Listen URLs, one per node (`ws://node/v1/spaces/ID/listen`); listeners are spread over them.
    public var listenURLs: [String]
    /// Simulated listeners in the whole run (all workers).
    public var listeners: Int
    /// Joins started per second (a storm of N in S seconds is N/S).
    public var joinsPerSecond: Double
    /// Length of the run from the first join, in seconds.
    public var durationSeconds: Double
    /// Share of listeners that read below the audio rate.
    public var slowShare = 0.0
    /// Share that stop reading once admitted.
    public var stallShare = 0.0
    /// Share that drop their connection once and come back with `?resume=`.
    public var churnShare = 0.0
    /// Come back after a 503 with the ticket, after `Retry-After` (capped by the run's end).
    public var honorRetry = true
    /// Local addresses to bind, in turn (loopback: 127.0.0.1, 127.0.0.2, …).
    public var sourceAddresses: [String] = []
    /// Receive buffer of slow and stalled listeners, so the server sees them fall behind soon.
    public var slowReceiveBufferBytes = 4096
    /// Seed of the behaviour draw, so a run can be repeated.
    public var seed: UInt64 = 1
    /// Questions asked per second by the whole audience (admitted listeners, each at random
    /// times at an equal share of the rate), to rehearse the question traffic.
    public var questionsPerSecond = 0.0
    /// Upvotes per second by the whole audience, on questions this worker's askers asked.
    public var upvotesPerSecond = 0.0
    /// Reactions per second by the whole audience.
    public var reactionsPerSecond = 0.0

    public init(listenURLs: [String], listeners: Int, joinsPerSecond: Double, durationSeconds: Double) {
        self.listenURLs = listenURLs
        self.listeners = listeners
        self.joinsPerSecond = joinsPerSecond
        self.durationSeconds = durationSeconds
    }

    /// How one simulated listener behaves.
    public enum Behaviour: String, Codable, Sendable {
        case steady, slow, stall, churn
    }

    /// The behaviour of listener `index`, drawn from the shares with the plan's seed.
    public func behaviour(of index: Int) -> Behaviour {
        // A small deterministic hash: the same plan gives every listener the same part.
        var x = UInt64(index) &+ self.seed &* 0x9E37_79B9_7F4A_7C15
        x = (x ^ (x >> 30)) &* 0xBF58_476D_1CE4_E5B9
        x = (x ^ (x >> 27)) &* 0x94D0_49BB_1331_11EB
        x ^= x >> 31
        let draw = Double(x >> 11) / Double(1 << 53)
        if draw < self.slowShare { return .slow }
        if draw < self.slowShare + self.stallShare { return .stall }
        if draw < self.slowShare + self.stallShare + self.churnShare { return .churn }
        return .steady
    }

    /// Whether admitted listeners send conversation messages at all.
    public var talks: Bool { self.questionsPerSecond > 0 || self.upvotesPerSecond > 0 || self.reactionsPerSecond > 0 }

    /// When listener `index` starts joining, in seconds from the run's start.
    public func startOffset(of index: Int) -> Double {
        Double(index) / max(self.joinsPerSecond, 0.001)
    }

    /// The listener indices of worker `worker` of `count`: interleaved, so every worker follows
    /// the same arrival curve.
    public func indices(worker: Int, of count: Int) -> StrideTo<Int> {
        stride(from: worker, to: self.listeners, by: max(count, 1))
    }
}
