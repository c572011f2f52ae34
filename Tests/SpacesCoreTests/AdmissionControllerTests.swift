import XCTest

@testable import SpacesCore

final class AdmissionControllerTests: XCTestCase {
    private typealias Controller = AdmissionController
    private let t0: UInt64 = 1_700_000_000_000_000
    private let second: UInt64 = 1_000_000

    private func configuration(
        nodeCapacity: Int = 1_000, joinsPerSecond: Double = 1_000, joinBurst: Double = 1_000,
        waitingRoomSize: Int = 100, resumeGraceMicros: UInt64 = 10_000_000, positionUpdateMicros: UInt64 = 1_000_000
    ) -> Controller.Configuration {
        Controller.Configuration(
            nodeCapacity: nodeCapacity, joinsPerSecond: joinsPerSecond, joinBurst: joinBurst,
            waitingRoomSize: waitingRoomSize, resumeGraceMicros: resumeGraceMicros, positionUpdateMicros: positionUpdateMicros
        )
    }

    private func controller(_ configuration: Controller.Configuration, spaces: [String: Int]) -> Controller {
        var controller = Controller(configuration: configuration, nowMicros: self.t0)
        for (spaceID, capacity) in spaces.sorted(by: { $0.key < $1.key }) {
            controller.open(spaceID: spaceID, capacity: capacity)
        }
        return controller
    }

    private func fresh(_ spaceID: String, _ connection: UInt64) -> Controller.Admission {
        Controller.Admission(spaceID: spaceID, connection: connection, listenerID: connection, resumed: false, replaced: nil)
    }

    /// A fresh join arriving now.
    private func join(_ controller: inout Controller, _ spaceID: String, _ connection: UInt64, at now: UInt64) -> Controller.JoinResult {
        controller.join(spaceID: spaceID, connection: connection, arrivalMicros: now, nowMicros: now)
    }

    private func position(_ decision: Controller.Decision) -> Int? {
        if case .waiting(let position, _) = decision { return position }
        return nil
    }

    private func eta(_ decision: Controller.Decision) -> Int?? {
        if case .waiting(_, let eta) = decision { return .some(eta) }
        return .none
    }

    // MARK: Capacity and FIFO

    func testCapacityThenWaitingInOrder() {
        var controller = self.controller(self.configuration(), spaces: ["a": 50])
        for connection: UInt64 in 1...80 {
            let now = self.t0 + connection
            let result = self.join(&controller, "a", connection, at: now)
            XCTAssertNil(result.bumped)
            if connection <= 50 {
                XCTAssertEqual(result.decision, .admitted(self.fresh("a", connection)), "connection \(connection)")
            } else {
                XCTAssertEqual(self.position(result.decision), Int(connection) - 50, "connection \(connection)")
            }
        }
        XCTAssertEqual(controller.admitted(spaceID: "a"), 50)
        XCTAssertEqual(controller.waiting(spaceID: "a"), 30)
        XCTAssertEqual(controller.totalWaiting, 30)
        XCTAssertEqual(controller.nodeOccupied, 50)
        XCTAssertEqual(controller.held(spaceID: "a"), 0)
        for connection: UInt64 in 51...80 {
            XCTAssertEqual(controller.position(spaceID: "a", connection: connection), Int(connection) - 50)
        }
        XCTAssertNil(controller.position(spaceID: "a", connection: 1))
    }

    func testLeavesLetTheFirstWaitingInOnTickAndTheRestHearOncePerInterval() {
        var controller = self.controller(self.configuration(positionUpdateMicros: 2 * self.second), spaces: ["a": 50])
        for connection: UInt64 in 1...80 {
            _ = self.join(&controller, "a", connection, at: self.t0)
        }
        for connection: UInt64 in 1...10 {
            controller.leave(spaceID: "a", connection: connection, listenerID: connection, hold: false, nowMicros: self.t0 + self.second)
        }
        XCTAssertEqual(controller.nodeOccupied, 40)
        XCTAssertEqual(controller.admitted(spaceID: "a"), 40)
        XCTAssertEqual(controller.held(spaceID: "a"), 0)

        let first = controller.tick(nowMicros: self.t0 + self.second)
        XCTAssertEqual(first.admitted, (51...60).map { self.fresh("a", $0) })
        // Positions changed, but the entry announcements are less than 2 s old.
        XCTAssertEqual(first.updates, [])
        XCTAssertEqual(controller.admitted(spaceID: "a"), 50)
        XCTAssertEqual(controller.nodeOccupied, 50)
        XCTAssertEqual(controller.waiting(spaceID: "a"), 20)
        for connection: UInt64 in 61...80 {
            XCTAssertEqual(controller.position(spaceID: "a", connection: connection), Int(connection) - 60)
        }

        let early = controller.tick(nowMicros: self.t0 + 2 * self.second - 1)
        XCTAssertEqual(early.admitted, [])
        XCTAssertEqual(early.updates, [])

        let due = controller.tick(nowMicros: self.t0 + 2 * self.second)
        XCTAssertEqual(due.admitted, [])
        XCTAssertEqual(due.updates.map(\.connection), Array(61...80))
        XCTAssertEqual(due.updates.map(\.position), Array(1...20))
        XCTAssertTrue(due.updates.allSatisfy { $0.spaceID == "a" })

        let again = controller.tick(nowMicros: self.t0 + 10 * self.second)
        XCTAssertEqual(again.updates, [])
    }

