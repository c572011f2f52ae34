import XCTest

@testable import SpacesCore

final class WaitingRoomTests: XCTestCase {
    private let t0: UInt64 = 1_700_000_000_000_000

    private func order(_ room: WaitingRoom) -> [UInt64] { room.entries.map(\.connection) }

    private func updates(_ list: [(connection: UInt64, position: Int)]) -> [[UInt64]] {
        list.map { [$0.connection, UInt64($0.position)] }
    }

    func testEmptyRoom() {
        var room = WaitingRoom(capacity: 3)
        XCTAssertEqual(room.capacity, 3)
        XCTAssertTrue(room.isEmpty)
        XCTAssertFalse(room.isFull)
        XCTAssertEqual(room.count, 0)
        XCTAssertNil(room.first)
        XCTAssertNil(room.popFirst())
        XCTAssertNil(room.position(of: 1))
        XCTAssertFalse(room.remove(connection: 1))
        XCTAssertTrue(room.accepts(arrivalMicros: self.t0))
        XCTAssertEqual(room.removeAll(), [])
    }

    func testFirstInFirstOutByArrival() {
        var room = WaitingRoom(capacity: 10)
        XCTAssertEqual(room.enter(connection: 11, arrivalMicros: self.t0 + 100, nowMicros: self.t0 + 100), .placed(position: 1))
        XCTAssertEqual(room.enter(connection: 12, arrivalMicros: self.t0 + 200, nowMicros: self.t0 + 200), .placed(position: 2))
        XCTAssertEqual(room.enter(connection: 13, arrivalMicros: self.t0 + 300, nowMicros: self.t0 + 300), .placed(position: 3))
        XCTAssertEqual(self.order(room), [11, 12, 13])
        XCTAssertEqual(room.count, 3)
        XCTAssertEqual(room.first?.connection, 11)
        XCTAssertEqual(room.first?.arrivalMicros, self.t0 + 100)
        XCTAssertEqual(room.position(of: 12), 2)
        XCTAssertEqual(room.popFirst()?.connection, 11)
        XCTAssertEqual(room.popFirst()?.connection, 12)
        XCTAssertEqual(room.position(of: 13), 1)
        XCTAssertEqual(room.popFirst()?.connection, 13)
        XCTAssertNil(room.popFirst())
        XCTAssertTrue(room.isEmpty)
    }

    func testEqualArrivalsKeepEntryOrder() {
        var room = WaitingRoom(capacity: 10)
        for connection: UInt64 in [5, 3, 9, 1] {
            _ = room.enter(connection: connection, arrivalMicros: self.t0, nowMicros: self.t0)
        }
        XCTAssertEqual(self.order(room), [5, 3, 9, 1])
        // Another one with the same arrival goes after them all.
        XCTAssertEqual(room.enter(connection: 7, arrivalMicros: self.t0, nowMicros: self.t0 + 5), .placed(position: 5))
        // Same arrival as the first of two groups: after that group, before the later one.
        _ = room.enter(connection: 20, arrivalMicros: self.t0 + 10, nowMicros: self.t0 + 10)
        XCTAssertEqual(room.enter(connection: 8, arrivalMicros: self.t0, nowMicros: self.t0 + 20), .placed(position: 6))
        XCTAssertEqual(self.order(room), [5, 3, 9, 1, 7, 8, 20])
    }

    func testEarlierArrivalStandsAheadOfLaterOnes() {
        var room = WaitingRoom(capacity: 10)
        _ = room.enter(connection: 1, arrivalMicros: self.t0 + 100, nowMicros: self.t0 + 100)
        _ = room.enter(connection: 2, arrivalMicros: self.t0 + 300, nowMicros: self.t0 + 300)
        _ = room.enter(connection: 3, arrivalMicros: self.t0 + 400, nowMicros: self.t0 + 400)
        // A ticket holder who arrived at 200 comes back at 500.
        XCTAssertEqual(room.enter(connection: 4, arrivalMicros: self.t0 + 200, nowMicros: self.t0 + 500), .placed(position: 2))
        XCTAssertEqual(self.order(room), [1, 4, 2, 3])
        // Earliest of all goes first.
        XCTAssertEqual(room.enter(connection: 5, arrivalMicros: self.t0, nowMicros: self.t0 + 600), .placed(position: 1))
        XCTAssertEqual(self.order(room), [5, 1, 4, 2, 3])
        XCTAssertEqual(room.position(of: 3), 5)
        XCTAssertEqual(room.popFirst()?.connection, 5)
    }

