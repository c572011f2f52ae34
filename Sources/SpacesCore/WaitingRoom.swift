/// The line of one Space: connections waiting for a slot, first come first served.
///
/// Ordered by arrival time, then by the order of entry, so that a client returning with a
/// ticket (which carries its original arrival) keeps its place ahead of later arrivals.
/// Bounded: when full, only an arrival earlier than the last in line gets in, and it bumps
/// that last one.
///
/// Shared fairly: one source address (an IPv4 address, an IPv6 /64) holds at most
/// ``sharePerSource`` places, so that one machine cannot fill the line and shut everyone else
/// out while it floods.
///
/// In a cluster this room is one node's part of a Space's one line: each entry also counts the
/// people on other nodes ahead of it (`othersAhead`, from Redis), so that its position is its
/// place in the whole line.
public struct WaitingRoom: Sendable, Equatable {
    public struct Entry: Sendable, Equatable {
        public var connection: UInt64
        public var arrivalMicros: UInt64
        /// People waiting on other nodes ahead of this one (0 on an embedded node).
        public var othersAhead: Int
        /// Where it comes from (nil: not known, not counted against any share).
        public var source: SourceAddress?
        var order: UInt64
        /// The position last announced to this connection, and when.
        var announcedPosition: Int
        var announcedMicros: UInt64
    }

    /// Places in this room. In a cluster, the Space's line size less the others' entries.
    public var capacity: Int
    /// What a newcomer is assumed to have ahead of it on other nodes until Redis ranks it:
    /// everyone waiting elsewhere (a new arrival is the latest).
    public var othersWaiting = 0
    /// The line lives in `storage[head...]`: taking the first in line only moves `head`, so an
    /// admission costs O(1) however long the line is; the spent front is dropped now and then.
    private var storage: [Entry] = []
    private var head = 0
    private var nextOrder: UInt64 = 0
    /// Places one source may hold (0: no limit).
    public var sharePerSource: Int
    /// Places held per source, for those holding any.
    private var perSource: [SourceAddress: Int] = [:]

    /// The line, first in line first.
    public var entries: ArraySlice<Entry> { self.storage[self.head...] }

    public init(capacity: Int, sharePerSource: Int = 0) {
        precondition(capacity >= 0)
        self.capacity = capacity
        self.sharePerSource = max(0, sharePerSource)
    }

    /// Places `source` holds now.
    public func places(of source: SourceAddress) -> Int { self.perSource[source] ?? 0 }

    /// Whether `source` holds its whole share already.
    public func isOverShare(_ source: SourceAddress?) -> Bool {
        guard let source, self.sharePerSource > 0 else { return false }
        return self.places(of: source) >= self.sharePerSource
    }

    private mutating func count(_ entry: Entry, _ delta: Int) {
        guard let source = entry.source else { return }
        let places = (self.perSource[source] ?? 0) + delta
        self.perSource[source] = places > 0 ? places : nil
    }

    public var count: Int { self.storage.count - self.head }
    public var isEmpty: Bool { self.count == 0 }
    public var isFull: Bool { self.count >= self.capacity }
    public var first: Entry? { self.entries.first }

    /// Whether an arrival at `arrivalMicros` would get a place (possibly by bumping the last).
    public func accepts(arrivalMicros: UInt64, source: SourceAddress? = nil) -> Bool {
        guard !self.isOverShare(source) else { return false }
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
        /// Its source holds its whole share of the line already.
        case overShare
    }

    /// Puts a connection in line by its arrival time.
    public mutating func enter(connection: UInt64, arrivalMicros: UInt64, nowMicros: UInt64, source: SourceAddress? = nil) -> Entered {
        guard !self.isOverShare(source) else { return .overShare }
        var bumped: UInt64?
        if self.isFull {
            guard let last = self.entries.last, arrivalMicros < last.arrivalMicros else { return .full }
            let loser = self.storage.removeLast()
            self.count(loser, -1)
            bumped = loser.connection
        }
        let order = self.nextOrder
        self.nextOrder &+= 1
        // First index whose arrival is later than this one: equal arrivals keep entry order.
        var low = self.head
        var high = self.storage.count
        while low < high {
            let mid = (low + high) / 2
            if self.storage[mid].arrivalMicros <= arrivalMicros { low = mid + 1 } else { high = mid }
        }
        // Between two rankings by Redis: as many others ahead as the one it stands before has.
        let othersAhead = low < self.storage.count ? self.storage[low].othersAhead : self.othersWaiting
        let position = low - self.head + 1 + othersAhead
        let entry = Entry(
            connection: connection, arrivalMicros: arrivalMicros, othersAhead: othersAhead, source: source, order: order,
            announcedPosition: position, announcedMicros: nowMicros
        )
        self.storage.insert(entry, at: low)
        self.count(entry, 1)
        if let bumped { return .placedBumping(position: position, bumped: bumped) }
        return .placed(position: position)
    }

    /// Takes the first in line.
    public mutating func popFirst() -> Entry? {
        guard self.head < self.storage.count else { return nil }
        let entry = self.storage[self.head]
        self.count(entry, -1)
        self.head += 1
        if self.head >= 1024 && self.head * 2 >= self.storage.count {
            self.storage.removeFirst(self.head)
            self.head = 0
        }
        return entry
    }

    /// Removes a connection wherever it stands; true if it was in line.
    @discardableResult
    public mutating func remove(connection: UInt64) -> Bool {
        guard let index = self.entries.firstIndex(where: { $0.connection == connection }) else { return false }
        self.count(self.storage.remove(at: index), -1)
        return true
    }

    /// 1-based position of a connection in the whole line, nil if not in line.
    public func position(of connection: UInt64) -> Int? {
        self.entries.firstIndex(where: { $0.connection == connection }).map { $0 - self.head + 1 + self.storage[$0].othersAhead }
    }

    /// Sets how many people on other nodes stand ahead of each connection (Redis's ranking);
    /// connections not named keep theirs.
    public mutating func setOthersAhead(_ ahead: [UInt64: Int]) {
        guard !ahead.isEmpty else { return }
        for index in self.head..<self.storage.count {
            if let others = ahead[self.storage[index].connection] { self.storage[index].othersAhead = max(0, others) }
        }
    }

    /// Connections whose position changed since it was last announced, at most once per
    /// `intervalMicros` each; marks them announced.
    public mutating func positionUpdates(nowMicros: UInt64, intervalMicros: UInt64) -> [(connection: UInt64, position: Int)] {
        var updates: [(connection: UInt64, position: Int)] = []
        for index in self.head..<self.storage.count {
            let entry = self.storage[index]
            let position = index - self.head + 1 + entry.othersAhead
            guard entry.announcedPosition != position, nowMicros >= entry.announcedMicros + intervalMicros else { continue }
            self.storage[index].announcedPosition = position
            self.storage[index].announcedMicros = nowMicros
            updates.append((entry.connection, position))
        }
        return updates
    }

    /// Empties the line, returning who was in it.
    public mutating func removeAll() -> [UInt64] {
        defer {
            self.storage.removeAll()
            self.perSource.removeAll()
            self.head = 0
        }
        return self.entries.map(\.connection)
    }
}