    func testTickWithNothingToDo() {
        var controller = self.controller(self.configuration(), spaces: ["a": 2])
        _ = self.join(&controller, "a", 1, at: self.t0)
        let result = controller.tick(nowMicros: self.t0 + self.second)
        XCTAssertEqual(result.admitted, [])
        XCTAssertEqual(result.updates, [])
        XCTAssertEqual(controller.admitted(spaceID: "a"), 1)
    }

    func testNodeCapacityAcrossSpaces() {
        var controller = self.controller(self.configuration(nodeCapacity: 3), spaces: ["a": 2, "b": 2])
        XCTAssertEqual(self.join(&controller, "a", 1, at: self.t0).decision, .admitted(self.fresh("a", 1)))
        XCTAssertEqual(self.join(&controller, "a", 2, at: self.t0).decision, .admitted(self.fresh("a", 2)))
        XCTAssertEqual(self.join(&controller, "b", 3, at: self.t0).decision, .admitted(self.fresh("b", 3)))
        XCTAssertEqual(controller.nodeOccupied, 3)
        // "b" has a free slot but the node is full.
        XCTAssertTrue(controller.wouldAccept(spaceID: "b", arrivalMicros: self.t0 + 1))
        XCTAssertEqual(self.position(self.join(&controller, "b", 4, at: self.t0 + 1).decision), 1)
        XCTAssertEqual(controller.admitted(spaceID: "b"), 1)
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 2).admitted, [])
        // A slot freed in "a" goes to the line of "b".
        controller.leave(spaceID: "a", connection: 1, listenerID: 1, hold: false, nowMicros: self.t0 + 3)
        XCTAssertEqual(controller.nodeOccupied, 2)
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 4).admitted, [self.fresh("b", 4)])
        XCTAssertEqual(controller.nodeOccupied, 3)
        XCTAssertEqual(controller.admitted(spaceID: "a"), 1)
        XCTAssertEqual(controller.admitted(spaceID: "b"), 2)
        XCTAssertEqual(controller.totalWaiting, 0)
    }

    // MARK: Join rate

    func testJoinRateLimitsAdmissionsEvenWithFreeSlots() {
        var controller = self.controller(self.configuration(joinsPerSecond: 2, joinBurst: 2), spaces: ["a": 10])
        var decisions: [Controller.Decision] = []
        for connection: UInt64 in 1...5 {
            decisions.append(self.join(&controller, "a", connection, at: self.t0).decision)
        }
        XCTAssertEqual(decisions[0], .admitted(self.fresh("a", 1)))
        XCTAssertEqual(decisions[1], .admitted(self.fresh("a", 2)))
        XCTAssertEqual(decisions[2...].map(self.position), [1, 2, 3])
        XCTAssertEqual(controller.admitted(spaceID: "a"), 2)
        XCTAssertEqual(controller.tick(nowMicros: self.t0).admitted, [])
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + self.second / 4).admitted, [])
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + self.second / 2).admitted, [self.fresh("a", 3)])
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + self.second / 2).admitted, [])
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + self.second).admitted, [self.fresh("a", 4)])
        XCTAssertEqual(controller.position(spaceID: "a", connection: 5), 1)
        // A late tick gets what accrued, up to the burst, in order.
        XCTAssertEqual(self.position(self.join(&controller, "a", 6, at: self.t0 + self.second).decision), 2)
        XCTAssertEqual(self.position(self.join(&controller, "a", 7, at: self.t0 + self.second).decision), 3)
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 10 * self.second).admitted, [self.fresh("a", 5), self.fresh("a", 6)])
        XCTAssertEqual(controller.position(spaceID: "a", connection: 7), 1)
    }

    func testNewcomerWaitsBehindTheLineEvenWithAFreeSlot() {
        var controller = self.controller(self.configuration(), spaces: ["a": 1])
        _ = self.join(&controller, "a", 1, at: self.t0)
        _ = self.join(&controller, "a", 2, at: self.t0 + 1)
        controller.leave(spaceID: "a", connection: 1, listenerID: 1, hold: false, nowMicros: self.t0 + 2)
        // The slot is free until the next tick, but 2 is first in line.
        XCTAssertEqual(self.position(self.join(&controller, "a", 3, at: self.t0 + 3).decision), 2)
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 4).admitted, [self.fresh("a", 2)])
        XCTAssertEqual(controller.position(spaceID: "a", connection: 3), 1)
    }

    // MARK: Waiting room bounds and tickets

    func testFullWaitingRoomRefuses() {
        var controller = self.controller(self.configuration(waitingRoomSize: 3), spaces: ["a": 1])
        _ = self.join(&controller, "a", 1, at: self.t0)
        for connection: UInt64 in 2...4 {
            XCTAssertEqual(self.position(self.join(&controller, "a", connection, at: self.t0 + connection).decision), Int(connection) - 1)
        }
        XCTAssertFalse(controller.wouldAccept(spaceID: "a", arrivalMicros: self.t0 + 5))
        let refused = self.join(&controller, "a", 5, at: self.t0 + 5)
        XCTAssertEqual(refused, Controller.JoinResult(decision: .refused, bumped: nil))
        XCTAssertEqual(controller.waiting(spaceID: "a"), 3)
        XCTAssertNil(controller.position(spaceID: "a", connection: 5))
    }

    func testTicketHolderInAFullRoomBumpsTheLatestArrival() {
        var controller = self.controller(self.configuration(waitingRoomSize: 3), spaces: ["a": 1])
        _ = self.join(&controller, "a", 1, at: self.t0 + 100)
        for connection: UInt64 in 2...4 {
            _ = self.join(&controller, "a", connection, at: self.t0 + connection * 100)
        }
        // Ticket: arrived at 250, comes back at 1000.
        XCTAssertTrue(controller.wouldAccept(spaceID: "a", arrivalMicros: self.t0 + 250))
        XCTAssertFalse(controller.wouldAccept(spaceID: "a", arrivalMicros: self.t0 + 1_000))
        let result = controller.join(spaceID: "a", connection: 9, arrivalMicros: self.t0 + 250, nowMicros: self.t0 + 1_000)
        XCTAssertEqual(result.bumped, 4)
        XCTAssertEqual(self.position(result.decision), 2)
        XCTAssertEqual(controller.position(spaceID: "a", connection: 2), 1)
        XCTAssertEqual(controller.position(spaceID: "a", connection: 9), 2)
        XCTAssertEqual(controller.position(spaceID: "a", connection: 3), 3)
        XCTAssertNil(controller.position(spaceID: "a", connection: 4))
        XCTAssertEqual(controller.waiting(spaceID: "a"), 3)
        // In line ahead of 3: admitted before it.
        controller.leave(spaceID: "a", connection: 1, listenerID: 1, hold: false, nowMicros: self.t0 + 2_000)
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 2_000).admitted, [self.fresh("a", 2)])
        controller.leave(spaceID: "a", connection: 2, listenerID: 2, hold: false, nowMicros: self.t0 + 3_000)
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 3_000).admitted, [self.fresh("a", 9)])
    }

    func testEarlyTicketHolderWithAFreeSlotAndEmptyLineIsAdmittedAtOnce() {
        var controller = self.controller(self.configuration(), spaces: ["a": 2])
        _ = self.join(&controller, "a", 1, at: self.t0 + self.second)
        let result = controller.join(spaceID: "a", connection: 2, arrivalMicros: self.t0, nowMicros: self.t0 + 2 * self.second)
        XCTAssertEqual(result, Controller.JoinResult(decision: .admitted(self.fresh("a", 2)), bumped: nil))
        XCTAssertEqual(controller.admitted(spaceID: "a"), 2)
        XCTAssertEqual(controller.waiting(spaceID: "a"), 0)
    }

    func testTicketHolderAheadOfTheLineTakesAFreeSlotAtOnce() {
        var controller = self.controller(self.configuration(), spaces: ["a": 1])
        _ = self.join(&controller, "a", 1, at: self.t0 + 100)
        _ = self.join(&controller, "a", 2, at: self.t0 + 200)
        controller.leave(spaceID: "a", connection: 1, listenerID: 1, hold: false, nowMicros: self.t0 + 300)
        // Before the tick, a ticket holder who arrived before 2 comes back: first in line, slot free.
        let result = controller.join(spaceID: "a", connection: 9, arrivalMicros: self.t0 + 150, nowMicros: self.t0 + 400)
        XCTAssertEqual(result, Controller.JoinResult(decision: .admitted(self.fresh("a", 9)), bumped: nil))
        XCTAssertEqual(controller.position(spaceID: "a", connection: 2), 1)
        XCTAssertNil(controller.position(spaceID: "a", connection: 9))
        XCTAssertEqual(controller.admitted(spaceID: "a"), 1)
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 500).admitted, [])
    }

    /// A ticket holder who is let straight in does not keep a place in line, so nobody needs to
    /// lose theirs to make room for it.
    func testTicketHolderLetStraightInBumpsNobody() {
        var controller = self.controller(self.configuration(waitingRoomSize: 1), spaces: ["a": 1])
        _ = self.join(&controller, "a", 1, at: self.t0 + 100)
        _ = self.join(&controller, "a", 2, at: self.t0 + 200)
        controller.leave(spaceID: "a", connection: 1, listenerID: 1, hold: false, nowMicros: self.t0 + 300)
        let result = controller.join(spaceID: "a", connection: 9, arrivalMicros: self.t0 + 150, nowMicros: self.t0 + 400)
        XCTAssertEqual(result.decision, .admitted(self.fresh("a", 9)))
        XCTAssertNil(result.bumped, "connection 2 lost its place although 9 never stayed in line")
        XCTAssertEqual(controller.position(spaceID: "a", connection: 2), 1)
    }

    // MARK: Resume

    func testResumeWithinGraceKeepsTheSlot() {
        // Join rate 1/s, burst 2: exhausted by the first two admissions.
        var controller = self.controller(
            self.configuration(joinsPerSecond: 1, joinBurst: 2, resumeGraceMicros: 10 * self.second), spaces: ["a": 2]
        )
        _ = self.join(&controller, "a", 1, at: self.t0)
        _ = self.join(&controller, "a", 2, at: self.t0)
        XCTAssertEqual(self.position(self.join(&controller, "a", 3, at: self.t0).decision), 1)

        controller.leave(spaceID: "a", connection: 1, listenerID: 1, hold: true, nowMicros: self.t0 + self.second)
        XCTAssertEqual(controller.nodeOccupied, 2)
        XCTAssertEqual(controller.admitted(spaceID: "a"), 1)
        XCTAssertEqual(controller.held(spaceID: "a"), 1)
        XCTAssertTrue(controller.holdsSlot(spaceID: "a", listenerID: 1))
        XCTAssertFalse(controller.holdsSlot(spaceID: "a", listenerID: 3))
        // The held slot is not given away, though a join token has accrued by now.
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 5 * self.second).admitted, [])
        XCTAssertEqual(controller.position(spaceID: "a", connection: 3), 1)
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 11 * self.second - 1).admitted, [])

        // Back (new connection 7) just before the deadline, with 3 waiting: straight in, same listener.
        let result = controller.join(
            spaceID: "a", connection: 7, arrivalMicros: self.t0 + 11 * self.second - 1, resuming: 1, nowMicros: self.t0 + 11 * self.second - 1
        )
        XCTAssertEqual(
            result,
            Controller.JoinResult(decision: .admitted(Controller.Admission(spaceID: "a", connection: 7, listenerID: 1, resumed: true, replaced: nil)), bumped: nil)
        )
        XCTAssertEqual(controller.held(spaceID: "a"), 0)
        XCTAssertEqual(controller.admitted(spaceID: "a"), 2)
        XCTAssertEqual(controller.nodeOccupied, 2)
        XCTAssertEqual(controller.position(spaceID: "a", connection: 3), 1)
        // The deadline passing no longer matters.
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 20 * self.second).admitted, [])
        XCTAssertEqual(controller.nodeOccupied, 2)
        // The resumed connection leaves under the listener id; its slot then goes to 3.
        controller.leave(spaceID: "a", connection: 7, listenerID: 1, hold: false, nowMicros: self.t0 + 21 * self.second)
        XCTAssertEqual(controller.nodeOccupied, 1)
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 21 * self.second).admitted, [self.fresh("a", 3)])
    }

    func testResumeIgnoresAnExhaustedJoinRate() {
        var controller = self.controller(self.configuration(joinsPerSecond: 1, joinBurst: 1), spaces: ["a": 5])
        _ = self.join(&controller, "a", 1, at: self.t0)
        controller.leave(spaceID: "a", connection: 1, listenerID: 1, hold: true, nowMicros: self.t0)
        // No token left for a fresh join...
        XCTAssertEqual(self.position(self.join(&controller, "a", 2, at: self.t0).decision), 1)
        // ...but a resume needs none.
        let result = controller.join(spaceID: "a", connection: 3, arrivalMicros: self.t0, resuming: 1, nowMicros: self.t0)
        XCTAssertEqual(result.decision, .admitted(Controller.Admission(spaceID: "a", connection: 3, listenerID: 1, resumed: true, replaced: nil)))
        // And it took no token: the next one is still due at +1 s.
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + self.second / 2).admitted, [])
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + self.second).admitted, [self.fresh("a", 2)])
    }

    func testResumeAfterGraceIsAFreshArrival() {
        var controller = self.controller(self.configuration(resumeGraceMicros: 10 * self.second), spaces: ["a": 2])
        _ = self.join(&controller, "a", 1, at: self.t0)
        _ = self.join(&controller, "a", 2, at: self.t0)
        _ = self.join(&controller, "a", 3, at: self.t0)
        controller.leave(spaceID: "a", connection: 1, listenerID: 1, hold: true, nowMicros: self.t0 + self.second)
        // The deadline is leave + grace = t0 + 11 s: the tick there frees the slot and lets 3 in.
        let tick = controller.tick(nowMicros: self.t0 + 11 * self.second)
        XCTAssertEqual(tick.admitted, [self.fresh("a", 3)])
        XCTAssertEqual(controller.held(spaceID: "a"), 0)
        XCTAssertEqual(controller.nodeOccupied, 2)
        XCTAssertFalse(controller.holdsSlot(spaceID: "a", listenerID: 1))
        // Too late: waits like anyone (the Space is full again).
        let late = controller.join(spaceID: "a", connection: 7, arrivalMicros: self.t0 + 12 * self.second, resuming: 1, nowMicros: self.t0 + 12 * self.second)
        XCTAssertEqual(late.decision, .waiting(position: 1, etaSeconds: controller.eta(spaceID: "a", position: 1, nowMicros: self.t0 + 12 * self.second)))
        XCTAssertEqual(controller.position(spaceID: "a", connection: 7), 1)
        XCTAssertEqual(controller.admitted(spaceID: "a"), 2)
    }

    func testResumeAfterGraceWithRoomIsAFreshAdmission() {
        var controller = self.controller(self.configuration(resumeGraceMicros: 10 * self.second), spaces: ["a": 2])
        _ = self.join(&controller, "a", 1, at: self.t0)
        controller.leave(spaceID: "a", connection: 1, listenerID: 1, hold: true, nowMicros: self.t0)
        _ = controller.tick(nowMicros: self.t0 + 10 * self.second)
        XCTAssertEqual(controller.nodeOccupied, 0)
        let result = controller.join(spaceID: "a", connection: 7, arrivalMicros: self.t0 + 11 * self.second, resuming: 1, nowMicros: self.t0 + 11 * self.second)
        // A new listener id (its own connection number), not resumed.
        XCTAssertEqual(result.decision, .admitted(self.fresh("a", 7)))
        XCTAssertEqual(controller.nodeOccupied, 1)
    }

    /// The slot is kept for the grace period, not until whenever the next tick happens to run.
    func testResumeAfterTheDeadlineIsNotHonouredEvenBeforeATick() {
        var controller = self.controller(self.configuration(resumeGraceMicros: 10 * self.second), spaces: ["a": 1])
        _ = self.join(&controller, "a", 1, at: self.t0)
        _ = self.join(&controller, "a", 2, at: self.t0)
        controller.leave(spaceID: "a", connection: 1, listenerID: 1, hold: true, nowMicros: self.t0)
        // 2 has been waiting for the slot since the deadline (t0 + 10 s); no tick ran yet.
        let now = self.t0 + 10 * self.second + 1
        let result = controller.join(spaceID: "a", connection: 7, arrivalMicros: now, resuming: 1, nowMicros: now)
        XCTAssertNotEqual(
            result.decision,
            .admitted(Controller.Admission(spaceID: "a", connection: 7, listenerID: 1, resumed: true, replaced: nil)),
            "resumed past the grace deadline"
        )
        XCTAssertEqual(controller.tick(nowMicros: now).admitted, [self.fresh("a", 2)])
    }

    func testResumeWhileTheOldConnectionIsStillActive() {
        var controller = self.controller(self.configuration(), spaces: ["a": 1])
        _ = self.join(&controller, "a", 1, at: self.t0)
        _ = self.join(&controller, "a", 2, at: self.t0)
        let result = controller.join(spaceID: "a", connection: 5, arrivalMicros: self.t0 + 1, resuming: 1, nowMicros: self.t0 + 1)
        XCTAssertEqual(
            result,
            Controller.JoinResult(decision: .admitted(Controller.Admission(spaceID: "a", connection: 5, listenerID: 1, resumed: true, replaced: 1)), bumped: nil)
        )
        XCTAssertEqual(controller.admitted(spaceID: "a"), 1)
        XCTAssertEqual(controller.nodeOccupied, 1)
        // The old socket's late goodbye frees nothing.
        controller.leave(spaceID: "a", connection: 1, listenerID: 1, hold: false, nowMicros: self.t0 + 2)
        XCTAssertEqual(controller.nodeOccupied, 1)
        XCTAssertEqual(controller.admitted(spaceID: "a"), 1)
        XCTAssertTrue(controller.holdsSlot(spaceID: "a", listenerID: 1))
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 3).admitted, [])
        XCTAssertEqual(controller.position(spaceID: "a", connection: 2), 1)
        // Nor does a late drop with hold.
        controller.leave(spaceID: "a", connection: 1, listenerID: 1, hold: true, nowMicros: self.t0 + 4)
        XCTAssertEqual(controller.held(spaceID: "a"), 0)
        XCTAssertEqual(controller.admitted(spaceID: "a"), 1)
        // The new one's goodbye does.
        controller.leave(spaceID: "a", connection: 5, listenerID: 1, hold: false, nowMicros: self.t0 + 5)
        XCTAssertEqual(controller.nodeOccupied, 0)
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 6).admitted, [self.fresh("a", 2)])
    }

    // MARK: Leaving, closing

    func testLeaveOfAWaitingConnectionRemovesItFromLine() {
        var controller = self.controller(self.configuration(), spaces: ["a": 1])
        for connection: UInt64 in 1...4 {
            _ = self.join(&controller, "a", connection, at: self.t0 + connection)
        }
        controller.leave(spaceID: "a", connection: 3, listenerID: 3, hold: true, nowMicros: self.t0 + 10)
        XCTAssertNil(controller.position(spaceID: "a", connection: 3))
        XCTAssertEqual(controller.position(spaceID: "a", connection: 2), 1)
        XCTAssertEqual(controller.position(spaceID: "a", connection: 4), 2)
        XCTAssertEqual(controller.waiting(spaceID: "a"), 2)
        XCTAssertEqual(controller.held(spaceID: "a"), 0)
        XCTAssertEqual(controller.nodeOccupied, 1)
        // Unknown Space or connection: nothing happens.
        controller.leave(spaceID: "nope", connection: 2, listenerID: 2, hold: false, nowMicros: self.t0 + 11)
        controller.leave(spaceID: "a", connection: 99, listenerID: 99, hold: false, nowMicros: self.t0 + 11)
        XCTAssertEqual(controller.waiting(spaceID: "a"), 2)
        XCTAssertEqual(controller.nodeOccupied, 1)
    }

    func testCloseReturnsEveryConnectionAndFreesNodeSlots() {
        var controller = self.controller(self.configuration(nodeCapacity: 4), spaces: ["a": 3, "b": 3])
        for connection: UInt64 in 1...5 {
            _ = self.join(&controller, "a", connection, at: self.t0 + connection)
        }
        controller.leave(spaceID: "a", connection: 3, listenerID: 3, hold: true, nowMicros: self.t0 + 10)
        _ = self.join(&controller, "b", 6, at: self.t0 + 11)
        _ = self.join(&controller, "b", 7, at: self.t0 + 12)
        XCTAssertEqual(controller.nodeOccupied, 4)
        XCTAssertEqual(controller.position(spaceID: "b", connection: 7), 1)

        let closed = controller.close(spaceID: "a")
        XCTAssertEqual(Set(closed), [1, 2, 4, 5])
        XCTAssertEqual(closed.count, 4)
        XCTAssertEqual(controller.nodeOccupied, 1)
        XCTAssertEqual(controller.admitted(spaceID: "a"), 0)
        XCTAssertEqual(controller.waiting(spaceID: "a"), 0)
        XCTAssertEqual(controller.totalWaiting, 1)
        XCTAssertFalse(controller.holdsSlot(spaceID: "a", listenerID: 3))
        XCTAssertFalse(controller.wouldAccept(spaceID: "a", arrivalMicros: self.t0))
        XCTAssertEqual(self.join(&controller, "a", 8, at: self.t0 + 20), Controller.JoinResult(decision: .refused, bumped: nil))
        XCTAssertEqual(controller.close(spaceID: "a"), [])
        // The freed node slots go to "b".
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 21).admitted, [self.fresh("b", 7)])
        // Reopening works.
        controller.open(spaceID: "a", capacity: 1)
        XCTAssertEqual(self.join(&controller, "a", 9, at: self.t0 + 22).decision, .admitted(self.fresh("a", 9)))
    }

    func testUnknownSpace() {
        var controller = self.controller(self.configuration(), spaces: ["a": 1])
        XCTAssertEqual(self.join(&controller, "b", 1, at: self.t0).decision, .refused)
        XCTAssertFalse(controller.wouldAccept(spaceID: "b", arrivalMicros: self.t0))
        XCTAssertFalse(controller.holdsSlot(spaceID: "b", listenerID: 1))
        XCTAssertNil(controller.position(spaceID: "b", connection: 1))
        XCTAssertNil(controller.eta(spaceID: "b", position: 1, nowMicros: self.t0))
        XCTAssertEqual(controller.admitted(spaceID: "b"), 0)
        XCTAssertEqual(controller.nodeOccupied, 0)
    }

    // MARK: wouldAccept

    func testWouldAcceptAgreesWithJoin() {
        var controller = self.controller(self.configuration(nodeCapacity: 3, waitingRoomSize: 2), spaces: ["a": 2, "b": 5])
        func check(_ spaceID: String, _ connection: UInt64, arrival: UInt64, expected: Bool, _ line: UInt = #line) {
            XCTAssertEqual(controller.wouldAccept(spaceID: spaceID, arrivalMicros: arrival), expected, line: line)
            let result = controller.join(spaceID: spaceID, connection: connection, arrivalMicros: arrival, nowMicros: self.t0 + 1_000)
            XCTAssertEqual(result.decision != .refused, expected, line: line)
        }
        // Empty line, free slot.
        check("a", 1, arrival: self.t0 + 1, expected: true)
        check("a", 2, arrival: self.t0 + 2, expected: true)
        // Space full, room not full.
        check("a", 3, arrival: self.t0 + 3, expected: true)
        check("a", 4, arrival: self.t0 + 4, expected: true)
        // Room full: later arrivals no, an earlier one yes (bumping 4).
        check("a", 5, arrival: self.t0 + 5, expected: false)
        check("a", 6, arrival: self.t0 + 4, expected: false)
        check("a", 7, arrival: self.t0 + 3, expected: true)
        XCTAssertNil(controller.position(spaceID: "a", connection: 4))
        // Node full (a holds 2, b gets 1), Space "b" has room: waits.
        check("b", 8, arrival: self.t0 + 8, expected: true)
        check("b", 9, arrival: self.t0 + 9, expected: true)
        XCTAssertEqual(controller.admitted(spaceID: "b"), 1)
        XCTAssertEqual(controller.position(spaceID: "b", connection: 9), 1)
    }

    func testWouldAcceptWithNoWaitingRoom() {
        var controller = self.controller(self.configuration(waitingRoomSize: 0), spaces: ["a": 1])
        XCTAssertTrue(controller.wouldAccept(spaceID: "a", arrivalMicros: self.t0))
        _ = self.join(&controller, "a", 1, at: self.t0)
        XCTAssertFalse(controller.wouldAccept(spaceID: "a", arrivalMicros: self.t0))
        XCTAssertFalse(controller.wouldAccept(spaceID: "a", arrivalMicros: 0))
        XCTAssertEqual(self.join(&controller, "a", 2, at: self.t0).decision, .refused)
    }

    // MARK: ETA

    func testETAIsNilBeforeAnyAdmission() {
        var controller = self.controller(self.configuration(), spaces: ["a": 0, "b": 1])
        XCTAssertNil(controller.eta(spaceID: "a", position: 1, nowMicros: self.t0))
        let result = self.join(&controller, "a", 1, at: self.t0)
        XCTAssertEqual(result.decision, .waiting(position: 1, etaSeconds: nil))
        // One admission is no rate yet either.
        _ = self.join(&controller, "b", 2, at: self.t0)
        XCTAssertEqual(self.eta(self.join(&controller, "b", 3, at: self.t0 + self.second).decision), .some(nil))
        XCTAssertNil(controller.eta(spaceID: "b", position: 1, nowMicros: self.t0 + self.second))
    }

    /// Ten admissions 100 ms apart (10/s) into a Space of 10, with 20 still waiting.
    private func tenAdmissionsAtTenPerSecond() -> (Controller, lastTick: (admitted: [Controller.Admission], updates: [Controller.PositionUpdate])) {
        var controller = self.controller(
            self.configuration(joinsPerSecond: 10, joinBurst: 1, positionUpdateMicros: 100_000), spaces: ["a": 10]
        )
        for connection: UInt64 in 1...30 {
            _ = self.join(&controller, "a", connection, at: self.t0)
        }
        var last = controller.tick(nowMicros: self.t0)
        for step: UInt64 in 1...9 {
            last = controller.tick(nowMicros: self.t0 + step * 100_000)
            XCTAssertEqual(last.admitted, [self.fresh("a", step + 1)], "step \(step)")
        }
        XCTAssertEqual(controller.admitted(spaceID: "a"), 10)
        XCTAssertEqual(controller.waiting(spaceID: "a"), 20)
        return (controller, last)
    }

    func testETAFromTheObservedAdmissionRate() throws {
        let (controller, last) = self.tenAdmissionsAtTenPerSecond()
        let now = self.t0 + 900_000
        XCTAssertEqual(controller.eta(spaceID: "a", position: 20, nowMicros: now), 2)
        // Rounded up: 1.5 s → 2, 0.1 s → 1.
        XCTAssertEqual(controller.eta(spaceID: "a", position: 15, nowMicros: now), 2)
        XCTAssertEqual(controller.eta(spaceID: "a", position: 1, nowMicros: now), 1)
        // The last tick told connection 30 it is 20th, about 2 s away.
        let update = try XCTUnwrap(last.updates.first { $0.connection == 30 })
        XCTAssertEqual(update, Controller.PositionUpdate(spaceID: "a", connection: 30, position: 20, etaSeconds: 2))
        XCTAssertEqual(last.updates.map(\.connection), Array(11...30))
        XCTAssertEqual(last.updates.map(\.position), Array(1...20))
        // A newcomer's decision carries the ETA too.
        var copy = controller
        XCTAssertEqual(self.join(&copy, "a", 31, at: now).decision, .waiting(position: 21, etaSeconds: copy.eta(spaceID: "a", position: 21, nowMicros: now)))
        XCTAssertNotNil(copy.eta(spaceID: "a", position: 21, nowMicros: now))
    }

    /// At 10/s, position 21 is 2.1 s away: rounded up, 3; position 11 is 1.1 s: 2.
    func testETARoundsUpFromTheTrueRate() {
        let (controller, _) = self.tenAdmissionsAtTenPerSecond()
        let now = self.t0 + 900_000
        XCTAssertEqual(controller.eta(spaceID: "a", position: 21, nowMicros: now), 3)
        XCTAssertEqual(controller.eta(spaceID: "a", position: 11, nowMicros: now), 2)
    }

    /// A full Space whose places free slowly (one every 6 s, as when its listeners are evicted
    /// one by one): the ETA a newcomer is given is within a factor of 2 of the wait it then has,
    /// however fast the Space filled at first.
    func testETAIsWithinAFactorOfTwoOfTheWaitWhenPlacesFreeSlowly() throws {
        var controller = self.controller(self.configuration(waitingRoomSize: 1_000), spaces: ["a": 100])
        // Filled in a second (straight in), then 30 wait.
        for connection: UInt64 in 1...100 { _ = self.join(&controller, "a", connection, at: self.t0 + connection * 10_000) }
        for connection: UInt64 in 101...130 { _ = self.join(&controller, "a", connection, at: self.t0 + self.second) }
        var now = self.t0 + self.second
        var inside = Array(UInt64(1)...100)
        var admittedAt: [UInt64: UInt64] = [:]
        var told: [(connection: UInt64, eta: Int, at: UInt64)] = []
        var next: UInt64 = 131
        for step in 1...600 {
            now += self.second
            if step % 6 == 0 {
                let leaving = inside.removeFirst()
                controller.leave(spaceID: "a", connection: leaving, listenerID: leaving, hold: false, nowMicros: now)
            }
            for admission in controller.tick(nowMicros: now).admitted {
                admittedAt[admission.connection] = now
                inside.append(admission.connection)
            }
            // Newcomers at 20 s and then every 50 s, each told where it stands and how long.
            if step == 20 || step % 50 == 0 {
                let result = self.join(&controller, "a", next, at: now)
                switch result.decision {
                case .waiting(_, let eta?): told.append((next, eta, now))
                case .admitted: inside.append(next)
                default: break
                }
                next += 1
            }
        }
        XCTAssertGreaterThanOrEqual(told.count, 3)
        var checked = 0
        for (connection, eta, at) in told {
            guard let admitted = admittedAt[connection] else { continue }
            let waited = Double(admitted - at) / 1_000_000
            XCTAssertLessThanOrEqual(Double(eta), 2 * waited, "connection \(connection): told \(eta) s, waited \(waited) s")
            XCTAssertGreaterThanOrEqual(Double(eta), waited / 2, "connection \(connection): told \(eta) s, waited \(waited) s")
            checked += 1
        }
        XCTAssertGreaterThanOrEqual(checked, 3, "those told an ETA got in within the run")
    }

    func testETAForgetsAStalledLine() {
        let (controller, _) = self.tenAdmissionsAtTenPerSecond()
        // Stopped after 0.9 s: the same place is told a longer wait as time passes.
        let soon = try! XCTUnwrap(controller.eta(spaceID: "a", position: 20, nowMicros: self.t0 + 2 * self.second))
        let later = try! XCTUnwrap(controller.eta(spaceID: "a", position: 20, nowMicros: self.t0 + 20 * self.second))
        XCTAssertGreaterThan(later, 2 * soon)
        // The default horizon is 60 s: with no admission since, no rate and no ETA.
        XCTAssertNotNil(controller.eta(spaceID: "a", position: 1, nowMicros: self.t0 + 30 * self.second))
        XCTAssertNil(controller.eta(spaceID: "a", position: 1, nowMicros: self.t0 + 120 * self.second))
    }

    func testConfigurationDefaults() {
        let configuration = Controller.Configuration(
            nodeCapacity: 7, joinsPerSecond: 3, joinBurst: 4, waitingRoomSize: 5, resumeGraceMicros: 6
        )
        XCTAssertEqual(configuration.positionUpdateMicros, 2_000_000)
        XCTAssertEqual(configuration.nodeCapacity, 7)
        XCTAssertEqual(configuration.joinsPerSecond, 3)
        XCTAssertEqual(configuration.joinBurst, 4)
        XCTAssertEqual(configuration.waitingRoomSize, 5)
        XCTAssertEqual(configuration.resumeGraceMicros, 6)
        let controller = Controller(configuration: configuration, nowMicros: self.t0)
        XCTAssertEqual(controller.configuration, configuration)
    }
}
