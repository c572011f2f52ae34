import Logging
import NIOCore
import SpacesCore
import Synchronization
import NIOConcurrencyHelpers

/// Carries out the ``AdmissionController``'s decisions on real connections.
///
/// The controller (a plain struct, under one lock for the node) decides; the gate keeps the
/// handle of every listener connection and hops to its event loop to tell it: `welcome`,
/// `waiting`, or `refused`. Nothing here awaits a connection.
final class AdmissionGate: Sendable {
    /// A listener connection, reachable from any thread through its event loop.
    struct Handle: Sendable {
        let eventLoop: any EventLoop
        let connection: NIOLoopBound<ListenerConnection>

        func run(_ body: @escaping @Sendable (ListenerConnection) -> Void) {
            if self.eventLoop.inEventLoop {
                body(self.connection.value)
            } else {
                let connection = self.connection
                self.eventLoop.execute { body(connection.value) }
            }
        }
    }

    /// What a join asks for, settled before the upgrade.
    struct Plan: Sendable {
        var arrivalMicros: UInt64
        var resumeListenerID: UInt64?
        /// The client's address, for its share of the line (nil: not known).
        var source: SourceAddress?
        /// The ticket this join presents (its signature, unique per ticket), and when it expires.
        var ticket: (signature: Substring, expiresMicros: UInt64)?
    }

    let configuration: SpacesConfiguration.Admission
    private let controller: NIOLockedValueBox<AdmissionController>
    private let handles = NIOLockedValueBox<[UInt64: Handle]>([:])
    private let nextConnection: Synchronization.Atomic<UInt64>
    private let signers: NIOLockedValueBox<TokenSigner>
    private var signer: TokenSigner { self.signers.withLockedValue { $0 } }
    /// Whether `admission.secret` was configured (else a cluster shares one through Redis).
    let hasConfiguredSecret: Bool
    private let metrics: ServerMetrics
    /// Tickets that already bought a place, until they expire: a ticket keeps one place, not
    /// one per connection that shows it.
    private let redeemed = NIOLockedValueBox<[Substring: UInt64]>([:])

    /// `cluster.slotSpare`.
    private let slotSpare: Int
    /// Fresh admissions the join rate allows per admission tick (a sync per tick).
    private let joinsPerSync: Int
    /// In a cluster, this process's random epoch: the high 32 bits of every connection number
    /// and listener id it hands out, so that ids are unique cluster-wide and the node a
    /// resume token came from can be told (0 on an embedded node).
    let epoch: UInt32
    /// Each Space's exchange with Redis.
    private struct SyncState {
        var inFlight = false
        /// Redis's copy of this node's line starts anew (first sync, and after a failed one).
        var reset = true
        var rankedMicros: UInt64 = 0
    }
    private let syncs = NIOLockedValueBox<[String: SyncState]>([:])
    /// Claims of a slot from another node in flight, per Space: counted as occupied in a sync
    /// meanwhile, so that a sync racing a claim never tells Redis less than this node will hold.
    /// Read and changed under the controller's lock.
    private let claiming = NIOLockedValueBox<[String: Int]>([:])
    /// Listeners whose slot is still held by their (alive) old node: told to try again.
    private let notYet = NIOLockedValueBox<[UInt64: UInt64]>([:])
    /// Listen handshakes per source address (`limits.handshakesPerSecondPerAddress`).
    private let handshakeRates: NIOLockedValueBox<AddressRates>

