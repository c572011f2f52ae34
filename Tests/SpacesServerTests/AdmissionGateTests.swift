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

    func testOneAddressGetsItsBurstOfHandshakesThen429WhileAnotherAddressAndAProxysClientsGetIn() async throws {
        let node = try await TestServer.start {
            $0.limits.handshakesPerSecondPerAddress = 1
            $0.limits.handshakeBurstPerAddress = 3
            $0.server.trustedProxies = ["127.0.0.1"]
        }
        let space = try await node.createSpace(capacity: 100)
        let url = try node.url("/v1/spaces/\(space.id)/listen")
        var joined: [TestListener] = []
        var refusals: [WebSocketClient.Refused] = []
        for _ in 0..<6 {
            do {
                joined.append(try await TestListener.connect(url, from: "127.0.0.2"))
            } catch let refusal as WebSocketClient.Refused {
                refusals.append(refusal)
            }
        }
        // 6 handshakes well within a second: the burst of 3, at most one more from the rate.
        XCTAssertTrue((3...4).contains(joined.count), "\(joined.count) joined")
        XCTAssertEqual(refusals.count, 6 - joined.count)
        for refusal in refusals {
            XCTAssertEqual(refusal.status, 429)
            XCTAssertEqual(refusal.response.apiError?.error.code, "rate_limited")
            XCTAssertEqual(refusal.response.headers.first(name: "retry-after"), "1")
        }
        // Another address, and two clients named by the trusted proxy, are not held back by it;
        // the proxy itself, naming nobody, is not counted.
        joined.append(try await TestListener.connect(url, from: "127.0.0.3"))
        for client in ["203.0.113.7", "198.51.100.9"] {
            joined.append(try await TestListener.connect(url, from: "127.0.0.1", headers: [("x-forwarded-for", client)]))
        }
        for _ in 0..<5 { joined.append(try await TestListener.connect(url, from: "127.0.0.1")) }
        try await eventually { joined.allSatisfy { $0.welcome != nil } }
        let metrics = String(decoding: try await node.api.call(.GET, "/metrics").body, as: UTF8.self)
        XCTAssertTrue(metrics.contains(#"spaces_joins_refused_total{reason="rate_limited"} \#(refusals.count)"#), metrics)
        // A second later the flooding address has a handshake again.
        try await Task.sleep(for: .milliseconds(1_100))
        joined.append(try await TestListener.connect(url, from: "127.0.0.2"))
        for listener in joined { await listener.close() }
        await node.stop()
    }

    /// The line of the attack that once got a 5-hour wait told as 32 s: clients that never read.
    /// Each is let in when a place frees, never reads its audio, is evicted (4008) a couple of
    /// seconds later, and its slot is held for a resume that never comes, then freed for the
    /// next: the line moves only as fast as that.
    /// A reading listener behind them is told ETAs that must be within a factor of two of the
    /// wait it then has (or no ETA at all, before the line has moved).
    func testBehindALineOfNeverReadingClientsTheETAToldIsWithinAFactorOfTwoOfTheWait() async throws {
        let node = try await TestServer.start {
            $0.backpressure.budgetMs = 500
            $0.backpressure.assumedBitrate = 64_000
            $0.backpressure.socketSendBufferBytes = 4096
            $0.backpressure.evictAfterMs = 1500
            $0.admission.tickMs = 50
            $0.admission.positionUpdateSeconds = 1
            // Pings would close the never-readers in line; this test is about the admitted ones.
            $0.limits.waitingPingSeconds = 120
            // An evicted listener's slot is held for its resume (§4.6): 3 s here, not 30.
            $0.admission.resumeGraceSeconds = 3
        }
        let space = try await node.createSpace(capacity: 2)
        let url = try node.url("/v1/spaces/\(space.id)/listen")
        // 1,000-byte packets at real time (~50 KB/s): a listener that does not read is over its
        // budget within a second, and evicted 1.5 s later.
        let publisher = try await WebSocketClient.connect(
            try node.url("/v1/spaces/\(space.id)/publish"), headers: [("authorization", "Bearer \(space.hostToken)")]
        )
        let publishing = Task {
            try await publisher.run { messages, sender in
                _ = try await messages.next()  // publishing
                let packet: [UInt8] = [0x08] + Array(repeating: 0x55, count: 999)
                let start = ContinuousClock.now
                for index in 0..<3_000 {
                    try await Task.sleep(until: start + .milliseconds(20 * index), clock: .continuous)
                    try await sender.send(binary: encodedBatch([packet], firstSequence: UInt32(index)))
                }
            }
        }
        var neverReading: [TestListener] = []
        for _ in 0..<10 { neverReading.append(try await TestListener.connect(url, paused: true, receiveBufferSize: 4096)) }
        try await eventually { node.server.registry.space(id: space.id)?.waiting == 8 }
        let reader = try await TestListener.connect(url)
        try await eventually(timeout: .seconds(60)) { reader.welcome != nil }

        let events = reader.timedEvents
        let welcomed = try XCTUnwrap(events.first { if case .welcome = $0.0 { true } else { false } }?.1)
        var told: [(position: Int, eta: Int?, waited: Double)] = []
        for case (.waiting(let waiting), let at) in events {
            let waited = Double((welcomed - at).components.seconds) + Double((welcomed - at).components.attoseconds) / 1e18
            told.append((waiting.position, waiting.etaSeconds, waited))
        }
        XCTAssertEqual(told.first?.position, 9, "behind the 8 in line")
        let measured = told.filter { $0.position >= 3 && $0.eta != nil }
        XCTAssertGreaterThanOrEqual(measured.count, 2, "ETAs were told once the line moved: \(told)")
        for entry in measured {
            let eta = Double(entry.eta ?? 0)
            XCTAssertLessThanOrEqual(eta, 2 * entry.waited, "at \(entry.position): told \(eta) s, waited \(entry.waited) s")
            XCTAssertGreaterThanOrEqual(eta, entry.waited / 2, "at \(entry.position): told \(eta) s, waited \(entry.waited) s")
        }
        let evictions = node.server.relay.handles.reduce(0) { $0 + $1.stats.evictions }
        XCTAssertGreaterThanOrEqual(evictions, 8, "the line moved by evictions")

        publishing.cancel()
        await reader.close()
        for listener in neverReading { await listener.drop() }
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
