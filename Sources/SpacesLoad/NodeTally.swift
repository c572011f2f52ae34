/// What the simulated listeners saw of one node of a cluster (keyed by `host:port`).
public struct NodeTally: Codable, Sendable, Equatable {
    /// Admissions on this node (resumes after a failover included).
    public var admitted = 0
    /// Listeners admitted here and still connected at the end of the run.
    public var connectedAtEnd = 0
    public var framesReceived = 0
    public var framesLost = 0
    public var latency = LatencyBuckets()

    public init() {}

    public mutating func merge(_ other: NodeTally) {
        self.admitted += other.admitted
        self.connectedAtEnd += other.connectedAtEnd
        self.framesReceived += other.framesReceived
        self.framesLost += other.framesLost
        self.latency.merge(other.latency)
    }

    /// Share of frames lost here, 0…1.
    public var lossRatio: Double {
        let total = self.framesReceived + self.framesLost
        return total == 0 ? 0 : Double(self.framesLost) / Double(total)
    }
}