    init(configuration: SpacesConfiguration, metrics: ServerMetrics) {
        self.slotSpare = configuration.cluster.slotSpare
        let admission = configuration.admission
        self.joinsPerSync = admission.joinsPerSecond * max(1, admission.tickMs) / 1000
        self.configuration = admission
        self.metrics = metrics
        var lines = AdmissionController.Configuration(
            nodeCapacity: configuration.limits.nodeListeners,
            joinsPerSecond: Double(admission.joinsPerSecond),
            joinBurst: Double(admission.joinBurst),
            waitingRoomSize: admission.waitingRoomSize,
            resumeGraceMicros: UInt64(admission.resumeGraceSeconds) * 1_000_000,
            positionUpdateMicros: UInt64(admission.positionUpdateSeconds) * 1_000_000,
            clustered: configuration.cluster.isEnabled
        )
        lines.linePlacesPerAddress = configuration.limits.linePlacesPerAddress
        self.handshakeRates = NIOLockedValueBox(AddressRates(
            ratePerSecond: Double(configuration.limits.handshakesPerSecondPerAddress),
            burst: Double(configuration.limits.handshakeBurstPerAddress)
        ))
        self.controller = NIOLockedValueBox(AdmissionController(configuration: lines, nowMicros: WallClock.nowMicros()))
        self.epoch = configuration.cluster.isEnabled ? UInt32.random(in: 1...UInt32.max) : 0
        self.nextConnection = Synchronization.Atomic(UInt64(self.epoch) << 32)
        let secret = admission.secret.isEmpty ? Token.random(bytes: 32) : admission.secret
        self.signers = NIOLockedValueBox(Self.signer(secret))
        self.hasConfiguredSecret = !admission.secret.isEmpty
    }

    /// Slots of a Space in use here (admitted and held for a resume).
    func occupied(spaceID: String) -> Int { self.controller.withLockedValue { $0.occupied(spaceID: spaceID) } }

    /// Listener connections on this node, admitted or waiting.
    var connectionCount: Int { self.handles.withLockedValue { $0.count } }

    private static func signer(_ secret: String) -> TokenSigner {
        TokenSigner(secret: Array(secret.utf8) + Array(repeating: 0, count: max(0, 16 - secret.utf8.count)))
    }

    /// Signs and verifies with `secret` from now on (the cluster's shared one, read from Redis
    /// at start), so that tickets and resume tokens verify on every node.
    func useSecret(_ secret: String) {
        self.signers.withLockedValue { $0 = Self.signer(secret) }
    }

    func open(_ space: LiveSpace) {
        // In a cluster the Space's capacity is global: this node admits within the slots it
        // leased, none until the first lease (at the next tick).
        let capacity = space.broker == nil ? space.capacity : 0
        self.controller.withLockedValue { controller in
            if controller.capacity(spaceID: space.id) == nil { controller.open(spaceID: space.id, capacity: capacity) }
        }
    }