    func testFullRoomRefusesALaterArrival() {
        var room = WaitingRoom(capacity: 3)
        for (index, connection) in [UInt64(1), 2, 3].enumerated() {
            _ = room.enter(connection: connection, arrivalMicros: self.t0 + UInt64(index + 1) * 100, nowMicros: self.t0)
        }
        XCTAssertTrue(room.isFull)
        XCTAssertEqual(room.enter(connection: 4, arrivalMicros: self.t0 + 400, nowMicros: self.t0 + 400), .full)
        // Equal to the last is not earlier.
        XCTAssertEqual(room.enter(connection: 5, arrivalMicros: self.t0 + 300, nowMicros: self.t0 + 400), .full)
        XCTAssertEqual(self.order(room), [1, 2, 3])
        XCTAssertNil(room.position(of: 4))
        XCTAssertNil(room.position(of: 5))
    }

    func testFullRoomTakesAnEarlierArrivalByBumpingTheLast() {
        var room = WaitingRoom(capacity: 3)
        for (index, connection) in [UInt64(1), 2, 3].enumerated() {
            _ = room.enter(connection: connection, arrivalMicros: self.t0 + UInt64(index + 1) * 100, nowMicros: self.t0)
        }
        XCTAssertEqual(
            room.enter(connection: 6, arrivalMicros: self.t0 + 150, nowMicros: self.t0 + 1_000),
            .placedBumping(position: 2, bumped: 3)
        )
        XCTAssertEqual(self.order(room), [1, 6, 2])
        XCTAssertEqual(room.count, 3)
        XCTAssertNil(room.position(of: 3))
        // Just before the (new) last one: bumps it and takes the last place.
        XCTAssertEqual(
            room.enter(connection: 7, arrivalMicros: self.t0 + 199, nowMicros: self.t0 + 1_000),
            .placedBumping(position: 3, bumped: 2)
        )
        XCTAssertEqual(self.order(room), [1, 6, 7])
        // Ahead of everyone.
        XCTAssertEqual(
            room.enter(connection: 8, arrivalMicros: self.t0, nowMicros: self.t0 + 1_000),
            .placedBumping(position: 1, bumped: 7)
        )
        XCTAssertEqual(self.order(room), [8, 1, 6])
    }

    func testAcceptsAgreesWithEnter() {
        var room = WaitingRoom(capacity: 3)
        for arrival: UInt64 in [100, 200, 300] {
            XCTAssertTrue(room.accepts(arrivalMicros: self.t0 + 1_000_000))  // not full yet: anyone
            _ = room.enter(connection: arrival, arrivalMicros: self.t0 + arrival, nowMicros: self.t0)
        }
        for arrival: UInt64 in [0, 50, 150, 299, 300, 301, 10_000] {
            var copy = room
            let entered = copy.enter(connection: 99, arrivalMicros: self.t0 + arrival, nowMicros: self.t0)
            XCTAssertEqual(room.accepts(arrivalMicros: self.t0 + arrival), entered != .full, "arrival \(arrival)")
        }
        XCTAssertTrue(room.accepts(arrivalMicros: self.t0 + 299))
        XCTAssertFalse(room.accepts(arrivalMicros: self.t0 + 300))
    }

    func testZeroCapacityRoomTakesNobody() {
        var room = WaitingRoom(capacity: 0)
        XCTAssertTrue(room.isFull)
        XCTAssertFalse(room.accepts(arrivalMicros: 0))
        XCTAssertEqual(room.enter(connection: 1, arrivalMicros: 0, nowMicros: self.t0), .full)
        XCTAssertTrue(room.isEmpty)
    }

    func testRemoveFromTheMiddleShiftsPositions() {
        var room = WaitingRoom(capacity: 10)
        for connection: UInt64 in 1...5 {
            _ = room.enter(connection: connection, arrivalMicros: self.t0 + connection, nowMicros: self.t0)
        }
        XCTAssertTrue(room.remove(connection: 3))
        XCTAssertFalse(room.remove(connection: 3))
        XCTAssertFalse(room.remove(connection: 42))
        XCTAssertEqual(self.order(room), [1, 2, 4, 5])
        XCTAssertEqual(room.position(of: 1), 1)
        XCTAssertEqual(room.position(of: 2), 2)
        XCTAssertNil(room.position(of: 3))
        XCTAssertEqual(room.position(of: 4), 3)
        XCTAssertEqual(room.position(of: 5), 4)
        XCTAssertTrue(room.remove(connection: 1))
        XCTAssertEqual(room.first?.connection, 2)
        XCTAssertTrue(room.remove(connection: 5))
        XCTAssertEqual(self.order(room), [2, 4])
    }

