@testable import SpacesCore
import XCTest

/// The controller as one node's part of a Space's line across a cluster.
final class AdmissionControllerClusterTests: XCTestCase {
    private let t0: UInt64 = 1_700_000_000_000_000
    private let second: UInt64 = 1_000_000

    private func controller(room: Int = 10, grace: UInt64 = 30_000_000) -> AdmissionController {
        var controller = AdmissionController(
            configuration: .init(
                nodeCapacity: 1000, joinsPerSecond: 1000, joinBurst: 1000, waitingRoomSize: room, resumeGraceMicros: grace,
                positionUpdateMicros: 1_000_000, clustered: true
            ),
            nowMicros: self.t0
        )
        controller.open(spaceID: "s", capacity: 0)
        return controller
    }

    private func position(_ decision: AdmissionController.Decision) -> Int? {
        if case .waiting(let position, _) = decision { return position }
        return nil
    }

    func testTheLinesChangesAreKeptForTheClusterOnce() {
        var controller = self.controller()
        for connection: UInt64 in 1...3 {
            _ = controller.join(spaceID: "s", connection: connection, arrivalMicros: self.t0 + connection, nowMicros: self.t0 + connection)
        }
        controller.leave(spaceID: "s", connection: 2, listenerID: 2, hold: false, nowMicros: self.t0 + 10)
        let first = controller.takeChanges(spaceID: "s")
        XCTAssertEqual(first.changes.added, [1: self.t0 + 1, 3: self.t0 + 3], "2 came and went")
        XCTAssertEqual(first.arrivals, 3, "every fresh arrival counts, placed or let in")
        let second = controller.takeChanges(spaceID: "s")
        XCTAssertTrue(second.changes.isEmpty, "taken once")
        XCTAssertEqual(second.arrivals, 0)
        controller.setCapacity(spaceID: "s", capacity: 1)
        XCTAssertEqual(controller.tick(nowMicros: self.t0 + 20).admitted.map(\.connection), [1])
        XCTAssertEqual(controller.takeChanges(spaceID: "s").changes.removed, [1], "the admitted one leaves the line")
    }

    func testPositionsCountThePeopleAheadOnOtherNodes() {
        var controller = self.controller()
        _ = controller.apply(LineView(granted: 0, othersWaiting: 4), spaceID: "s", nowMicros: self.t0)
        let first = controller.join(spaceID: "s", connection: 1, arrivalMicros: self.t0 + 1, nowMicros: self.t0 + 1)
        XCTAssertEqual(self.position(first.decision), 5, "a newcomer stands behind everyone waiting elsewhere")
        let second = controller.join(spaceID: "s", connection: 2, arrivalMicros: self.t0 + 2, nowMicros: self.t0 + 2)
        XCTAssertEqual(self.position(second.decision), 6)
        // Redis ranked them: two of the others were in fact behind connection 1.
        _ = controller.apply(LineView(granted: 0, othersWaiting: 4, othersAhead: [1: 2, 2: 4]), spaceID: "s", nowMicros: self.t0 + 3)
        XCTAssertEqual(controller.position(spaceID: "s", connection: 1), 3)
        XCTAssertEqual(controller.position(spaceID: "s", connection: 2), 6)
        let updates = controller.tick(nowMicros: self.t0 + 3 * self.second).updates
        XCTAssertEqual(updates.map(\.connection), [1], "only the position that moved is announced")
        XCTAssertEqual(updates.first?.position, 3)
    }

    func testTheRoomHereIsTheLinesSizeLessTheOthersPlaces() {
        var controller = self.controller(room: 5)
        _ = controller.apply(LineView(granted: 0, othersWaiting: 3), spaceID: "s", nowMicros: self.t0)
        XCTAssertTrue(controller.wouldAccept(spaceID: "s", arrivalMicros: self.t0))
        _ = controller.join(spaceID: "s", connection: 1, arrivalMicros: self.t0 + 1, nowMicros: self.t0 + 1)
        _ = controller.join(spaceID: "s", connection: 2, arrivalMicros: self.t0 + 2, nowMicros: self.t0 + 2)
        XCTAssertFalse(controller.wouldAccept(spaceID: "s", arrivalMicros: self.t0 + 3), "3 elsewhere + 2 here fill 5")
        XCTAssertEqual(controller.join(spaceID: "s", connection: 3, arrivalMicros: self.t0 + 3, nowMicros: self.t0 + 3).decision, .refused)
    }