    /// Syncs this node's part of every live Space's line with the cluster and renews its lease
    /// of the Space's capacity; what is granted becomes the line's capacity here.
    ///
    /// While a sync is in flight nobody more is admitted here (capacity = what is in use):
    /// the grant is at least what is in use when it is asked for, so this node never holds more
    /// listeners than its entry in Redis says, and the nodes together never more than the
    /// capacity. If Redis does not answer, the lease held before stands, but at most
    /// `cluster.slotSpare` past what is in use (a small per-node reserve: admissions go on
    /// within it during an outage), and the next sync gives Redis this node's whole line again.
    private func syncLines(registry: SpaceRegistry, broker: RedisBroker, spare: Int) {
        let now = WallClock.nowMicros()
        let rankEvery = self.controller.withLockedValue { $0.configuration.positionUpdateMicros }
        let wants = self.controller.withLockedValue { controller in
            controller.spaceIDs.compactMap { id -> (String, LineSync, LineChanges, Int, Int)? in
                guard let held = controller.capacity(spaceID: id) else { return nil }
                // One sync per Space at a time: a late reply never overrides a newer lease.
                guard let (reset, rankAll) = self.syncs.withLockedValue({ syncs -> (Bool, Bool)? in
                    var state = syncs[id] ?? SyncState()
                    guard !state.inFlight else { return nil }
                    state.inFlight = true
                    let rankAll = state.reset || now >= state.rankedMicros + rankEvery
                    if rankAll { state.rankedMicros = now }
                    syncs[id] = state
                    return (state.reset, rankAll)
                }) else { return nil }
                let (taken, arrivals) = controller.takeChanges(spaceID: id)
                let entries = controller.lineEntries(spaceID: id)
                var changes = taken
                if reset {
                    changes = LineChanges()
                    for entry in entries { changes.add(connection: entry.connection, arrivalMicros: entry.arrivalMicros) }
                    for (listener, until) in controller.heldSlots(spaceID: id) { changes.hold(listenerID: listener, untilMicros: until) }
                    for listener in taken.released { changes.release(listenerID: listener) }
                }
                // Everyone now and then; newcomers at once, so their first position is corrected
                // within a tick.
                let ranks = entries.enumerated().compactMap { index, entry -> (connection: UInt64, index: Int)? in
                    rankAll || taken.added[entry.connection] != nil ? (entry.connection, index) : nil
                }
                let occupied = controller.occupied(spaceID: id) + self.claiming.withLockedValue { $0[id] ?? 0 }
                let sync = LineSync(
                    occupied: occupied, waiting: entries.count,
                    spare: SlotLease.spare(configured: spare, arrivalsLastSync: arrivals, joinsPerSync: self.joinsPerSync),
                    admissionsPerSecond: controller.admissionsPerSecond(spaceID: id, nowMicros: now), reset: reset,
                    changes: changes, ranks: ranks
                )
                controller.setCapacity(spaceID: id, capacity: min(held, occupied))
                return (id, sync, taken, arrivals, held)
            }
        }
        let size = self.configuration.waitingRoomSize
        let grace = self.configuration.resumeGraceSeconds
        for (id, sync, taken, arrivals, held) in wants {
            guard let space = registry.space(id: id), space.state == .live else {
                self.controller.withLockedValue { $0.setCapacity(spaceID: id, capacity: held) }
                self.syncs.withLockedValue { $0[id] = nil }
                continue
            }
            broker.sync(spaceID: id, capacity: space.capacity, lineSize: size, epoch: self.epoch, graceSeconds: grace, sync)
                .whenComplete { result in
                    let refused: [UInt64] = self.controller.withLockedValue { controller in
                        switch result {
                        case .success(let view):
                            return controller.apply(view, spaceID: id, nowMicros: WallClock.nowMicros())
                        case .failure:
                            // Without Redis the node admits on its own reserve: what it held, but
                            // never more than cluster.slotSpare past what it occupies (a storm's
                            // spare would be counted as free by the other nodes once this one
                            // looks dead to them, and given out twice).
                            controller.setCapacity(spaceID: id, capacity: min(held, controller.occupied(spaceID: id) + self.slotSpare))
                            controller.restoreChanges(taken, arrivals: arrivals, spaceID: id)
                            return []
                        }
                    }
                    self.syncs.withLockedValue { syncs in
                        syncs[id]?.inFlight = false
                        if case .failure = result { syncs[id]?.reset = true } else { syncs[id]?.reset = false }
                    }
                    if !refused.isEmpty {
                        space.setWaiting(self.controller.withLockedValue { $0.waiting(spaceID: id) })
                        self.refuse(refused, reason: "the line is full across the cluster")
                    }
                }
        }
    }

    /// Refuses connections that lost their place in line, each with a ticket for its arrival.
    private func refuse(_ connections: [UInt64], reason: String) {
        let handles = self.handles.withLockedValue { handles in connections.compactMap { handles[$0] } }
        let retry = self.configuration.retryAfterSeconds
        for handle in handles {
            self.metrics.refused(.waitingRoomFull)
            handle.run { [self] connection in
                guard let arrival = connection.arrivalMicros else { return }
                connection.refuse(reason: reason, retryAfterSeconds: retry, ticket: self.ticket(space: connection.space, arrivalMicros: arrival))
            }
        }
    }

    // MARK: Resuming from another node