    func testRemovalFreesRoomForALaterArrival() {
        var room = WaitingRoom(capacity: 2)
        _ = room.enter(connection: 1, arrivalMicros: self.t0 + 1, nowMicros: self.t0)
        _ = room.enter(connection: 2, arrivalMicros: self.t0 + 2, nowMicros: self.t0)
        XCTAssertFalse(room.accepts(arrivalMicros: self.t0 + 3))
        room.remove(connection: 1)
        XCTAssertFalse(room.isFull)
        XCTAssertTrue(room.accepts(arrivalMicros: self.t0 + 3))
        XCTAssertEqual(room.enter(connection: 3, arrivalMicros: self.t0 + 3, nowMicros: self.t0), .placed(position: 2))
    }

    func testNoPositionUpdatesRightAfterEntering() {
        var room = WaitingRoom(capacity: 10)
        for connection: UInt64 in 1...4 {
            _ = room.enter(connection: connection, arrivalMicros: self.t0 + connection, nowMicros: self.t0)
        }
        // Positions were announced at entry and nothing moved.
        XCTAssertTrue(room.positionUpdates(nowMicros: self.t0, intervalMicros: 1_000_000).isEmpty)
        XCTAssertTrue(room.positionUpdates(nowMicros: self.t0 + 10_000_000, intervalMicros: 1_000_000).isEmpty)
        XCTAssertTrue(room.positionUpdates(nowMicros: self.t0 + 10_000_000, intervalMicros: 0).isEmpty)
    }

    func testPositionUpdatesAfterARemovalOnlyForThoseWhoMovedAndOncePerInterval() {
        let second: UInt64 = 1_000_000
        var room = WaitingRoom(capacity: 10)
        for connection: UInt64 in 1...5 {
            _ = room.enter(connection: connection, arrivalMicros: self.t0 + connection, nowMicros: self.t0)
        }
        room.remove(connection: 3)
        // Not before the interval has passed since the announcement at entry.
        XCTAssertTrue(room.positionUpdates(nowMicros: self.t0 + second / 2, intervalMicros: second).isEmpty)
        XCTAssertTrue(room.positionUpdates(nowMicros: self.t0 + second - 1, intervalMicros: second).isEmpty)
        // Then only 4 and 5 moved; 1 and 2 did not.
        XCTAssertEqual(self.updates(room.positionUpdates(nowMicros: self.t0 + second, intervalMicros: second)), [[4, 3], [5, 4]])
        // Announced: not again.
        XCTAssertTrue(room.positionUpdates(nowMicros: self.t0 + second, intervalMicros: second).isEmpty)
        XCTAssertTrue(room.positionUpdates(nowMicros: self.t0 + 20 * second, intervalMicros: second).isEmpty)
    }

    func testPositionUpdatesAreRateLimitedPerConnection() {
        let second: UInt64 = 1_000_000
        var room = WaitingRoom(capacity: 10)
        for connection: UInt64 in 1...4 {
            _ = room.enter(connection: connection, arrivalMicros: self.t0 + connection, nowMicros: self.t0)
        }
        room.remove(connection: 1)
        XCTAssertEqual(self.updates(room.positionUpdates(nowMicros: self.t0 + 2 * second, intervalMicros: second)), [[2, 1], [3, 2], [4, 3]])
        // Moved again half a second after their last announcement: wait until a full interval.
        room.remove(connection: 2)
        XCTAssertTrue(room.positionUpdates(nowMicros: self.t0 + 2 * second + second / 2, intervalMicros: second).isEmpty)
        XCTAssertEqual(self.updates(room.positionUpdates(nowMicros: self.t0 + 3 * second, intervalMicros: second)), [[3, 1], [4, 2]])
        XCTAssertTrue(room.positionUpdates(nowMicros: self.t0 + 3 * second, intervalMicros: second).isEmpty)
    }

    func testMovedBackToTheAnnouncedPositionIsNoNews() {
        let second: UInt64 = 1_000_000
        var room = WaitingRoom(capacity: 10)
        _ = room.enter(connection: 1, arrivalMicros: self.t0 + 10, nowMicros: self.t0)
        _ = room.enter(connection: 2, arrivalMicros: self.t0 + 20, nowMicros: self.t0)
        // An earlier arrival pushes 2 back, then leaves again before any update went out.
        _ = room.enter(connection: 3, arrivalMicros: self.t0 + 15, nowMicros: self.t0)
        room.remove(connection: 3)
        XCTAssertTrue(room.positionUpdates(nowMicros: self.t0 + 5 * second, intervalMicros: second).isEmpty)
    }

