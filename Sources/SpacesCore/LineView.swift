/// What a node learns of a Space's whole line when it renews its lease: its slots, how many
/// wait on the other nodes, how fast the others admit, who of its own stand behind how many
/// others, and whom the line had no room for.
public struct LineView: Sendable, Equatable {
    /// Slots this node may fill (``SlotLease``).
    public var granted: Int
    /// People in line on the other nodes.
    public var othersWaiting: Int
    /// Admissions per second on the other nodes together (for the ETA).
    public var othersAdmissionsPerSecond: Double
    /// Connection → people on other nodes ahead of it (only the connections ranked this time).
    public var othersAhead: [UInt64: Int]
    /// Connections the line had no place for (it is full across the cluster): refused here.
    public var refused: [UInt64]
    /// Listener ids whose slot, held here for a resume, another node took over (the listener
    /// resumed there): no longer held here.
    public var movedAway: [UInt64]

    public init(
        granted: Int, othersWaiting: Int = 0, othersAdmissionsPerSecond: Double = 0, othersAhead: [UInt64: Int] = [:],
        refused: [UInt64] = [], movedAway: [UInt64] = []
    ) {
        self.movedAway = movedAway
        self.granted = granted
        self.othersWaiting = othersWaiting
        self.othersAdmissionsPerSecond = othersAdmissionsPerSecond
        self.othersAhead = othersAhead
        self.refused = refused
    }
}
