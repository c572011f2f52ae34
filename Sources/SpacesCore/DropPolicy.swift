/// What to do with an audio batch for one listener: send it, drop it, or give up on the
/// listener. A plain struct, time injected.
///
/// A listener that cannot take a batch (over its budget of unsent audio) misses it: audio is
/// never queued behind a slow listener, so when it catches up it resumes at the live edge. Over
/// budget for longer than `evictAfterMicros`, it is closed (4008 too_slow).
public struct DropPolicy: Sendable, Equatable {
    public enum Outcome: Sendable, Equatable {
        case send
        case drop
        case evict
    }

    public let evictAfterMicros: UInt64
    /// Since when the listener has been over budget, while it is.
    public private(set) var behindSinceMicros: UInt64?
    /// Batches this listener missed, since it joined.
    public private(set) var dropped = 0

    public init(evictAfterMicros: UInt64) {
        self.evictAfterMicros = evictAfterMicros
    }

    /// Decides for one batch; `withinBudget` is whether the listener can take it now.
    public mutating func offer(withinBudget: Bool, nowMicros: UInt64) -> Outcome {
        if withinBudget {
            self.behindSinceMicros = nil
            return .send
        }
        self.dropped += 1
        guard let since = self.behindSinceMicros else {
            self.behindSinceMicros = nowMicros
            return .drop
        }
        return nowMicros >= since && nowMicros - since > self.evictAfterMicros ? .evict : .drop
    }

    /// The listener is back within budget (its socket drained).
    public mutating func caughtUp() {
        self.behindSinceMicros = nil
    }
}
