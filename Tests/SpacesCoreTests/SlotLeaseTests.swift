import SpacesCore
import XCTest

final class SlotLeaseTests: XCTestCase {
    func testAGrantCoversItsPeopleAtTheHeadOfTheLineWithinWhatTheOthersLeave() {
        let lease = SlotLease(occupied: 10, spare: 4)
        XCTAssertEqual(lease.need, 10)
        XCTAssertEqual(lease.grant(capacity: 100, othersLeased: 0, mineAmongFirst: 5, lineWaiting: 8), 19, "room for the whole line and the spare")
        XCTAssertEqual(lease.grant(capacity: 100, othersLeased: 87, mineAmongFirst: 5, lineWaiting: 8), 13, "what the others leave")
    }

    func testASpareComesOnlyOutOfWhatTheWholeLineLeaves() {
        let lease = SlotLease(occupied: 4, spare: 2)
        XCTAssertEqual(lease.grant(capacity: 10, othersLeased: 1, mineAmongFirst: 0, lineWaiting: 0), 6)
        XCTAssertEqual(lease.grant(capacity: 10, othersLeased: 1, mineAmongFirst: 0, lineWaiting: 3), 6, "3 waiting elsewhere, 5 free: 2 left")
        XCTAssertEqual(lease.grant(capacity: 10, othersLeased: 1, mineAmongFirst: 0, lineWaiting: 4), 5, "1 left after the line")
        XCTAssertEqual(lease.grant(capacity: 10, othersLeased: 1, mineAmongFirst: 0, lineWaiting: 5), 4, "the free slots go to those who wait")
        XCTAssertEqual(lease.grant(capacity: 10, othersLeased: 1, mineAmongFirst: 2, lineWaiting: 5), 6, "its own among them first")
    }

    func testASpareIsAtMostThisNodesShareOfWhatIsLeft() {
        let lease = SlotLease(occupied: 0, spare: 800)
        XCTAssertEqual(lease.grant(capacity: 1000, othersLeased: 0, mineAmongFirst: 0, lineWaiting: 0, liveNodes: 1), 800)
        XCTAssertEqual(lease.grant(capacity: 1000, othersLeased: 0, mineAmongFirst: 0, lineWaiting: 0, liveNodes: 4), 250, "room for the others' arrivals")
        XCTAssertEqual(lease.grant(capacity: 1000, othersLeased: 600, mineAmongFirst: 0, lineWaiting: 100, liveNodes: 2), 150)
    }

    func testTheSpareFollowsTheArrivalsWithinTheJoinRate() {
        XCTAssertEqual(SlotLease.spare(configured: 16, arrivalsLastSync: 0, joinsPerSync: 400), 16, "the configured floor")
        XCTAssertEqual(SlotLease.spare(configured: 16, arrivalsLastSync: 250, joinsPerSync: 400), 500, "two syncs' worth of arrivals")
        XCTAssertEqual(SlotLease.spare(configured: 16, arrivalsLastSync: 3000, joinsPerSync: 400), 800, "no more than the join rate admits in two")
        XCTAssertEqual(SlotLease.spare(configured: 1000, arrivalsLastSync: 3000, joinsPerSync: 400), 1000, "the configured floor stands")
    }

    func testNobodyAdmittedIsEverLetGo() {
        let lease = SlotLease(occupied: 10, spare: 4)
        XCTAssertEqual(lease.grant(capacity: 100, othersLeased: 100, mineAmongFirst: 3, lineWaiting: 3), 10)
        XCTAssertEqual(SlotLease(occupied: 0, spare: 1).grant(capacity: 5, othersLeased: 9, mineAmongFirst: 2, lineWaiting: 2), 0)
    }

    func testTheFreeSlotsAreTheCapacityLessWhatEveryNodeOccupies() {
        XCTAssertEqual(SlotLease.free(capacity: 10, occupiedEverywhere: 7), 3)
        XCTAssertEqual(SlotLease.free(capacity: 10, occupiedEverywhere: 12), 0)
    }

    func testAnAdmissionControllerFillsOnlyItsLease() {
        var controller = AdmissionController(
            configuration: .init(nodeCapacity: 1000, joinsPerSecond: 1000, joinBurst: 1000, waitingRoomSize: 100, resumeGraceMicros: 0, positionUpdateMicros: 1_000_000),
            nowMicros: 0
        )
        controller.open(spaceID: "s", capacity: 0)
        for connection in 1...5 {
            _ = controller.join(spaceID: "s", connection: UInt64(connection), arrivalMicros: UInt64(connection), resuming: nil, nowMicros: 10)
        }
        XCTAssertEqual(controller.admitted(spaceID: "s"), 0)
        XCTAssertEqual(controller.waiting(spaceID: "s"), 5)
        controller.setCapacity(spaceID: "s", capacity: 3)
        let (admitted, _) = controller.tick(nowMicros: 20)
        XCTAssertEqual(admitted.map(\.connection), [1, 2, 3], "in arrival order")
        XCTAssertEqual(controller.occupied(spaceID: "s"), 3)
        controller.setCapacity(spaceID: "s", capacity: 1)
        XCTAssertEqual(controller.admitted(spaceID: "s"), 3, "a smaller lease lets nobody go")
        XCTAssertTrue(controller.tick(nowMicros: 30).admitted.isEmpty)
    }
}
