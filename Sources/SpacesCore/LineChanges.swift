/// What changed in a node's part of a Space's line since it last told the cluster: who came
/// (with their arrival times) and who left (admitted, gone, or bumped), and which slots it
/// began or stopped holding for a listener's resume. Sent with the next lease renewal, so
/// Redis's copy follows the node's within one admission tick.
public struct LineChanges: Sendable, Equatable {
    /// Connection → arrival µs.
    public private(set) var added: [UInt64: UInt64] = [:]
    public private(set) var removed: Set<UInt64> = []
    /// Listener id → end of its grace period (µs): a slot held here that another node may take
    /// over if the listener resumes there.
    public private(set) var held: [UInt64: UInt64] = [:]
    /// Listener ids no longer held here (resumed here, or the grace period ended).
    public private(set) var released: Set<UInt64> = []

    public init() {}

    public var isEmpty: Bool { self.added.isEmpty && self.removed.isEmpty && self.held.isEmpty && self.released.isEmpty }

    public mutating func hold(listenerID: UInt64, untilMicros: UInt64) {
        self.held[listenerID] = untilMicros
        self.released.remove(listenerID)
    }

    public mutating func release(listenerID: UInt64) {
        if self.held.removeValue(forKey: listenerID) == nil { self.released.insert(listenerID) }
    }

    public mutating func add(connection: UInt64, arrivalMicros: UInt64) {
        self.added[connection] = arrivalMicros
    }

    /// One that came and went between two syncs is never told at all.
    public mutating func remove(connection: UInt64) {
        if self.added.removeValue(forKey: connection) == nil { self.removed.insert(connection) }
    }

    /// The arrivals in line order (earliest first), as Redis should place them.
    public var addedInOrder: [(connection: UInt64, arrivalMicros: UInt64)] {
        self.added.map { (connection: $0.key, arrivalMicros: $0.value) }
            .sorted { ($0.arrivalMicros, $0.connection) < ($1.arrivalMicros, $1.connection) }
    }

    /// Folds changes that were taken but never reached Redis back in front of newer ones.
    public mutating func restore(_ older: LineChanges) {
        var merged = older
        for connection in self.removed { merged.remove(connection: connection) }
        for (connection, arrival) in self.added { merged.add(connection: connection, arrivalMicros: arrival) }
        for listener in self.released { merged.release(listenerID: listener) }
        for (listener, until) in self.held { merged.hold(listenerID: listener, untilMicros: until) }
        self = merged
    }
}
