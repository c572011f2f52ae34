/// How many of a Space's slots a node may fill, as the lease script in Redis grants them: what
/// it uses, a slot for each of its people among the heads of the Space's one line, and a spare
/// out of what the whole line leaves, so that the next joins are admitted without waiting for a
/// round trip.
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
    /// Free slots asked for beyond those (``spare(configured:arrivalsLastSync:joinsPerSync:)``).
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
    ///
    /// The spare comes only out of what is left once every node's lease and a slot for each
    /// person in the whole line are counted, and is at most this node's share of that
    /// (`liveNodes`: the live nodes holding a lease, this one included). So a newcomer let in
    /// here through the spare never takes the slot of anyone already in the line, here or on
    /// another node (they are let in at their own node's next sync, at most a tick later), and
    /// the other nodes keep room for the arrivals they have not synced yet.
    public func grant(capacity: Int, othersLeased: Int, mineAmongFirst: Int, lineWaiting: Int, liveNodes: Int = 1) -> Int {
        let left = max(0, capacity - othersLeased - self.need - max(0, lineWaiting)) / max(1, liveNodes)
        let want = self.need + max(0, mineAmongFirst) + min(max(0, self.spare), left)
        return max(self.need, min(want, capacity - othersLeased))
    }

    /// The spare a node asks for at a sync: `cluster.slotSpare` at least, or twice the Space's
    /// arrivals here since the last sync when that is more (a join storm is let in as it comes,
    /// not one tick later through the line), but never more than the join rate lets in over two
    /// syncs (slots leased and not usable would only keep them from the other nodes).
    public static func spare(configured: Int, arrivalsLastSync: Int, joinsPerSync: Int) -> Int {
        max(max(0, configured), min(2 * max(0, arrivalsLastSync), 2 * max(0, joinsPerSync)))
    }
}