    /// Before the upgrade of a join that resumes from another node's listener: moves its slot
    /// here if the cluster still holds one for it. Completes when decided (never fails).
    func claimResume(space: LiveSpace, query: [String: String], eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        guard let broker = space.broker as? RedisBroker, let resume = query["resume"],
            let token = try? self.signer.verify(resume, kind: .resume, spaceID: space.id, nowMicros: WallClock.nowMicros())
        else { return eventLoop.makeSucceededVoidFuture() }
        let listener = token.value
        let epoch = UInt32(truncatingIfNeeded: listener >> 32)
        guard epoch != 0, epoch != self.epoch,
            !self.controller.withLockedValue({ $0.holdsSlot(spaceID: space.id, listenerID: listener) })
        else { return eventLoop.makeSucceededVoidFuture() }
        let id = space.id
        self.claiming.withLockedValue { $0[id, default: 0] += 1 }
        let claimed = broker.claim(spaceID: id, listenerID: listener, epoch: self.epoch, graceSeconds: self.configuration.resumeGraceSeconds)
        return claimed.hop(to: eventLoop)
            .always { result in
                self.controller.withLockedValue { controller in
                    if case .success(.moved) = result {
                        controller.adoptHeldSlot(spaceID: id, listenerID: listener, nowMicros: WallClock.nowMicros())
                    }
                    self.claiming.withLockedValue { claiming in
                        claiming[id, default: 1] -= 1
                        if claiming[id] == 0 { claiming[id] = nil }
                    }
                }
            }
            .map { claim in
                switch claim {
                case .moved:
                    break
                case .notYet:
                    // Bounded like the line: at worst a resume is then judged as an arrival.
                    self.notYet.withLockedValue { notYet in
                        if notYet.count < self.configuration.waitingRoomSize { notYet[listener] = WallClock.nowMicros() + 2_000_000 }
                    }
                case .none:
                    break
                }
            }
            .recover { _ in }
    }

    /// Forgets the Space's line; waiting connections are told it ended.
    func close(_ space: LiveSpace) {
        let connections = self.controller.withLockedValue { $0.close(spaceID: space.id) }
        self.syncs.withLockedValue { _ = $0.removeValue(forKey: space.id) }
        space.setWaiting(0)
        let handles = self.handles.withLockedValue { handles in connections.compactMap { handles[$0] } }
        for handle in handles {
            handle.run { connection in
                if connection.isWaiting { connection.sendEndedAndClose(reason: "ended") }
            }
        }
    }

    /// Closes every waiting connection with `code` (the node is draining).
    func closeWaiting(_ code: CloseCode, reason: String) {
        for handle in self.handles.withLockedValue({ Array($0.values) }) {
            handle.run { connection in
                if connection.isWaiting { connection.close(code, reason: reason) }
            }
        }
    }

    // MARK: Before the upgrade

    /// Takes a listen handshake for `source` (`limits.handshakesPerSecondPerAddress`); the
    /// 429 to answer when it is over its rate.
    func takeHandshake(_ source: SourceAddress) -> APIError? {
        guard let wait = self.handshakeRates.withLockedValue({ $0.take(source, nowMicros: WallClock.nowMicros()) }) else { return nil }
        self.metrics.refused(.rateLimited)
        return APIError(
            .rateLimited, "too many handshakes from your address; try again in a moment",
            retryAfterSeconds: Int((wait + 999_999) / 1_000_000)
        )
    }

    /// Checks a listener's `ticket`/`resume` and whether it would get a place; the error is the
    /// HTTP answer (400 for a bad token, 503 with a ticket when the line is full).
    func plan(space: LiveSpace, query: [String: String], source: SourceAddress? = nil) -> Result<Plan, APIError> {
        let now = WallClock.nowMicros()
        var plan = Plan(arrivalMicros: now, source: source)
        if let ticket = query["ticket"] {
            do {
                let token = try self.signer.verify(ticket, kind: .ticket, spaceID: space.id, nowMicros: now)
                plan.arrivalMicros = token.value
                plan.ticket = (ticket.split(separator: ".").last ?? Substring(ticket), token.expiresMicros)
            } catch {
                return .failure(APIError(.badTicket, "ticket refused: \(error.description)"))
            }
        }
        if let resume = query["resume"] {
            do {
                plan.resumeListenerID = try self.signer.verify(resume, kind: .resume, spaceID: space.id, nowMicros: now).value
            } catch {
                return .failure(APIError(.badTicket, "resume token refused: \(error.description)"))
            }
        }
        if space.access == .invite, plan.ticket == nil, plan.resumeListenerID == nil,
            let refused = self.inviteRefusal(space: space, query: query, now: now)
        {
            return .failure(refused)
        }
        if let listener = plan.resumeListenerID, let until = self.notYet.withLockedValue({ $0[listener] }), until > now {
            return .failure(APIError(
                .unavailable, "your slot is still held by the node you were on; try again in a second", retryAfterSeconds: 1
            ))
        }
        let refusal = self.controller.withLockedValue { controller -> AdmissionController.Decision? in
            if let listener = plan.resumeListenerID, controller.holdsSlot(spaceID: space.id, listenerID: listener) { return nil }
            return controller.refusal(spaceID: space.id, arrivalMicros: plan.arrivalMicros, source: source)
        }
        if refusal == .refusedOverShare {
            // No ticket: it would keep the flood's arrival time and bring it back ahead of
            // everyone who came after, one freed place at a time.
            return .failure(APIError(.addressShare, Self.overShareMessage, retryAfterSeconds: self.configuration.retryAfterSeconds))
        }
        guard refusal == nil else {
            return .failure(APIError(
                .waitingRoomFull, "the waiting room is full; come back with this ticket to keep your place",
                retryAfterSeconds: self.configuration.retryAfterSeconds,
                ticket: self.ticket(space: space, arrivalMicros: plan.arrivalMicros, now: now)
            ))
        }
        return .success(plan)
    }

