/// The line of one Space: connections waiting for a slot, first come first served.
///
/// Ordered by arrival time, then by the order of entry, so that a client returning with a
/// ticket (which carries its original arrival) keeps its place ahead of later arrivals.
/// Bounded: when full, only an arrival earlier than the last in line gets in, and it bumps
/// that last one.
public struct WaitingRoom: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var connection: UInt64
        public var arrivalMicros: UInt64
        var order: UInt64
        /// The position last announced to this connection, and when.
        var announcedPosition: Int
        var announcedMicros: UInt64
    }

    public let capacity: Int
    public private(set) var entries: [Entry] = []
    private var nextOrder: UInt64 = 0

    public init(capacity: Int) {
        precondition(capacity >= 0)
        self.capacity = capacity
    }

    public var count: Int { self.entries.count }
    public var isEmpty: Bool { self.entries.isEmpty }
    public var isFull: Bool { self.entries.count >= self.capacity }
    public var first: Entry? { self.entries.first }

    /// Whether an arrival at `arrivalMicros` would get a place (possibly by bumping the last).
    public func accepts(arrivalMicros: UInt64) -> Bool {
        guard self.isFull else { return true }
        guard let last = self.entries.last else { return false }
        return arrivalMicros < last.arrivalMicros
    }

    public enum Entered: Equatable, Sendable {
        /// In line at this position (1-based).
        case placed(position: Int)
        /// In line at this position, and `bumped` lost its place (the room was full).
        case placedBumping(position: Int, bumped: UInt64)
        /// No room.
        case full
    }

    /// Puts a connection in line by its arrival time.
    public mutating func enter(connection: UInt64, arrivalMicros: UInt64, nowMicros: UInt64) -> Entered {
        var bumped: UInt64?
        if self.isFull {
            guard let last = self.entries.last, arrivalMicros < last.arrivalMicros else { return .full }
            bumped = self.entries.removeLast().connection
        }
        let order = self.nextOrder
        self.nextOrder &+= 1
        // First index whose arrival is later than this one: equal arrivals keep entry order.
        var low = 0
        var high = self.entries.count
        while low < high {
            let mid = (low + high) / 2
            if self.entries[mid].arrivalMicros <= arrivalMicros { low = mid + 1 } else { high = mid }
        }
        let entry = Entry(connection: connection, arrivalMicros: arrivalMicros, order: order, announcedPosition: low + 1, announcedMicros: nowMicros)
        self.entries.insert(entry, at: low)
        if let bumped { return .placedBumping(position: low + 1, bumped: bumped) }
        return .placed(position: low + 1)
    }

    /// Takes the first in line.
    public mutating func popFirst() -> Entry? {
        self.entries.isEmpty ? nil : self.entries.removeFirst()
    }

    /// Removes a connection wherever it stands; true if it was in line.
    @discardableResult
    public mutating func remove(connection: UInt64) -> Bool {
        guard let index = self.entries.firstIndex(where: { $0.connection == connection }) else { return false }
        self.entries.remove(at: index)
        return true
    }

    /// 1-based position of a connection, nil if not in line.
    public func position(of connection: UInt64) -> Int? {
        self.entries.firstIndex(where: { $0.connection == connection }).map { $0 + 1 }
    }

    /// Connections whose position changed since it was last announced, at most once per
    /// `intervalMicros` each; marks them announced.
    public mutating func positionUpdates(nowMicros: UInt64, intervalMicros: UInt64) -> [(connection: UInt64, position: Int)] {
        var updates: [(connection: UInt64, position: Int)] = []
        for index in self.entries.indices {
            let position = index + 1
            let entry = self.entries[index]
            guard entry.announcedPosition != position, nowMicros >= entry.announcedMicros + intervalMicros else { continue }
            self.entries[index].announcedPosition = position
            self.entries[index].announcedMicros = nowMicros
            updates.append((entry.connection, position))
        }
        return updates
    }

    /// Empties the line, returning who was in it.
    public mutating func removeAll() -> [UInt64] {
        defer { self.entries.removeAll() }
        return self.entries.map(\.connection)
    }
}
