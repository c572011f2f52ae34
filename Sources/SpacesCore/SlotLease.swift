/// How many of a Space's slots a node asks the cluster for: what it uses, what its line waits
/// for, and a small spare so that the next join is admitted without a round trip.
///
/// A Space's capacity is global; each node holds a lease of it in Redis, renewed every
/// admission tick, and admits only within its lease. The lease script grants at least what the
/// node already uses (nobody admitted is ever let go) and at most what the other nodes' fresh
/// leases leave. No node keeps a spare while another node's line waits, so free slots go where
/// people wait. A node that stops renewing (dead) loses its lease after `cluster.nodeTTLSeconds`.
public struct SlotLease: Sendable, Equatable {
    /// Slots in use here (admitted and held for a resume).
    public var occupied: Int
    /// Connections in this node's line.
    public var waiting: Int
    /// `cluster.slotSpare`: free slots kept in hand.
    public var spare: Int

    public init(occupied: Int, waiting: Int, spare: Int) {
        self.occupied = occupied
        self.waiting = waiting
        self.spare = spare
    }

    /// At least this: what is in use.
    public var need: Int { max(0, self.occupied) }
    /// At most this: what is in use, what waits, and the spare unless others wait.
    public func want(othersWaiting: Int) -> Int {
        self.need + max(0, self.waiting) + (othersWaiting > 0 ? 0 : max(0, self.spare))
    }

    /// What the lease script grants, given the capacity and the others' leases and lines (the
    /// same arithmetic as the Lua, so it can be tested without Redis).
    public func grant(capacity: Int, othersLeased: Int, othersWaiting: Int = 0) -> Int {
        max(self.need, min(self.want(othersWaiting: othersWaiting), capacity - othersLeased))
    }
}
