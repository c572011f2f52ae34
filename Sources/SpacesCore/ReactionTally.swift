/// One Space's emoji reactions, counted between two drains.
///
/// Listeners react one emoji at a time; nobody is sent each reaction. The server drains the
/// counts once a second and fans out one message with them, so a thousand hands clapping cost
/// one message per listener per second, not a thousand.
///
/// A plain struct with the time injected, owned by whoever owns the Space.
public struct ReactionTally: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// The reactions a listener may send, default 👏 ❤️ 😂 🔥 👍 🙏: a fixed, short set
        /// keeps each drained message small and leaves nothing for a listener to write to
        /// everyone. Compared as Swift strings: "❤️" is U+2764 with the emoji variation
        /// selector U+FE0F, and a bare U+2764 is not the same reaction.
        public var allowed = ["👏", "❤️", "😂", "🔥", "👍", "🙏"]
        /// Reactions per second per listener, default 5: more than anyone taps with intent,
        /// and a held-down button cannot swamp the counts.
        public var reactionsPerSecond = 5.0
        /// Reactions allowed at once above the rate, default 10: a quick burst of applause.
        public var reactionBurst = 10.0

        public init() {}
    }

    public let configuration: Configuration
    private let allowed: Set<String>
    private var counts: [String: Int] = [:]
    private var buckets: [UInt64: TokenBucket] = [:]

    public init(configuration: Configuration = Configuration()) {
        self.configuration = configuration
        self.allowed = Set(configuration.allowed)
    }

    /// Counts one reaction. An unknown reaction spends no token.
    public mutating func react(listenerID: UInt64, emoji: String, nowMicros: UInt64) throws(QuestionQueueError) {
        guard self.allowed.contains(emoji) else { throw .unknownReaction(emoji) }
        var bucket = self.buckets[listenerID]
            ?? TokenBucket(
                ratePerSecond: self.configuration.reactionsPerSecond, burst: self.configuration.reactionBurst, nowMicros: nowMicros
            )
        guard bucket.tryTake(nowMicros: nowMicros) else {
            throw .rateLimited(retryAfterMicros: bucket.microsUntilToken(nowMicros: nowMicros))
        }
        self.buckets[listenerID] = bucket
        self.counts[emoji, default: 0] += 1
    }

    /// The counts since the last drain, by reaction (only reactions sent at least once), or nil
    /// if there were none; starts a new count.
    public mutating func drain() -> [String: Int]? {
        guard !self.counts.isEmpty else { return nil }
        defer { self.counts.removeAll(keepingCapacity: true) }
        return self.counts
    }

    /// Forgets the rate-limit state of listeners whose buckets are full again (they would get
    /// the same fresh bucket on their next reaction). Call it now and then (e.g. once a minute).
    public mutating func prune(nowMicros: UInt64) {
        self.buckets = self.buckets.filter { _, bucket in
            var bucket = bucket
            return bucket.available(nowMicros: nowMicros) < bucket.burst
        }
    }

    /// Listeners with rate-limit state kept (for tests and metrics).
    var trackedListeners: Int { self.buckets.count }
}