    /// An invite-only Space lets in a holder of a valid invite, and a holder of a ticket or
    /// resume token it issued (verified above: those were only ever given to someone who came
    /// with an invite, and they are what the client comes back with); nobody else.
    /// Asked only when neither came (an expired invite beside a valid resume token must not
    /// cost the listener its held slot).
    private func inviteRefusal(space: LiveSpace, query: [String: String], now: UInt64) -> APIError? {
        guard let invite = query["invite"] else {
            return APIError(.inviteRequired, "this Space is invite-only: listen with the link its host shared")
        }
        do {
            _ = try self.signer.verify(invite, kind: .invite, spaceID: space.id, nowMicros: now)
            return nil
        } catch {
            return APIError(.inviteRequired, "invite refused: \(error.description)")
        }
    }

    /// A signed invite to `space`, valid for `seconds`.
    func invite(space: LiveSpace, seconds: Int) -> (token: String, expiresMicros: UInt64) {
        let now = WallClock.nowMicros()
        let expires = now + UInt64(seconds) * 1_000_000
        let token = self.signer.sign(SignedToken(
            kind: .invite, spaceID: space.id, value: UInt64.random(in: 1...UInt64.max), issuedMicros: now, expiresMicros: expires
        ))
        return (token, expires)
    }

    static let overShareMessage = "too many places in line are held from your address; come back later"

    func ticket(space: LiveSpace, arrivalMicros: UInt64, now: UInt64 = WallClock.nowMicros()) -> String {
        self.signer.sign(SignedToken(
            kind: .ticket, spaceID: space.id, value: arrivalMicros, issuedMicros: now,
            expiresMicros: now + UInt64(self.configuration.ticketSeconds) * 1_000_000
        ))
    }

    func resumeToken(space: LiveSpace, listenerID: UInt64) -> String {
        let now = WallClock.nowMicros()
        // The grace period is enforced by the held slot; the token itself lives a day.
        return self.signer.sign(SignedToken(
            kind: .resume, spaceID: space.id, value: listenerID, issuedMicros: now, expiresMicros: now + 86_400_000_000
        ))
    }

    // MARK: After the upgrade

    /// A new number for a connection.
    func makeConnectionNumber() -> UInt64 {
        self.nextConnection.wrappingAdd(1, ordering: .relaxed).newValue
    }

