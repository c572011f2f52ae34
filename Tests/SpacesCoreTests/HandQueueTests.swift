import XCTest

@testable import SpacesCore

final class HandQueueTests: XCTestCase {
    private let t0: UInt64 = 1_700_000_000_000_000

    private func listeners(_ queue: HandQueue) -> [UInt64] { queue.list().map(\.listenerID) }

    func testDefaults() {
        XCTAssertEqual(HandQueue.Configuration().capacity, 1_000)
        let queue = HandQueue()
        XCTAssertEqual(queue.count, 0)
        XCTAssertEqual(queue.list(), [])
        XCTAssertEqual(queue.version, 0)
        XCTAssertNil(queue.position(of: 1))
    }

    func testHandsAreListedInTheOrderRaised() throws {
        var queue = HandQueue()
        XCTAssertEqual(try queue.raise(listenerID: 30, nowMicros: self.t0), 1)
        XCTAssertEqual(try queue.raise(listenerID: 10, nowMicros: self.t0 + 5), 2)
        XCTAssertEqual(try queue.raise(listenerID: 20, nowMicros: self.t0 + 9), 3)
        XCTAssertEqual(queue.list(), [
            HandQueue.Hand(listenerID: 30, raisedAtMicros: self.t0),
            HandQueue.Hand(listenerID: 10, raisedAtMicros: self.t0 + 5),
            HandQueue.Hand(listenerID: 20, raisedAtMicros: self.t0 + 9),
        ])
        XCTAssertEqual(queue.position(of: 30), 1)
        XCTAssertEqual(queue.position(of: 10), 2)
        XCTAssertEqual(queue.position(of: 20), 3)
        XCTAssertEqual(queue.count, 3)
        XCTAssertEqual(queue.version, 3)
    }

    func testRaisingAgainKeepsThePlace() throws {
        var queue = HandQueue()
        try queue.raise(listenerID: 1, nowMicros: self.t0)
        try queue.raise(listenerID: 2, nowMicros: self.t0 + 1)
        XCTAssertEqual(try queue.raise(listenerID: 1, nowMicros: self.t0 + 2), 1)
        XCTAssertEqual(self.listeners(queue), [1, 2])
        XCTAssertEqual(queue.list().first?.raisedAtMicros, self.t0)
        XCTAssertEqual(queue.version, 2)
    }

    func testLowerRemovesTheHand() throws {
        var queue = HandQueue()
        for listener in UInt64(1)...4 { try queue.raise(listenerID: listener, nowMicros: self.t0 + listener) }
        XCTAssertTrue(queue.lower(listenerID: 2))
        XCTAssertEqual(self.listeners(queue), [1, 3, 4])
        XCTAssertNil(queue.position(of: 2))
        XCTAssertEqual(queue.position(of: 3), 2)
        XCTAssertEqual(queue.version, 5)
        // Lowering a hand that is down changes nothing.
        XCTAssertFalse(queue.lower(listenerID: 2))
        XCTAssertFalse(queue.lower(listenerID: 99))
        XCTAssertEqual(queue.version, 5)
        // Raised again: to the back of the line.
        XCTAssertEqual(try queue.raise(listenerID: 2, nowMicros: self.t0 + 10), 4)
        XCTAssertEqual(self.listeners(queue), [1, 3, 4, 2])
    }

    func testInviteTakesTheHandOutAndReturnsIt() throws {
        var queue = HandQueue()
        for listener in UInt64(1)...3 { try queue.raise(listenerID: listener, nowMicros: self.t0 + listener) }
        XCTAssertEqual(queue.invite(listenerID: 2), HandQueue.Hand(listenerID: 2, raisedAtMicros: self.t0 + 2))
        XCTAssertEqual(self.listeners(queue), [1, 3])
        XCTAssertEqual(queue.version, 4)
        XCTAssertNil(queue.invite(listenerID: 2))
        XCTAssertNil(queue.invite(listenerID: 42))
        XCTAssertEqual(queue.version, 4)
        XCTAssertEqual(queue.invite(listenerID: 1)?.listenerID, 1)
        XCTAssertEqual(queue.invite(listenerID: 3)?.listenerID, 3)
        XCTAssertEqual(queue.list(), [])
    }

    func testTheQueueIsBounded() throws {
        var configuration = HandQueue.Configuration()
        configuration.capacity = 3
        var queue = HandQueue(configuration: configuration)
        for listener in UInt64(1)...3 { try queue.raise(listenerID: listener, nowMicros: self.t0) }
        do {
            try queue.raise(listenerID: 4, nowMicros: self.t0)
            XCTFail("a fourth hand was raised")
        } catch {
            XCTAssertEqual(error, .handsFull(limit: 3))
            XCTAssertEqual(error.code, "hands_full")
        }
        XCTAssertEqual(self.listeners(queue), [1, 2, 3])
        XCTAssertEqual(queue.version, 3)
        // A hand already up is still answered with its place.
        XCTAssertEqual(try queue.raise(listenerID: 2, nowMicros: self.t0), 2)
        // Room again once a hand is down.
        queue.lower(listenerID: 1)
        XCTAssertEqual(try queue.raise(listenerID: 4, nowMicros: self.t0), 3)
        XCTAssertEqual(self.listeners(queue), [2, 3, 4])
    }

    func testTheDefaultCapIsAThousand() throws {
        var queue = HandQueue()
        for listener in UInt64(1)...1_000 { try queue.raise(listenerID: listener, nowMicros: self.t0) }
        XCTAssertThrowsError(try queue.raise(listenerID: 1_001, nowMicros: self.t0)) { error in
            XCTAssertEqual(error as? QuestionQueueError, .handsFull(limit: 1_000))
        }
        XCTAssertEqual(queue.count, 1_000)
        XCTAssertEqual(queue.position(of: 1_000), 1_000)
    }
}
