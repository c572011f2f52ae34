import Foundation
import NIOCore
import NIOHTTP1
import SpacesClient
import SpacesCore
import XCTest

/// Questions, hands and reactions over loopback, through a real node.
final class LiveConversationTests: XCTestCase {
    /// Connects `count` listeners to `space` and waits until each is admitted; those for which
    /// `compressed` holds offer permessage-deflate.
    private func connect(
        _ count: Int, to space: CreateSpaceResponse, on server: TestServer, compressed: (Int) -> Bool = { _ in false }
    ) async throws -> [TestListener] {
        var listeners: [TestListener] = []
        for index in 0..<count {
            listeners.append(try await TestListener.connect(try server.url("/v1/spaces/\(space.id)/listen"), compression: compressed(index)))
        }
        try await eventually(timeout: .seconds(20)) { listeners.allSatisfy { $0.welcome != nil } }
        return listeners
    }

    /// Waits for the acknowledgement or error answering the `count`-th conversation message.
    private func answers(_ listener: TestListener, count: Int) async throws -> [ServerEvent] {
        func replies() -> [ServerEvent] {
            listener.events.filter {
                switch $0 {
                case .asked, .upvoted, .withdrawn, .hand, .error: true
                default: false
                }
            }
        }
        try await eventually(timeout: .seconds(10)) { replies().count >= count }
        return replies()
    }

    /// The HTTP answer to a host call, error statuses included.
    private func response(_ server: TestServer, _ method: HTTPMethod, _ path: String, token: String) async throws -> HTTPResponse {
        do {
            return try await server.api.call(method, path, token: token)
        } catch let error as HTTPStatusError {
            return error.response
        }
    }

    func testTwoHundredListenersSeeTheSameQueueWithinASecondAndTheHostPicks() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let space = try await server.createSpace(title: "Town hall", capacity: 1000)
        let started = ContinuousClock.now
        // Every fourth listener negotiates permessage-deflate: it must read the same queue.
        let listeners = try await self.connect(200, to: space, on: server) { $0 % 4 == 3 }
        XCTAssertEqual(listeners.filter(\.compressed).count, 50)
        let askers = Array(listeners.prefix(50))