    /// Puts an upgraded listener in: admitted, waiting or refused. Called on its event loop.
    func join(_ connection: ListenerConnection, number: UInt64, plan: Plan, eventLoop: any EventLoop) {
        let handle = Handle(eventLoop: eventLoop, connection: NIOLoopBound(connection, eventLoop: eventLoop))
        self.handles.withLockedValue { $0[number] = handle }
        let space = connection.space
        let now = WallClock.nowMicros()
        var arrival = plan.arrivalMicros
        if let ticket = plan.ticket {
            let fresh = self.redeemed.withLockedValue { redeemed in
                guard redeemed[ticket.signature] == nil else { return false }
                redeemed[ticket.signature] = ticket.expiresMicros
                return true
            }
            // A ticket shown again: this connection is an ordinary arrival.
            if !fresh { arrival = now }
        }
        let (result, waiting) = self.controller.withLockedValue { controller in
            let result = controller.join(
                spaceID: space.id, connection: number, arrivalMicros: arrival, resuming: plan.resumeListenerID,
                source: plan.source, nowMicros: now
            )
            return (result, controller.waiting(spaceID: space.id))
        }
        space.setWaiting(waiting)
        switch result.decision {
        case .admitted(let admission):
            self.admitted(admission, connection: connection)
        case .waiting(let position, let eta):
            connection.enterWaitingRoom(position: position, etaSeconds: eta, arrivalMicros: arrival)
        case .refused where space.state != .live:
            // The Space ended between the upgrade and the join.
            connection.sendEndedAndClose(reason: "ended")
        case .refused:
            self.metrics.refused(.waitingRoomFull)
            connection.refuse(reason: "the waiting room is full", retryAfterSeconds: self.configuration.retryAfterSeconds,
                              ticket: self.ticket(space: space, arrivalMicros: arrival, now: now))
        case .refusedOverShare:
            // A race with the check before the upgrade: the ticket is stamped now, not at the
            // arrival it may have carried.
            self.metrics.refused(.addressShare)
            connection.refuse(reason: Self.overShareMessage, retryAfterSeconds: self.configuration.retryAfterSeconds,
                              ticket: self.ticket(space: space, arrivalMicros: now, now: now))
        }
        if let bumped = result.bumped { self.refuse([bumped], reason: "an earlier arrival took the last place in line") }
    }

    /// A connection closed. `hold` keeps an admitted listener's slot for the grace period.
    func leave(number: UInt64, listenerID: UInt64?, space: LiveSpace, hold: Bool) {
        self.handles.withLockedValue { $0[number] = nil }
        let waiting = self.controller.withLockedValue { controller in
            controller.leave(spaceID: space.id, connection: number, listenerID: listenerID ?? number, hold: hold, nowMicros: WallClock.nowMicros())
            return controller.waiting(spaceID: space.id)
        }
        space.setWaiting(waiting)
    }

    /// Moves the lines: admissions from their heads and position updates.
    func tick(registry: SpaceRegistry) {
        defer {
            // After this tick's admissions: the grant arrives before the next tick's.
            if let broker = registry.broker as? RedisBroker {
                self.syncLines(registry: registry, broker: broker, spare: self.slotSpare)
            }
        }
        let now = WallClock.nowMicros()
        self.redeemed.withLockedValue { redeemed in
            if redeemed.values.contains(where: { $0 < now }) { redeemed = redeemed.filter { $0.value >= now } }
        }
        self.notYet.withLockedValue { notYet in
            if notYet.values.contains(where: { $0 <= now }) { notYet = notYet.filter { $0.value > now } }
        }
        let (admitted, updates, waiting) = self.controller.withLockedValue { controller in
            let (admitted, updates) = controller.tick(nowMicros: now)
            return (admitted, updates, controller.totalWaiting)
        }
        self.metrics.waiting.set(Int64(waiting))
        let handles = self.handles.withLockedValue { handles in
            (admitted.map { handles[$0.connection] }, updates.map { handles[$0.connection] })
        }
        for (admission, handle) in zip(admitted, handles.0) {
            guard let handle else { continue }
            handle.run { [self] connection in self.admitted(admission, connection: connection) }
        }
        for (update, handle) in zip(updates, handles.1) {
            handle?.run { connection in connection.updatePosition(update.position, etaSeconds: update.etaSeconds) }
        }
        if !admitted.isEmpty {
            for spaceID in Set(admitted.map(\.spaceID)) {
                guard let space = registry.space(id: spaceID) else { continue }
                let count = self.controller.withLockedValue { $0.waiting(spaceID: spaceID) }
                space.setWaiting(count)
            }
        }
    }

    /// Lets an admitted connection in (on its loop) and closes the one it replaced.
    private func admitted(_ admission: AdmissionController.Admission, connection: ListenerConnection) {
        self.metrics.admitted(resumed: admission.resumed)
        connection.admit(
            listenerID: admission.listenerID,
            resumeToken: self.resumeToken(space: connection.space, listenerID: admission.listenerID),
            resumed: admission.resumed
        )
        if let replaced = admission.replaced, let handle = self.handles.withLockedValue({ $0[replaced] }) {
            handle.run { old in old.close(.replaced, reason: "resumed on another connection") }
        }
    }
}
