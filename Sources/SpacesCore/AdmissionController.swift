/// Who gets in: per-Space capacity, node capacity, the join rate, the waiting rooms, and the
/// slots held for listeners who may resume.
///
/// A plain struct driven by the server (under one lock for the node) with the time injected:
/// every method takes `nowMicros` and returns what to do; it performs no I/O.
///
/// Identities: every WebSocket is a *connection* (a node-unique number). A listener keeps a
/// *listener id* across reconnections: a fresh join's listener id is its connection number; a
/// resumed connection takes over the listener id of its token.
public struct AdmissionController: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Listener slots on the node, all Spaces together (held slots count).
        public var nodeCapacity: Int
        /// New admissions per second on the node (resumes are not counted).
        public var joinsPerSecond: Double
        /// Admissions allowed at once above the rate.
        public var joinBurst: Double
        /// Waiting connections per Space.
        public var waitingRoomSize: Int
        /// How long a dropped listener's slot is kept for it.
        public var resumeGraceMicros: UInt64
        /// Least time between two `waiting` updates to one connection.
        public var positionUpdateMicros: UInt64
        /// Places in one Space's line one source address may hold (0: no limit).
        public var linePlacesPerAddress = 0
        /// In a cluster each line is one node's part of the Space's line: its changes are kept
        /// for Redis (``takeChanges(spaceID:)``) and ``apply(_:spaceID:nowMicros:)`` brings the others in.
        public var clustered: Bool

        public init(
            nodeCapacity: Int, joinsPerSecond: Double, joinBurst: Double, waitingRoomSize: Int,
            resumeGraceMicros: UInt64, positionUpdateMicros: UInt64 = 2_000_000, clustered: Bool = false
        ) {
            self.clustered = clustered
            self.nodeCapacity = nodeCapacity
            self.joinsPerSecond = joinsPerSecond
            self.joinBurst = joinBurst
            self.waitingRoomSize = waitingRoomSize
            self.resumeGraceMicros = resumeGraceMicros
            self.positionUpdateMicros = positionUpdateMicros
        }
    }

    /// A connection let in.
    public struct Admission: Sendable, Equatable {
        public var spaceID: String
        public var connection: UInt64
        public var listenerID: UInt64
        public var resumed: Bool
        /// The connection this one took over from (a resume while the old socket lingers).
        public var replaced: UInt64?
    }

    /// A waiting connection's news.
    public struct PositionUpdate: Sendable, Equatable {
        public var spaceID: String
        public var connection: UInt64
        public var position: Int
        public var etaSeconds: Int?
    }

    public enum Decision: Sendable, Equatable {
        case admitted(Admission)
        case waiting(position: Int, etaSeconds: Int?)
        case refused
        /// Its source address holds its whole share of the line already.
        case refusedOverShare
    }

    /// What a join changed: its own decision, and anyone else it let in or pushed out.
    public struct JoinResult: Sendable, Equatable {
        public var decision: Decision
        /// A later arrival that lost its place in a full room to an earlier ticket holder.
        public var bumped: UInt64?
    }

    struct Line: Sendable {
        var capacity: Int
        var active: [UInt64: UInt64] = [:]  // listener id → connection
        var held: [UInt64: UInt64] = [:]  // listener id → deadline µs
        var waiting: WaitingRoom
        var admissions = RateEstimator()
        /// Since the last sync with the cluster (kept only when clustered).
        var changes = LineChanges()
        /// Fresh arrivals since the last sync, let in or placed in line (kept only when clustered).
        var arrivals = 0
        /// Admissions per second on the other nodes.
        var othersRate: Double = 0
        var occupied: Int { self.active.count + self.held.count }
    }

    public let configuration: Configuration
    private var lines: [String: Line] = [:]
    private var occupied = 0
    private var bucket: TokenBucket

    public init(configuration: Configuration, nowMicros: UInt64) {
        self.configuration = configuration
        self.bucket = TokenBucket(ratePerSecond: configuration.joinsPerSecond, burst: configuration.joinBurst, nowMicros: nowMicros)
    }

    // MARK: Spaces

    public mutating func open(spaceID: String, capacity: Int) {
        precondition(self.lines[spaceID] == nil, "Space opened twice")
        self.lines[spaceID] = Line(
            capacity: capacity, waiting: WaitingRoom(capacity: self.configuration.waitingRoomSize, sharePerSource: self.configuration.linePlacesPerAddress)
        )
    }

    /// Changes how many slots this node may fill for a Space: in a cluster, the slots it leased
    /// (``SlotLease``). Below the occupied count nobody is let go; nobody more is let in.
    public mutating func setCapacity(spaceID: String, capacity: Int) {
        self.lines[spaceID]?.capacity = max(0, capacity)
    }

    /// Slots of a Space in use here: admitted listeners and slots held for a resume.
    public func occupied(spaceID: String) -> Int { self.lines[spaceID]?.occupied ?? 0 }
    public func capacity(spaceID: String) -> Int? { self.lines[spaceID]?.capacity }
    /// The Spaces with a line here.
    public var spaceIDs: [String] { Array(self.lines.keys) }

    /// Forgets a Space; returns every connection it held (admitted and waiting).
    public mutating func close(spaceID: String) -> [UInt64] {
        guard let line = self.lines.removeValue(forKey: spaceID) else { return [] }
        self.occupied -= line.occupied
        return Array(line.active.values) + line.waiting.entries.map(\.connection)
    }

    // MARK: Queries

    public var nodeOccupied: Int { self.occupied }
    public func admitted(spaceID: String) -> Int { self.lines[spaceID]?.active.count ?? 0 }
    public func held(spaceID: String) -> Int { self.lines[spaceID]?.held.count ?? 0 }
    public func waiting(spaceID: String) -> Int { self.lines[spaceID]?.waiting.count ?? 0 }
    public func position(spaceID: String, connection: UInt64) -> Int? { self.lines[spaceID]?.waiting.position(of: connection) }
    public var totalWaiting: Int { self.lines.values.reduce(0) { $0 + $1.waiting.count } }

    /// Whether a fresh arrival would be answered with `welcome` or `waiting` rather than
    /// refused: the cheap check made before a WebSocket upgrade.
    public func wouldAccept(spaceID: String, arrivalMicros: UInt64, source: SourceAddress? = nil) -> Bool {
        self.refusal(spaceID: spaceID, arrivalMicros: arrivalMicros, source: source) == nil
    }

    /// How a fresh arrival would be refused (`refused`, `refusedOverShare`), nil if it would not.
    public func refusal(spaceID: String, arrivalMicros: UInt64, source: SourceAddress? = nil) -> Decision? {
        guard let line = self.lines[spaceID] else { return .refused }
        if line.waiting.isEmpty && line.occupied < line.capacity && self.occupied < self.configuration.nodeCapacity {
            return nil
        }
        if line.waiting.isOverShare(source) { return .refusedOverShare }
        return line.waiting.accepts(arrivalMicros: arrivalMicros) ? nil : .refused
    }

    /// Whether a resume token's listener still has its slot (held or active).
    public func holdsSlot(spaceID: String, listenerID: UInt64) -> Bool {
        guard let line = self.lines[spaceID] else { return false }
        return line.held[listenerID] != nil || line.active[listenerID] != nil
    }

    // MARK: Events

    /// A new connection asks in: fresh (arrival = now, or a ticket's arrival) or resuming.
    public mutating func join(
        spaceID: String, connection: UInt64, arrivalMicros: UInt64, resuming listenerID: UInt64? = nil, source: SourceAddress? = nil,
        nowMicros: UInt64
    ) -> JoinResult {
        // Taken out of the dictionary while it changes, so its tables are not copied (the copy
        // would make every decision cost as much as the Space is large).
        guard var line = self.lines.removeValue(forKey: spaceID) else { return JoinResult(decision: .refused) }
        defer { self.lines[spaceID] = line }
        if let listenerID {
            if let previous = line.active[listenerID] {
                line.active[listenerID] = connection
                return JoinResult(decision: .admitted(Admission(
                    spaceID: spaceID, connection: connection, listenerID: listenerID, resumed: true, replaced: previous
                )))
            }
            if let deadline = line.held.removeValue(forKey: listenerID) {
                if self.configuration.clustered { line.changes.release(listenerID: listenerID) }
                guard deadline > nowMicros else {
                    // Past the grace period, even if no tick has freed the slot yet.
                    self.occupied -= 1
                    return self.joinFresh(&line, spaceID: spaceID, connection: connection, arrivalMicros: arrivalMicros, source: source, nowMicros: nowMicros)
                }
                line.active[listenerID] = connection
                return JoinResult(decision: .admitted(Admission(
                    spaceID: spaceID, connection: connection, listenerID: listenerID, resumed: true, replaced: nil
                )))
            }
            // The grace period is over: an ordinary arrival.
        }
        return self.joinFresh(&line, spaceID: spaceID, connection: connection, arrivalMicros: arrivalMicros, source: source, nowMicros: nowMicros)
    }

    private mutating func joinFresh(
        _ line: inout Line, spaceID: String, connection: UInt64, arrivalMicros: UInt64, source: SourceAddress?, nowMicros: UInt64
    ) -> JoinResult {
        // Straight in when it would stand first in line (nobody waiting, or a ticket holder who
        // arrived before everyone waiting) and there is room: the line is first in, first out.
        let first = line.waiting.first.map { arrivalMicros < $0.arrivalMicros } ?? true
        if first, let admission = self.admitIfRoom(&line, spaceID: spaceID, connection: connection, fromLine: false, nowMicros: nowMicros) {
            if self.configuration.clustered { line.arrivals += 1 }
            return JoinResult(decision: .admitted(admission))
        }
        var bumped: UInt64?
        let position: Int
        switch line.waiting.enter(connection: connection, arrivalMicros: arrivalMicros, nowMicros: nowMicros, source: source) {
        case .full:
            return JoinResult(decision: .refused)
        case .overShare:
            return JoinResult(decision: .refusedOverShare)
        case .placed(let place):
            position = place
        case .placedBumping(let place, let loser):
            position = place
            bumped = loser
            if self.configuration.clustered { line.changes.remove(connection: loser) }
        }
        if self.configuration.clustered {
            line.changes.add(connection: connection, arrivalMicros: arrivalMicros)
            line.arrivals += 1
        }
        return JoinResult(decision: .waiting(position: position, etaSeconds: Self.eta(line, position: position, nowMicros)), bumped: bumped)
    }

    /// A connection went away. An admitted listener that dropped without a clean close keeps
    /// its slot for the grace period (`hold`); one that said goodbye frees it at once.
    public mutating func leave(spaceID: String, connection: UInt64, listenerID: UInt64, hold: Bool, nowMicros: UInt64) {
        guard var line = self.lines.removeValue(forKey: spaceID) else { return }
        defer { self.lines[spaceID] = line }
        if line.active[listenerID] == connection {
            line.active[listenerID] = nil
            if hold {
                line.held[listenerID] = nowMicros + self.configuration.resumeGraceMicros
                if self.configuration.clustered {
                    line.changes.hold(listenerID: listenerID, untilMicros: nowMicros + self.configuration.resumeGraceMicros)
                }
            } else {
                self.occupied -= 1
                self.returnSlot(&line)
            }
        } else if line.waiting.remove(connection: connection), self.configuration.clustered {
            line.changes.remove(connection: connection)
        }
    }

    /// Periodic work: frees expired holds, admits from the heads of the lines as slots and the
    /// join rate allow, and lists the position updates due.
    public mutating func tick(nowMicros: UInt64) -> (admitted: [Admission], updates: [PositionUpdate]) {
        var admitted: [Admission] = []
        var updates: [PositionUpdate] = []
        // Oldest lines first would be fairer across Spaces; by id keeps it deterministic.
        for spaceID in self.lines.keys.sorted() {
            var line = self.lines.removeValue(forKey: spaceID)!
            for (listener, deadline) in line.held where deadline <= nowMicros {
                line.held[listener] = nil
                self.occupied -= 1
                if self.configuration.clustered { line.changes.release(listenerID: listener) }
                self.returnSlot(&line)
            }
            while let head = line.waiting.first,
                let admission = self.admitIfRoom(&line, spaceID: spaceID, connection: head.connection, fromLine: true, nowMicros: nowMicros)
            {
                _ = line.waiting.popFirst()
                if self.configuration.clustered { line.changes.remove(connection: head.connection) }
                admitted.append(admission)
            }
            for update in line.waiting.positionUpdates(nowMicros: nowMicros, intervalMicros: self.configuration.positionUpdateMicros) {
                updates.append(PositionUpdate(
                    spaceID: spaceID, connection: update.connection, position: update.position,
                    etaSeconds: Self.eta(line, position: update.position, nowMicros)
                ))
            }
            self.lines[spaceID] = line
        }
        return (admitted, updates)
    }

    // MARK: The cluster's line

    /// The changes to a Space's line since the last call, for Redis, and how many fresh
    /// arrivals (let in or placed) came meanwhile.
    public mutating func takeChanges(spaceID: String) -> (changes: LineChanges, arrivals: Int) {
        guard var line = self.lines.removeValue(forKey: spaceID) else { return (LineChanges(), 0) }
        defer { self.lines[spaceID] = line }
        let taken = (line.changes, line.arrivals)
        line.changes = LineChanges()
        line.arrivals = 0
        return taken
    }

    /// Puts changes (and the count of arrivals) that never reached Redis back, before any taken
    /// since.
    public mutating func restoreChanges(_ changes: LineChanges, arrivals: Int = 0, spaceID: String) {
        self.lines[spaceID]?.changes.restore(changes)
        self.lines[spaceID]?.arrivals += max(0, arrivals)
    }

    /// This node's line of a Space in order: what Redis is given when its copy starts anew.
    public func lineEntries(spaceID: String) -> [(connection: UInt64, arrivalMicros: UInt64)] {
        self.lines[spaceID]?.waiting.entries.map { (connection: $0.connection, arrivalMicros: $0.arrivalMicros) } ?? []
    }

    /// Slots of a Space held here for a resume: listener id → end of its grace period (µs).
    public func heldSlots(spaceID: String) -> [UInt64: UInt64] { self.lines[spaceID]?.held ?? [:] }

    /// Admissions per second here lately (what the other nodes count into their ETAs).
    public func admissionsPerSecond(spaceID: String, nowMicros: UInt64) -> Double {
        self.lines[spaceID]?.admissions.perSecond(nowMicros: nowMicros) ?? 0
    }

    /// Takes in what the cluster said of the whole line: this node's slots, the others' line and
    /// rate, who of its own stand behind how many others. Returns the connections the line had
    /// no place for, taken out of the line here.
    public mutating func apply(_ view: LineView, spaceID: String, nowMicros: UInt64) -> [UInt64] {
        guard var line = self.lines.removeValue(forKey: spaceID) else { return [] }
        defer { self.lines[spaceID] = line }
        line.capacity = max(0, view.granted)
        line.othersRate = max(0, view.othersAdmissionsPerSecond)
        line.waiting.othersWaiting = max(0, view.othersWaiting)
        line.waiting.capacity = max(0, self.configuration.waitingRoomSize - max(0, view.othersWaiting))
        line.waiting.setOthersAhead(view.othersAhead)
        for listener in view.movedAway where line.held.removeValue(forKey: listener) != nil {
            self.occupied -= 1
        }
        return view.refused.filter { line.waiting.remove(connection: $0) }
    }

    /// A listener whose node died resumes here: the cluster moved its slot to this node, so it
    /// is held here for the grace period, as if it had dropped from this node. No other slot is
    /// freed by it.
    public mutating func adoptHeldSlot(spaceID: String, listenerID: UInt64, nowMicros: UInt64) {
        guard var line = self.lines.removeValue(forKey: spaceID) else { return }
        defer { self.lines[spaceID] = line }
        guard line.held[listenerID] == nil, line.active[listenerID] == nil else { return }
        line.held[listenerID] = nowMicros + self.configuration.resumeGraceMicros
        self.occupied += 1
        // Not one more than that: the grant may already count it (a sync that raced the
        // move); the next sync's grant does.
        line.capacity = max(line.capacity, line.occupied)
    }

    /// Seconds to wait at `position`, from the Space's observed admission rate; nil while no
    /// rate has been observed.
    public func eta(spaceID: String, position: Int, nowMicros: UInt64) -> Int? {
        self.lines[spaceID].flatMap { Self.eta($0, position: position, nowMicros) }
    }

    /// No ETA from the line's own pace until it has moved twice: one interval says little
    /// (places often free in uneven blocks), and "cannot tell" beats a number twice off.
    private static func eta(_ line: Line, position: Int, _ nowMicros: UInt64) -> Int? {
        let rate = (line.admissions.perSecond(nowMicros: nowMicros, atLeast: 2) ?? 0) + line.othersRate
        guard rate > 0 else { return nil }
        return Int((Double(position) / rate).rounded(.up))
    }

    /// In a cluster, a slot freed while people wait on other nodes goes back to the whole line
    /// (the next sync hands it to its first), not to the first in line here.
    private func returnSlot(_ line: inout Line) {
        guard self.configuration.clustered, line.waiting.othersWaiting > 0 else { return }
        line.capacity = max(line.occupied, line.capacity - 1)
    }

    /// `fromLine`: the first in line, let in as a place freed. Only those count towards the
    /// line's rate (its ETAs): arrivals let straight in while there was room (the first
    /// minute of a Space, thousands a second) say nothing of how fast a full Space's line moves.
    private mutating func admitIfRoom(
        _ line: inout Line, spaceID: String, connection: UInt64, fromLine: Bool, nowMicros: UInt64
    ) -> Admission? {
        guard line.occupied < line.capacity, self.occupied < self.configuration.nodeCapacity,
            self.bucket.tryTake(nowMicros: nowMicros)
        else { return nil }
        self.occupied += 1
        line.active[connection] = connection
        if fromLine { line.admissions.record(nowMicros: nowMicros) }
        return Admission(spaceID: spaceID, connection: connection, listenerID: connection, resumed: false, replaced: nil)
    }
}