    func testAnEarlierArrivalPushesLaterOnesBack() {
        let second: UInt64 = 1_000_000
        var room = WaitingRoom(capacity: 10)
        for connection: UInt64 in 1...3 {
            _ = room.enter(connection: connection, arrivalMicros: self.t0 + connection * 100, nowMicros: self.t0)
        }
        // A ticket holder (arrival between 1 and 2) enters later; it was told its position at entry.
        XCTAssertEqual(room.enter(connection: 9, arrivalMicros: self.t0 + 150, nowMicros: self.t0 + second), .placed(position: 2))
        XCTAssertEqual(self.updates(room.positionUpdates(nowMicros: self.t0 + second, intervalMicros: second)), [[2, 3], [3, 4]])
        XCTAssertTrue(room.positionUpdates(nowMicros: self.t0 + 3 * second, intervalMicros: second).isEmpty)
    }

    func testRemoveAll() {
        var room = WaitingRoom(capacity: 10)
        for connection: UInt64 in [4, 2, 7] {
            _ = room.enter(connection: connection, arrivalMicros: self.t0 + connection, nowMicros: self.t0)
        }
        XCTAssertEqual(room.removeAll(), [2, 4, 7])
        XCTAssertTrue(room.isEmpty)
        XCTAssertEqual(room.count, 0)
        XCTAssertNil(room.first)
        XCTAssertNil(room.position(of: 4))
        XCTAssertEqual(room.removeAll(), [])
        // Usable again afterwards.
        XCTAssertEqual(room.enter(connection: 1, arrivalMicros: self.t0, nowMicros: self.t0), .placed(position: 1))
    }

    func testInAClusterAPositionCountsThoseAheadOnOtherNodes() {
        var room = WaitingRoom(capacity: 10)
        room.othersWaiting = 3
        XCTAssertEqual(room.enter(connection: 1, arrivalMicros: self.t0 + 100, nowMicros: self.t0), .placed(position: 4))
        XCTAssertEqual(room.enter(connection: 2, arrivalMicros: self.t0 + 300, nowMicros: self.t0), .placed(position: 5))
        room.setOthersAhead([1: 1, 2: 2])
        XCTAssertEqual(room.position(of: 1), 2)
        XCTAssertEqual(room.position(of: 2), 4)
        // Between two rankings, one entering before 2 is assumed to have 2's others ahead of it.
        XCTAssertEqual(room.enter(connection: 3, arrivalMicros: self.t0 + 200, nowMicros: self.t0), .placed(position: 4))
        XCTAssertEqual(room.position(of: 2), 5)
    }

    func testOneSourceHoldsAtMostItsShareAndGetsPlacesBackAsTheyFree() throws {
        var room = WaitingRoom(capacity: 10, sharePerSource: 2)
        let flood = try XCTUnwrap(SourceAddress(bytes: [198, 51, 100, 1]))
        let other = try XCTUnwrap(SourceAddress(bytes: [198, 51, 100, 2]))
        XCTAssertEqual(room.enter(connection: 1, arrivalMicros: 1, nowMicros: 1, source: flood), .placed(position: 1))
        XCTAssertEqual(room.enter(connection: 2, arrivalMicros: 2, nowMicros: 2, source: flood), .placed(position: 2))
        XCTAssertEqual(room.enter(connection: 3, arrivalMicros: 3, nowMicros: 3, source: flood), .overShare)
        XCTAssertFalse(room.accepts(arrivalMicros: 3, source: flood))
        XCTAssertEqual(room.enter(connection: 4, arrivalMicros: 4, nowMicros: 4, source: other), .placed(position: 3))
        XCTAssertEqual(room.enter(connection: 5, arrivalMicros: 5, nowMicros: 5), .placed(position: 4), "an unknown source counts against nobody")
        XCTAssertEqual(room.places(of: flood), 2)
        // Each way out gives the place back: admitted from the head, gone from the middle.
        _ = room.popFirst()
        XCTAssertEqual(room.places(of: flood), 1)
        XCTAssertEqual(room.enter(connection: 6, arrivalMicros: 6, nowMicros: 6, source: flood), .placed(position: 4))
        XCTAssertTrue(room.remove(connection: 2))
        XCTAssertEqual(room.places(of: flood), 1)
        _ = room.removeAll()
        XCTAssertEqual(room.places(of: flood), 0)
        XCTAssertEqual(room.places(of: other), 0)
    }

    func testAPlaceLostToAnEarlierTicketHolderIsGivenBackToItsSource() throws {
        var room = WaitingRoom(capacity: 2, sharePerSource: 2)
        let late = try XCTUnwrap(SourceAddress(bytes: [198, 51, 100, 1]))
        _ = room.enter(connection: 1, arrivalMicros: 10, nowMicros: 10, source: late)
        _ = room.enter(connection: 2, arrivalMicros: 20, nowMicros: 20, source: late)
        XCTAssertEqual(room.enter(connection: 3, arrivalMicros: 5, nowMicros: 30), .placedBumping(position: 1, bumped: 2))
        XCTAssertEqual(room.places(of: late), 1)
    }
}
