import NIOCore
import SpacesClient
import SpacesCore
import XCTest

/// Admission over loopback: the line, the 503 ticket and resume.
final class AdmissionGateTests: XCTestCase {
    func testCapacityFiftyOfEightyThenTenLeaveAndTheFirstTenWaitingGetIn() async throws {
        let node = try await TestServer.start { $0.admission.tickMs = 50 }
        let space = try await node.createSpace(capacity: 50)
        let url = try node.url("/v1/spaces/\(space.id)/listen")
        var listeners: [TestListener] = []
        for _ in 0..<80 {
            let listener = try await TestListener.connect(url)
            // Each answer arrives before the next join, so arrival order is join order.
            try await eventually { listener.welcome != nil || !listener.positions.isEmpty }
            listeners.append(listener)
        }
        let admitted = listeners.prefix(50)
        let waiting = Array(listeners.suffix(30))
        XCTAssertTrue(admitted.allSatisfy { $0.welcome != nil && $0.positions.isEmpty })
        XCTAssertTrue(waiting.allSatisfy { $0.welcome == nil })
        XCTAssertEqual(waiting.map { $0.positions.first }, (1...30).map { $0 })
        let info = try await node.api.space(id: space.id)
        XCTAssertEqual(info.listeners, 50)
        XCTAssertEqual(info.waiting, 30)
        XCTAssertNotNil(admitted.first?.welcome?.resumeToken)

        // Ten say goodbye: the first ten in line get in, in order, and nobody else.
        for listener in admitted.prefix(10) { await listener.close() }
        try await eventually { waiting.prefix(10).allSatisfy { $0.welcome != nil } }
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertTrue(waiting.suffix(20).allSatisfy { $0.welcome == nil }, "only the first ten are admitted")
        let ids = waiting.prefix(10).compactMap { $0.welcome.flatMap { UInt64($0.listenerId, radix: 36) } }
        XCTAssertEqual(ids, ids.sorted(), "admitted first in, first out")
        let after = try await node.api.space(id: space.id)
        XCTAssertEqual(after.listeners, 50)
        XCTAssertEqual(after.waiting, 20)

        // Positions move for the rest (at most every 2 s each): the new head hears it is first.
        try await eventually(timeout: .seconds(5)) { waiting[10].positions.last == 1 && waiting[29].positions.last == 20 }
        for (offset, listener) in waiting.suffix(20).enumerated() {
            XCTAssertEqual(listener.positions.last, offset + 1)
            XCTAssertEqual(listener.positions, listener.positions.sorted(by: >), "positions only move forward")
        }
        for listener in listeners { await listener.close() }
        await node.stop()
    }

    func testFullWaitingRoomAnswers503WithATicketThatKeepsThePlace() async throws {
        let node = try await TestServer.start {
            $0.admission.waitingRoomSize = 2
            $0.admission.tickMs = 50
        }
        let space = try await node.createSpace(capacity: 1)
        let url = try node.url("/v1/spaces/\(space.id)/listen")
        let first = try await TestListener.connect(url)
        let second = try await TestListener.connect(url)
        let third = try await TestListener.connect(url)
        try await eventually { first.welcome != nil && second.positions == [1] && third.positions == [2] }

        // The room is full: 503, Retry-After, a ticket, before any WebSocket.
        var ticket = ""
        do {
            _ = try await WebSocketClient.connect(url)
            XCTFail("expected 503")
        } catch let refused as WebSocketClient.Refused {
            XCTAssertEqual(refused.status, 503)
            XCTAssertEqual(refused.response.headers.first(name: "retry-after"), "30")
            let body = try XCTUnwrap(refused.response.apiError)
            XCTAssertEqual(body.error.code, "waiting_room_full")
            ticket = try XCTUnwrap(body.ticket)
        }

        // A place frees; a later arrival takes it.
        await second.close()
        let later = try await TestListener.connect(url)
        try await eventually { later.positions.first == 2 }

        // The ticket holder comes back: it arrived before `later`, so it takes the place ahead
        // of it, and `later` is told to come back with a ticket of its own.
        let holder = try await TestListener.connect(try node.url("/v1/spaces/\(space.id)/listen?ticket=\(ticket)"))
        try await eventually { holder.positions.first != nil && later.refused != nil }
        XCTAssertEqual(holder.positions.first, 2)
        try await eventually { later.finished }
        XCTAssertEqual(later.closeCode, CloseCode.tryAgainLater.rawValue)
        XCTAssertFalse(try XCTUnwrap(later.refused?.ticket).isEmpty)

        // The same ticket shown again buys no second place: refused (before or after the
        // upgrade), and the first holder keeps its place.
        do {
            let copy = try await TestListener.connect(try node.url("/v1/spaces/\(space.id)/listen?ticket=\(ticket)"))
            try await eventually { copy.finished }
            XCTAssertNotNil(copy.refused)
            XCTAssertEqual(copy.closeCode, CloseCode.tryAgainLater.rawValue)
        } catch let refused as WebSocketClient.Refused {
            XCTAssertEqual(refused.status, 503)
        }
        try await Task.sleep(for: .milliseconds(200))
        XCTAssertNil(holder.refused, "the first holder keeps its place")
        XCTAssertFalse(holder.finished)

        for listener in [first, third, holder] { await listener.close() }
        await node.stop()
    }