    func testWhomTheClustersLineHadNoPlaceForLeavesTheLineHere() {
        var controller = self.controller()
        _ = controller.join(spaceID: "s", connection: 1, arrivalMicros: self.t0 + 1, nowMicros: self.t0 + 1)
        _ = controller.join(spaceID: "s", connection: 2, arrivalMicros: self.t0 + 2, nowMicros: self.t0 + 2)
        let refused = controller.apply(LineView(granted: 0, othersWaiting: 9, refused: [2, 77]), spaceID: "s", nowMicros: self.t0 + 3)
        XCTAssertEqual(refused, [2], "only those still in line here")
        XCTAssertEqual(controller.waiting(spaceID: "s"), 1)
    }

    func testTheETACountsTheOtherNodesAdmissions() {
        var controller = self.controller()
        _ = controller.apply(LineView(granted: 0, othersWaiting: 9, othersAdmissionsPerSecond: 2), spaceID: "s", nowMicros: self.t0)
        XCTAssertEqual(controller.eta(spaceID: "s", position: 10, nowMicros: self.t0), 5, "10 ahead at 2 a second")
    }

    func testAHeldSlotIsToldToTheClusterAndGoesWhenAnotherNodeTookIt() {
        var controller = self.controller()
        controller.setCapacity(spaceID: "s", capacity: 2)
        _ = controller.join(spaceID: "s", connection: 1, arrivalMicros: self.t0, nowMicros: self.t0)
        _ = controller.takeChanges(spaceID: "s").changes
        controller.leave(spaceID: "s", connection: 1, listenerID: 1, hold: true, nowMicros: self.t0 + 1)
        XCTAssertEqual(controller.takeChanges(spaceID: "s").changes.held, [1: self.t0 + 1 + 30_000_000])
        XCTAssertEqual(controller.occupied(spaceID: "s"), 1)
        _ = controller.apply(LineView(granted: 2, movedAway: [1]), spaceID: "s", nowMicros: self.t0 + 2)
        XCTAssertEqual(controller.occupied(spaceID: "s"), 0, "the listener resumed on another node")
        XCTAssertEqual(controller.nodeOccupied, 0)
        XCTAssertFalse(controller.holdsSlot(spaceID: "s", listenerID: 1))
    }

    func testASlotMovedHereIsHeldForTheListenerThatResumes() {
        var controller = self.controller()
        let foreign: UInt64 = 7 << 32 | 42
        controller.adoptHeldSlot(spaceID: "s", listenerID: foreign, nowMicros: self.t0)
        XCTAssertTrue(controller.holdsSlot(spaceID: "s", listenerID: foreign))
        XCTAssertEqual(controller.capacity(spaceID: "s"), 1, "the slot came with it, and no more")
        let result = controller.join(spaceID: "s", connection: 5, arrivalMicros: self.t0, resuming: foreign, nowMicros: self.t0 + 1)
        XCTAssertEqual(result.decision, .admitted(.init(spaceID: "s", connection: 5, listenerID: foreign, resumed: true, replaced: nil)))
        XCTAssertEqual(controller.takeChanges(spaceID: "s").changes.released, [foreign], "no longer held: Redis forgets it")
    }

    func testASlotFreedWhileOthersWaitGoesBackToTheWholeLine() {
        var controller = self.controller()
        _ = controller.apply(LineView(granted: 1, othersWaiting: 0), spaceID: "s", nowMicros: self.t0)
        _ = controller.join(spaceID: "s", connection: 1, arrivalMicros: self.t0, nowMicros: self.t0)
        _ = controller.join(spaceID: "s", connection: 2, arrivalMicros: self.t0 + 1, nowMicros: self.t0 + 1)
        _ = controller.apply(LineView(granted: 1, othersWaiting: 1, othersAhead: [2: 1]), spaceID: "s", nowMicros: self.t0 + 2)
        controller.leave(spaceID: "s", connection: 1, listenerID: 1, hold: false, nowMicros: self.t0 + 3)
        XCTAssertTrue(controller.tick(nowMicros: self.t0 + 4).admitted.isEmpty, "one on another node stands ahead of 2")
        XCTAssertEqual(controller.capacity(spaceID: "s"), 0)
    }
}
