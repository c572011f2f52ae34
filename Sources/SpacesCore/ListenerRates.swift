/// Each listener's rates for asking and upvoting: a token bucket per listener and action.
///
/// ``QuestionQueue`` takes a token once an action passed its checks. Where the queue is
/// elsewhere (a cluster keeps it in Redis), the node that holds the listener's socket takes it
/// before sending the action on, so there a refused ask or upvote costs a token too.
public struct ListenerRates: Sendable {
    public enum Action: Sendable { case ask, upvote }

    public let configuration: QuestionQueue.Configuration
    private var asks: [UInt64: TokenBucket] = [:]
    private var upvotes: [UInt64: TokenBucket] = [:]

    public init(configuration: QuestionQueue.Configuration) {
        self.configuration = configuration
    }

    public mutating func take(_ action: Action, listenerID: UInt64, nowMicros: UInt64) throws(QuestionQueueError) {
        switch action {
        case .ask:
            try Self.take(&self.asks, listenerID, self.configuration.asksPerSecond, self.configuration.askBurst, nowMicros)
        case .upvote:
            try Self.take(&self.upvotes, listenerID, self.configuration.upvotesPerSecond, self.configuration.upvoteBurst, nowMicros)
        }
    }

    /// Forgets listeners whose buckets are full again.
    public mutating func prune(nowMicros: UInt64) {
        for keyPath in [\Self.asks, \Self.upvotes] as [WritableKeyPath<Self, [UInt64: TokenBucket]>] {
            self[keyPath: keyPath] = self[keyPath: keyPath].filter { _, bucket in
                var bucket = bucket
                return bucket.available(nowMicros: nowMicros) < bucket.burst
            }
        }
    }

    public var trackedListeners: Int { Set(self.asks.keys).union(self.upvotes.keys).count }

    private static func take(
        _ buckets: inout [UInt64: TokenBucket], _ listenerID: UInt64, _ rate: Double, _ burst: Double, _ nowMicros: UInt64
    ) throws(QuestionQueueError) {
        var bucket = buckets[listenerID] ?? TokenBucket(ratePerSecond: rate, burst: burst, nowMicros: nowMicros)
        guard bucket.tryTake(nowMicros: nowMicros) else {
            throw .rateLimited(retryAfterMicros: bucket.microsUntilToken(nowMicros: nowMicros))
        }
        buckets[listenerID] = bucket
    }
}
