import Histogram
import SpacesCore

/// What one listener saw: frames, gaps and latency, and how it ended.
public struct ListenReport: Sendable {
    public var welcome: ServerEvent.Welcome?
    public var sequence = SequenceTracker()
    /// Batches received.
    public var batches = 0
    /// Audio latency in µs: arrival time minus `captureTimeMicros` (needs synchronised clocks).
    public var latencyMicros = Histogram<UInt64>(highestTrackableValue: 60_000_000, numberOfSignificantValueDigits: .three)
    /// The last listener count announced.
    public var listeners = 0
    public var stateEvents = 0
    /// The latest question queue seen.
    public var questions: ServerEvent.Questions?
    public var errors: [ServerEvent.ErrorEvent] = []
    public var ended: ServerEvent.Ended?
    /// `waiting` events received, in order (the last is the latest position).
    public var waiting: [ServerEvent.Waiting] = []
    /// The line had no place after all; the ticket keeps the place for a retry.
    public var refused: ServerEvent.Refused?
    public var closeCode: UInt16?
    public var closeReason = ""
    public var bytes = 0
    /// Connections that were lost and resumed elsewhere (or on the same node).
    public var failovers = 0

    public init() {}

    /// The connection ended without the Space ending or the listener leaving: the node went
    /// away (no close frame, 1001 going away, 1011 internal error). Worth finding another node.
    public var connectionLost: Bool {
        guard self.ended == nil, self.refused == nil else { return false }
        guard let code = self.closeCode else { return true }
        return code == CloseCode.goingAway.rawValue || code == CloseCode.internalError.rawValue
    }

    /// Ready for the next connection of the same listener: what it counted so far stays.
    public mutating func nextConnection() {
        self.closeCode = nil
        self.closeReason = ""
        self.refused = nil
        self.waiting = []
    }

    /// Latency percentile in milliseconds.
    public func latencyMs(_ percentile: Double) -> Double {
        guard self.latencyMicros.totalCount > 0 else { return 0 }
        return Double(self.latencyMicros.valueAtPercentile(percentile)) / 1000
    }
}