    func testResumedListenerSkipsTheLine() async throws {
        let node = try await TestServer.start { $0.admission.tickMs = 50 }
        let space = try await node.createSpace(capacity: 1)
        let url = try node.url("/v1/spaces/\(space.id)/listen")
        let first = try await TestListener.connect(url)
        try await eventually { first.welcome != nil }
        let token = try XCTUnwrap(first.welcome?.resumeToken)
        let second = try await TestListener.connect(url)
        try await eventually { second.positions == [1] }

        // The first one's network drops: its slot is held, so the line does not move.
        await first.drop()
        try await eventually { try await node.api.space(id: space.id).listeners == 0 }
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertNil(second.welcome, "a held slot is not given away during the grace period")

        // It comes back with its token: straight in, as the same listener, ahead of the line.
        let back = try await TestListener.connect(try node.url("/v1/spaces/\(space.id)/listen?resume=\(token)"))
        try await eventually { back.welcome != nil }
        XCTAssertEqual(back.welcome?.listenerId, first.welcome?.listenerId)
        XCTAssertTrue(back.positions.isEmpty)
        XCTAssertNil(second.welcome)

        // A forged resume token is refused before the upgrade.
        do {
            _ = try await WebSocketClient.connect(try node.url("/v1/spaces/\(space.id)/listen?resume=\(token)x"))
            XCTFail("a forged token was accepted")
        } catch let refused as WebSocketClient.Refused {
            XCTAssertEqual(refused.status, 400)
            XCTAssertEqual(refused.response.apiError?.error.code, "bad_ticket")
        }
        for listener in [second, back] { await listener.close() }
        await node.stop()
    }

    func testATicketShownAgainBuysNoSecondPlace() async throws {
        let node = try await TestServer.start {
            $0.admission.waitingRoomSize = 1
            $0.admission.tickMs = 50
        }
        let space = try await node.createSpace(capacity: 1)
        let url = try node.url("/v1/spaces/\(space.id)/listen")
        let first = try await TestListener.connect(url)
        let second = try await TestListener.connect(url)
        try await eventually { first.welcome != nil && second.positions == [1] }
        var ticket = ""
        do {
            _ = try await WebSocketClient.connect(url)
            XCTFail("expected 503")
        } catch let refused as WebSocketClient.Refused {
            ticket = try XCTUnwrap(refused.response.apiError?.ticket)
        }
        let withTicket = try node.url("/v1/spaces/\(space.id)/listen?ticket=\(ticket)")

        // The ticket is used once: it takes the place of a later arrival.
        await second.close()
        let later = try await TestListener.connect(url)
        try await eventually { later.positions == [1] }
        let holder = try await TestListener.connect(withTicket)
        try await eventually { holder.positions == [1] && later.refused != nil }
        await holder.close()

        // Shown again, against a newer later arrival, it is an ordinary arrival: refused, and
        // the later arrival keeps its place.
        let laterStill = try await TestListener.connect(url)
        try await eventually { laterStill.positions == [1] }
        let copy = try await TestListener.connect(withTicket)
        try await eventually { copy.finished }
        XCTAssertNotNil(copy.refused)
        XCTAssertEqual(copy.closeCode, CloseCode.tryAgainLater.rawValue)
        XCTAssertNil(laterStill.refused)
        XCTAssertFalse(laterStill.finished)

        for listener in [first, laterStill] { await listener.close() }
        await node.stop()
    }
}
