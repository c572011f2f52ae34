import SpacesCore
import XCTest

final class LineChangesTests: XCTestCase {
    func testOneWhoCameAndWentBetweenTwoSyncsIsNeverTold() {
        var changes = LineChanges()
        changes.add(connection: 1, arrivalMicros: 10)
        changes.add(connection: 2, arrivalMicros: 5)
        changes.remove(connection: 1)
        changes.remove(connection: 9)
        XCTAssertEqual(changes.added, [2: 5])
        XCTAssertEqual(changes.removed, [9])
        changes.hold(listenerID: 7, untilMicros: 100)
        changes.release(listenerID: 7)
        changes.release(listenerID: 8)
        XCTAssertTrue(changes.held.isEmpty)
        XCTAssertEqual(changes.released, [8])
    }

    func testArrivalsAreGivenInLineOrder() {
        var changes = LineChanges()
        changes.add(connection: 3, arrivalMicros: 30)
        changes.add(connection: 1, arrivalMicros: 10)
        changes.add(connection: 2, arrivalMicros: 10)
        XCTAssertEqual(changes.addedInOrder.map(\.connection), [1, 2, 3])
    }

    func testChangesThatNeverReachedRedisGoBackBeforeNewerOnes() {
        var older = LineChanges()
        older.add(connection: 1, arrivalMicros: 10)
        older.add(connection: 2, arrivalMicros: 20)
        older.hold(listenerID: 5, untilMicros: 50)
        var newer = LineChanges()
        newer.remove(connection: 1)
        newer.add(connection: 3, arrivalMicros: 30)
        newer.release(listenerID: 5)
        newer.restore(older)
        XCTAssertEqual(newer.added, [2: 20, 3: 30], "1 came and went: never told")
        XCTAssertTrue(newer.removed.isEmpty)
        XCTAssertTrue(newer.held.isEmpty && newer.released.isEmpty, "a hold and its release cancel out")
    }
}