        // 50 ask.
        for (index, asker) in askers.enumerated() {
            try await asker.send(#"{"type":"ask","text":"Question number \#(index) from the floor?"}"#)
        }
        var ids: [String] = []
        for asker in askers {
            guard case .asked(let reference) = try await self.answers(asker, count: 1).first else {
                return XCTFail("no asked acknowledgement: \(asker.events)")
            }
            ids.append(reference.id)
        }
        XCTAssertEqual(Set(ids).count, 50)

        // Each asker upvotes the questions of the next few askers: votes from 0 to 5.
        var expectedReplies = [Int](repeating: 1, count: 50)
        for (index, asker) in askers.enumerated() {
            for step in stride(from: 1, through: index % 6, by: 1) {
                try await asker.send(#"{"type":"upvote","id":"\#(ids[(index + step) % 50])"}"#)
                expectedReplies[index] += 1
            }
        }
        for (index, asker) in askers.enumerated() {
            let replies = try await self.answers(asker, count: expectedReplies[index])
            XCTAssertEqual(replies.filter { if case .upvoted = $0 { true } else { false } }.count, index % 6, "asker \(index): \(replies)")
        }
        let lastChange = ContinuousClock.now

        // Everyone converges on the node's own top 10, within a second of the last change.
        let truth = try await server.api.questions(spaceID: space.id, token: space.hostToken)
        XCTAssertEqual(truth.total, 50)
        let expectedTop = Array(truth.top.prefix(10))
        try await eventually(timeout: .seconds(5)) {
            listeners.allSatisfy { $0.questionUpdates.last?.0.top == expectedTop }
        }
        for (index, listener) in listeners.enumerated() {
            let updates = listener.questionUpdates
            guard let final = updates.first(where: { $0.0.top == expectedTop && $0.0.total == 50 }) else {
                return XCTFail("listener \(index) never saw the final queue")
            }
            XCTAssertLessThanOrEqual(final.1 - lastChange, .seconds(1), "listener \(index) saw the final top 10 late")
            // At most two updates a second: consecutive updates are half a second apart (less
            // the delivery jitter of a busy test machine).
            for (previous, next) in zip(updates, updates.dropFirst()) {
                XCTAssertGreaterThanOrEqual(next.1 - previous.1, .milliseconds(250), "listener \(index): updates too close")
                XCTAssertGreaterThan(next.0.version, previous.0.version)
            }
        }
        // The compressed listeners decoded the very updates the others read.
        for (plain, compressed) in zip(listeners.filter { !$0.compressed }, listeners.filter(\.compressed)).prefix(20) {
            XCTAssertEqual(plain.questionUpdates.last?.0, compressed.questionUpdates.last?.0)
        }
        // Askers see their own question's place.
        for (index, asker) in askers.enumerated() {
            try await eventually {
                asker.events.contains { if case .question(let own) = $0 { own.id == ids[index] } else { false } }
            }
        }

        // The host picks the top question: everyone sees it on air, its asker too.
        let picked = expectedTop[0].id
        let result = try await server.api.act(.pick(questionID: picked), spaceID: space.id, token: space.hostToken)
        XCTAssertEqual(result.questions.map(\.state), ["on_air"])
        try await eventually(timeout: .seconds(3)) {
            listeners.allSatisfy { $0.questionUpdates.last?.0.onAir?.id == picked }
        }
        let asker = askers[ids.firstIndex(of: picked)!]
        try await eventually {
            asker.events.contains { if case .question(let own) = $0 { own.id == picked && own.state == "on_air" && own.rank == nil } else { false } }
        }
        XCTAssertTrue(listeners.allSatisfy { $0.closeCode == nil })
        // The node's own count: at most two `questions` updates a second for the Space.
        let metrics = String(decoding: try await server.api.call(.GET, "/metrics").body, as: UTF8.self)
        let line = metrics.split(separator: "\n").first { $0.hasPrefix(#"spaces_conversation_updates_total{kind="questions"}"#) }
        let updates = Double(line?.split(separator: " ").last ?? "") ?? -1
        let elapsed = Double((ContinuousClock.now - started).components.seconds) + 1
        XCTAssertGreaterThan(updates, 0)
        XCTAssertLessThanOrEqual(updates, 2 * elapsed + 1, "\(updates) updates in \(elapsed) s")
        for listener in listeners { await listener.close() }
    }

    func testAFlooderIsRateLimitedAndStaysConnected() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let space = try await server.createSpace()
        let listeners = try await self.connect(2, to: space, on: server)
        let flooder = listeners[0]
        // 16 reactions at once: the burst is 10, the rest are refused with 4029, not a close.
        for _ in 0..<16 { try await flooder.send(#"{"type":"react","emoji":"👏"}"#) }
        try await eventually {
            flooder.events.filter { if case .error(let e) = $0 { e.status == 4029 } else { false } }.count >= 5
        }
        let limited = flooder.events.compactMap { if case .error(let e) = $0 { e } else { nil } }
        XCTAssertTrue(limited.allSatisfy { $0.code == "rate_limited" && $0.retryAfterSeconds == 1 }, "\(limited)")
        // Still connected: a ping is answered, and the reactions that were counted (the burst of
        // 10, and any token refilled meanwhile) reach everyone, in one or two updates.
        try await flooder.send(#"{"type":"ping"}"#)
        try await eventually { flooder.events.contains(.pong) }
        let accepted = 16 - limited.count
        XCTAssertGreaterThanOrEqual(accepted, 10)
        func counted() -> Int {
            listeners[1].events.reduce(0) { if case .reactions(let r) = $1 { $0 + r.counts["👏", default: 0] } else { $0 } }
        }
        try await eventually(timeout: .seconds(3)) { counted() == accepted }
        XCTAssertNil(flooder.closeCode)

        // Asking twice within 30 s: the second is refused with 4029 too.
        try await flooder.send(#"{"type":"ask","text":"one"}"#)
        try await flooder.send(#"{"type":"withdraw","id":"q1"}"#)
        try await flooder.send(#"{"type":"ask","text":"two"}"#)
        try await eventually {
            flooder.events.contains { if case .error(let e) = $0 { e.code == "rate_limited" && e.retryAfterSeconds! > 20 } else { false } }
        }
        XCTAssertNil(flooder.closeCode)
        for listener in listeners { await listener.close() }
    }

    func testBadInputGetsNamedErrorsThenA1008PastTheErrorBudget() async throws {
        let server = try await TestServer.start { $0.conversation.errorsPerMinute = 5 }
        defer { Task { await server.stop() } }
        let space = try await server.createSpace()
        let listeners = try await self.connect(2, to: space, on: server)
        let bad = listeners[0]
        let inputs = [
            "not json", #"{"type":"shout"}"#, #"{"type":"ask","text":7}"#,
            #"{"type":"ask","text":"\#(String(repeating: "a", count: 281))"}"#, #"{"type":"react","emoji":"🦆"}"#,
        ]
        for input in inputs { try await bad.send(input) }
        let errors = try await self.answers(bad, count: 5).compactMap { if case .error(let e) = $0 { e.code } else { nil } }
        XCTAssertEqual(errors, ["bad_json", "unknown_type", "bad_field", "text_too_long", "unknown_reaction"])
        XCTAssertNil(bad.closeCode)
        try await bad.send("still not json")
        try await eventually { bad.closeCode == CloseCode.policyViolation.rawValue }
        // The other listener is untouched.
        try await listeners[1].send(#"{"type":"ping"}"#)
        try await eventually { listeners[1].events.contains(.pong) }
        XCTAssertNil(listeners[1].closeCode)
        await listeners[1].close()
    }

    func testTheHostWorksTheQueueAndTheHandsOverThePublishSocket() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let space = try await server.createSpace()
        let listeners = try await self.connect(3, to: space, on: server)
        let host = try await TestListener.connect(try server.url("/v1/spaces/\(space.id)/publish?token=\(space.hostToken)"))
        try await eventually { host.events.contains { if case .publishing = $0 { true } else { false } } }

        try await listeners[0].send(#"{"type":"ask","text":"What comes next?"}"#)
        try await listeners[1].send(#"{"type":"hand","raised":true}"#)
        guard case .asked(let asked) = try await self.answers(listeners[0], count: 1).first else { return XCTFail("not asked") }
        let firstHand = try await self.answers(listeners[1], count: 1).first
        XCTAssertEqual(firstHand, .hand(.init(raised: true, position: 1)))
        try await listeners[2].send(#"{"type":"hand","raised":true}"#)
        let secondHand = try await self.answers(listeners[2], count: 1).first
        XCTAssertEqual(secondHand, .hand(.init(raised: true, position: 2)))

        // The host sees the queue and the hands.
        try await eventually {
            host.events.contains { if case .questions(let q) = $0 { q.top.first?.id == asked.id } else { false } }
                && host.events.contains { if case .hands(let h) = $0 { h.total == 2 } else { false } }
        }
        guard case .hands(let hands) = host.events.last(where: { if case .hands = $0 { true } else { false } }) else { return XCTFail() }
        XCTAssertEqual(hands.hands.map(\.listenerId), [listeners[1].welcome!.listenerId, listeners[2].welcome!.listenerId])

        // Picks over the socket; invites the second hand.
        try await host.send(HostAction.pick(questionID: asked.id).json())
        try await host.send(HostAction.invite(listenerID: listeners[2].welcome!.listenerId).json())
        try await host.send(HostAction.dismiss(questionID: "q404").json())
        try await host.send(#"{"type":"pick"}"#)
        try await eventually {
            host.events.filter { if case .applied = $0 { true } else if case .error = $0 { true } else { false } }.count >= 4
        }
        let replies = host.events.filter { if case .applied = $0 { true } else if case .error = $0 { true } else { false } }
        XCTAssertEqual(replies[0], .applied(.init(action: "pick", target: asked.id)))
        XCTAssertEqual(replies[1], .applied(.init(action: "invite", target: listeners[2].welcome!.listenerId)))
        guard case .error(let missing) = replies[2], case .error(let malformed) = replies[3] else { return XCTFail("\(replies)") }
        XCTAssertEqual(missing.code, "no_such_question")
        XCTAssertEqual(malformed.code, "bad_field")
        try await eventually { listeners[2].events.contains(.invited) }
        XCTAssertFalse(listeners[1].events.contains(.invited))
        try await eventually {
            listeners[1].questionUpdates.last?.0.onAir?.id == asked.id
        }

        // Over HTTP: the same views and actions, with the host token only.
        let httpHands = try await server.api.hands(spaceID: space.id, token: space.hostToken)
        XCTAssertEqual(httpHands.hands.map(\.listenerId), [listeners[1].welcome!.listenerId])
        let unauthorised = try await self.response(server, .GET, "/v1/spaces/\(space.id)/questions", token: "wrong")
        XCTAssertEqual(unauthorised.status, 401)
        let notOpen = try await self.response(server, .POST, "/v1/spaces/\(space.id)/questions/\(asked.id)/pin", token: space.hostToken)
        XCTAssertEqual(notOpen.status, 409)
        XCTAssertTrue(String(decoding: notOpen.body, as: UTF8.self).contains("not_open"))
        let unknownAction = try await self.response(server, .POST, "/v1/spaces/\(space.id)/questions/\(asked.id)/delete", token: space.hostToken)
        XCTAssertEqual(unknownAction.status, 404)
        let notRaised = try await self.response(server, .POST, "/v1/spaces/\(space.id)/hands/zz/invite", token: space.hostToken)
        XCTAssertEqual(notRaised.status, 404)
        XCTAssertTrue(String(decoding: notRaised.body, as: UTF8.self).contains("hand_not_raised"))

        // A listener that leaves lowers its hand.
        await listeners[1].close()
        try await eventually { try await server.api.hands(spaceID: space.id, token: space.hostToken).total == 0 }
        await host.close()
        await listeners[0].close()
        await listeners[2].close()
    }

    func testALateListenerGetsTheQueueWithItsWelcome() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let space = try await server.createSpace()
        let early = try await self.connect(1, to: space, on: server)[0]
        try await early.send(#"{"type":"ask","text":"Asked before you came"}"#)
        try await eventually { early.questionUpdates.last?.0.total == 1 }
        let late = try await self.connect(1, to: space, on: server)[0]
        // No change since: the queue comes with the welcome, not at the next change.
        try await eventually(timeout: .seconds(3)) { late.questionUpdates.last?.0.top.first?.text == "Asked before you came" }
        let events = late.events.map(\.type)
        XCTAssertEqual(Array(events.prefix(2)), ["welcome", "questions"])
        await early.close()
        await late.close()
    }

    func testAListenerComingBackIsToldItsQuestionAndItsHand() async throws {
        let server = try await TestServer.start()
        defer { Task { await server.stop() } }
        let space = try await server.createSpace()
        let others = try await self.connect(1, to: space, on: server)
        let first = try await self.connect(1, to: space, on: server)[0]
        try await first.send(#"{"type":"ask","text":"Still there?"}"#)
        guard case .asked(let asked) = try await self.answers(first, count: 1).first else { return XCTFail("not asked") }
        try await first.send(#"{"type":"hand","raised":true}"#)
        _ = try await self.answers(first, count: 2)
        let welcome = try XCTUnwrap(first.welcome)
        // Another connection resumes the same listener before the first is gone (a phone that
        // changed networks): it gets its place, its question and its hand back.
        let again = try await TestListener.connect(
            try server.url("/v1/spaces/\(space.id)/listen").settingQuery("resume", to: XCTUnwrap(welcome.resumeToken))
        )
        try await eventually { again.welcome != nil }
        XCTAssertEqual(again.welcome?.listenerId, welcome.listenerId)
        try await eventually {
            again.events.contains(.question(.init(id: asked.id, state: "open", rank: 1, votes: 0)))
                && again.events.contains(.hand(.init(raised: true, position: 1)))
        }
        try await eventually { first.closeCode == CloseCode.replaced.rawValue }
        // The hand is still up: the old connection leaving did not lower it.
        let hands = try await server.api.hands(spaceID: space.id, token: space.hostToken)
        XCTAssertEqual(hands.total, 1)
        await again.close()
        await others[0].close()
    }

    func testWaitingListenersCannotTakePartYet() async throws {
        let server = try await TestServer.start { $0.admission.joinsPerSecond = 1; $0.admission.joinBurst = 1 }
        defer { Task { await server.stop() } }
        let space = try await server.createSpace(capacity: 1)
        let admitted = try await TestListener.connect(try server.url("/v1/spaces/\(space.id)/listen"))
        try await eventually { admitted.welcome != nil }
        let waiting = try await TestListener.connect(try server.url("/v1/spaces/\(space.id)/listen"))
        try await eventually { !waiting.positions.isEmpty }
        try await waiting.send(#"{"type":"ask","text":"let me in"}"#)
        let reply = try await self.answers(waiting, count: 1)
        XCTAssertEqual(reply.first.flatMap { if case .error(let e) = $0 { e.code } else { nil } }, "not_admitted")
        await waiting.close()
        await admitted.close()
    }
}
