import SpacesCore
import XCTest

final class SlotLeaseTests: XCTestCase {
    func testAGrantCoversItsPeopleAtTheHeadOfTheLineWithinWhatTheOthersLeave() {
        let lease = SlotLease(occupied: 10, spare: 4)
        XCTAssertEqual(lease.need, 10)
        XCTAssertEqual(lease.grant(capacity: 100, othersLeased: 0, mineAmongFirst: 5, lineWaiting: 8), 15, "no spare while anyone waits")
        XCTAssertEqual(lease.grant(capacity: 100, othersLeased: 87, mineAmongFirst: 5, lineWaiting: 8), 13, "what the others leave")
    }

    func testASpareIsKeptOnlyWhileNobodyWaitsAnywhere() {
        let lease = SlotLease(occupied: 4, spare: 2)
        XCTAssertEqual(lease.grant(capacity: 10, othersLeased: 1, mineAmongFirst: 0, lineWaiting: 0), 6)
        XCTAssertEqual(lease.grant(capacity: 10, othersLeased: 1, mineAmongFirst: 0, lineWaiting: 3), 4, "the free slots go to those who wait")
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
