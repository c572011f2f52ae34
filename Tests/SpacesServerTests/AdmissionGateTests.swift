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

    func testOneAddressHoldsNoMoreThanItsShareOfTheLineAndAnotherGetsAPlaceWhileItFloods() async throws {
        let node = try await TestServer.start {
            $0.admission.waitingRoomSize = 10
            $0.limits.linePlacesPerAddress = 3
            $0.server.trustedProxies = []
        }
        let space = try await node.createSpace(capacity: 1)
        let url = try node.url("/v1/spaces/\(space.id)/listen")
        let admitted = try await TestListener.connect(url, from: "127.0.0.1")
        try await eventually { admitted.welcome != nil }

        // The flood from 127.0.0.2: three get places; the rest are refused before the upgrade
        // with a code of their own and no ticket (one would keep the flood's arrival time).
        var flood: [TestListener] = []
        var refused: [String] = []
        for _ in 0..<8 {
            do {
                flood.append(try await TestListener.connect(url, from: "127.0.0.2"))
            } catch let refusal as WebSocketClient.Refused {
                XCTAssertEqual(refusal.status, 503)
                let body = try XCTUnwrap(refusal.response.apiError)
                XCTAssertNil(body.ticket)
                XCTAssertEqual(refusal.response.headers.first(name: "retry-after"), "30")
                refused.append(body.error.code)
            }
        }
        try await eventually { flood.count == 3 && flood.allSatisfy { !$0.positions.isEmpty } }
        XCTAssertEqual(refused, Array(repeating: "address_share", count: 5))
        XCTAssertEqual(node.server.registry.space(id: space.id)?.waiting, 3)

        // Someone from another address gets a place while the flood goes on.
        let other = try await TestListener.connect(url, from: "127.0.0.3")
        try await eventually { other.positions == [4] }
        let metrics = String(decoding: try await node.api.call(.GET, "/metrics").body, as: UTF8.self)
        XCTAssertTrue(metrics.contains(#"spaces_joins_refused_total{reason="address_share"} 5"#), metrics)

        // A place of the flood frees: that address may take one more, and no more.
        await flood[0].close()
        try await eventually { node.server.registry.space(id: space.id)?.waiting == 3 }
        flood.append(try await TestListener.connect(url, from: "127.0.0.2"))
        try await eventually { flood.last?.positions.isEmpty == false }
        do {
            _ = try await TestListener.connect(url, from: "127.0.0.2")
            XCTFail("over its share again")
        } catch let refusal as WebSocketClient.Refused {
            XCTAssertEqual(refusal.response.apiError?.error.code, "address_share")
        }
        for listener in [admitted, other] + flood.dropFirst() { await listener.close() }
        await node.stop()
    }

    func testBehindATrustedProxyTheForwardedClientIsCountedAndNobodyElsesHeaderIsBelieved() async throws {
        let node = try await TestServer.start {
            $0.admission.waitingRoomSize = 10
            $0.limits.linePlacesPerAddress = 1
            $0.server.trustedProxies = ["127.0.0.1"]
        }
        let space = try await node.createSpace(capacity: 1)
        let url = try node.url("/v1/spaces/\(space.id)/listen")
        let admitted = try await TestListener.connect(url, from: "127.0.0.2")
        try await eventually { admitted.welcome != nil }
        // Through the proxy (127.0.0.1): two clients, one place each.
        var through: [TestListener] = []
        for client in ["203.0.113.7", "198.51.100.9"] {
            through.append(try await TestListener.connect(url, from: "127.0.0.1", headers: [("x-forwarded-for", "\(client), 127.0.0.1")]))
        }
        try await eventually { node.server.registry.space(id: space.id)?.waiting == 2 }
        // Not through a trusted proxy: the header is the client's own claim, and 127.0.0.3 is
        // counted as itself whatever it says.
        let liar = try await TestListener.connect(url, from: "127.0.0.3")
        try await eventually { liar.positions.isEmpty == false }
        do {
            _ = try await WebSocketClient.connect(url, headers: [("x-forwarded-for", "192.0.2.1")], localAddress: "127.0.0.3")
            XCTFail("a header from an untrusted peer must not buy a second place")
        } catch let refusal as WebSocketClient.Refused {
            XCTAssertEqual(refusal.response.apiError?.error.code, "address_share")
        }
        for listener in [admitted, liar] + through { await listener.close() }
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
