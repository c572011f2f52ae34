/// How many of a Space's slots a node may fill, as the lease script in Redis grants them: what
/// it uses, a slot for each of its people among the heads of the Space's one line, and a small
/// spare while nobody waits anywhere, so that the next join is admitted without a round trip.
///
/// A Space's capacity is global; each node holds a lease of it in Redis, renewed every
/// admission tick, and admits only within its lease. The grant is at least what the node uses
/// (nobody admitted is ever let go) and at most what the other nodes' leases leave. Free slots go
/// to the first in the whole line, on whichever node they wait: first in, first out across the
/// cluster. A node that stops renewing (dead) has its slots kept for its listeners to resume
/// elsewhere for `admission.resumeGraceSeconds`, then released.
public struct SlotLease: Sendable, Equatable {
    /// Slots in use here (admitted and held for a resume).
    public var occupied: Int
    /// `cluster.slotSpare`: free slots kept in hand while nobody waits.
    public var spare: Int

    public init(occupied: Int, spare: Int) {
        self.occupied = occupied
        self.spare = spare
    }

    /// At least this: what is in use.
    public var need: Int { max(0, self.occupied) }

    /// Slots nobody uses: the capacity less what every node (dead ones within their grace
    /// included) occupies. The first this many of the line are let in.
    public static func free(capacity: Int, occupiedEverywhere: Int) -> Int {
        max(0, capacity - occupiedEverywhere)
    }

    /// What the lease script grants (the same arithmetic as the Lua, so it can be tested
    /// without Redis). `mineAmongFirst`: this node's people among the first ``free(capacity:occupiedEverywhere:)``
    /// of the line; `lineWaiting`: everyone in the line, on every node.
    public func grant(capacity: Int, othersLeased: Int, mineAmongFirst: Int, lineWaiting: Int) -> Int {
        let want = self.need + max(0, mineAmongFirst) + (lineWaiting > 0 ? 0 : max(0, self.spare))
        return max(self.need, min(want, capacity - othersLeased))
    }
}
