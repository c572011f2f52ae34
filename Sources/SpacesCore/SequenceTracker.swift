/// Follows the sequence numbers a listener receives and counts what went missing.
///
/// Sequence numbers are contiguous per Space (wrapping at 2³²), so a jump forward means frames
/// were not delivered to this listener; a step backwards or a repeat is a relay bug and is
/// counted apart.
public struct SequenceTracker: Sendable, Equatable {
    /// Frames received.
    public private(set) var received = 0
    /// Frames skipped over by forward jumps.
    public private(set) var lost = 0
    /// Number of forward jumps (gaps).
    public private(set) var gaps = 0
    /// Batches that started at or before a sequence already seen.
    public private(set) var outOfOrder = 0
    /// The sequence expected next, once one batch was seen.
    public private(set) var expected: UInt32?

    public init() {}

    /// Records a batch of `count` frames starting at `first`.
    public mutating func record(first: UInt32, count: Int) {
        if let expected = self.expected {
            let delta = Int32(bitPattern: first &- expected)
            if delta > 0 {
                self.lost += Int(delta)
                self.gaps += 1
            } else if delta < 0 {
                // A late or repeated batch: counted apart, and the expectation never moves back.
                self.outOfOrder += 1
                self.received += count
                let end = first &+ UInt32(count)
                if Int32(bitPattern: end &- expected) > 0 { self.expected = end }
                return
            }
        }
        self.received += count
        self.expected = first &+ UInt32(count)
    }
}
