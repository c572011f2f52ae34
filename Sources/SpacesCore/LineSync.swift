/// One node's word to the cluster about one Space, once per admission tick: what it uses, its
/// line's changes, who of its line it wants ranked, and how fast it admits. Answered with a
/// ``LineView``. Plain data: the Redis script that takes it is in the server.
public struct LineSync: Sendable, Equatable {
    /// Slots in use here (admitted and held for a resume).
    public var occupied: Int
    /// People in line here, after `changes`.
    public var waiting: Int
    /// `cluster.slotSpare`.
    public var spare: Int
    /// Admissions per second here lately.
    public var admissionsPerSecond: Double
    /// True when Redis's copy of this node's line is to start anew from `changes` (the first
    /// sync, and after a sync that failed: changes may have been lost).
    public var reset: Bool
    public var changes: LineChanges
    /// Connections to rank, each with how many of this node's line stand ahead of it here.
    public var ranks: [(connection: UInt64, index: Int)]

    public init(occupied: Int, waiting: Int, spare: Int, admissionsPerSecond: Double, reset: Bool, changes: LineChanges, ranks: [(connection: UInt64, index: Int)]) {
        self.occupied = occupied
        self.waiting = waiting
        self.spare = spare
        self.admissionsPerSecond = admissionsPerSecond
        self.reset = reset
        self.changes = changes
        self.ranks = ranks
    }

    public static func == (lhs: LineSync, rhs: LineSync) -> Bool {
        lhs.occupied == rhs.occupied && lhs.waiting == rhs.waiting && lhs.spare == rhs.spare
            && lhs.admissionsPerSecond == rhs.admissionsPerSecond && lhs.reset == rhs.reset && lhs.changes == rhs.changes
            && lhs.ranks.map(\.connection) == rhs.ranks.map(\.connection) && lhs.ranks.map(\.index) == rhs.ranks.map(\.index)
    }
}
