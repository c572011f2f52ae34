import NIOCore
import SpacesCore
import SpacesRedis
@testable import SpacesServer
import SpacesTestSupport
import XCTest

/// The conversation script's decisions, against a real `redis-server`.
final class RedisBrokerConversationTests: XCTestCase {
    private var redis: RedisServerProcess!
    private var node: TestServer!
    private var broker: RedisBroker!
    private var settings = SpacesConfiguration.Conversation()

    override func setUp() async throws {
        self.redis = try RedisServerProcess.start()
        let url = self.redis.url
        self.node = try await TestServer.start { configuration in
            configuration.cluster.url = url
            configuration.cluster.nodeID = "n"
        }
        self.broker = try XCTUnwrap(self.node.server.broker)
        self.settings.questionsPerSpace = 3
        self.settings.raisedHands = 2
    }

    override func tearDown() async throws {
        await self.node?.stop()
        self.redis?.stop()
        // XCTest keeps every test case object to the end of the run: a node left in one stays
        // in memory (LeakSanitizer counted five).
        self.node = nil
        self.broker = nil
        self.redis = nil
    }

    private func act(_ event: ClientEvent, _ listener: UInt64, space: String = "s") async throws -> ServerEvent? {
        try await self.broker.listenerAction(event, listenerID: listener, spaceID: space, settings: self.settings).get()
    }

    private func refusal(_ event: ClientEvent, _ listener: UInt64) async -> QuestionQueueError? {
        do {
            _ = try await self.act(event, listener)
            return nil
        } catch {
            return error as? QuestionQueueError
        }
    }

    private func host(_ action: HostAction) async throws -> Conversation.Outcome {
        try await self.broker.hostAction(action, spaceID: "s").get()
    }

    private func ask(_ listener: UInt64, _ text: String) async throws -> String {
        guard case .asked(let asked) = try await self.act(.ask(text: text), listener) else { throw QuestionQueueError.unavailable }
        return asked.id
    }

    private func state() async throws -> ConversationDigest.Input {
        let state = try await self.broker.conversationState(
            spaceID: "s", lead: false, revision: nil, handsVersion: nil, takeReactions: false, leaseMillis: 0
        ).get()
        return try XCTUnwrap(state)
    }

    /// An ended Space does not stay in Redis for ever: its record, its conversation and the
    /// voters of its still-open question expire after `spaces.retainEndedSeconds`, and a listing
    /// then forgets its id.
    func testAnEndedSpacesKeysExpireAfterTheRetentionAndTheDirectoryForgetsIt() async throws {
        let url = self.redis.url
        let node = try await TestServer.start { configuration in
            configuration.cluster.url = url
            configuration.cluster.nodeID = "e"
            configuration.spaces.retainEndedSeconds = 2
        }
        let broker = try XCTUnwrap(node.server.broker)
        let space = try await node.createSpace(title: "Short-lived")
        guard case .asked(let asked) = try await broker.listenerAction(.ask(text: "still open at the end"), listenerID: 1, spaceID: space.id, settings: self.settings).get() else {
            return XCTFail("the question was not asked")
        }
        _ = try await broker.listenerAction(.upvote(id: asked.id), listenerID: 2, spaceID: space.id, settings: self.settings).get()
        let keys = broker.keys
        let voters = keys.questions(space.id) + ":" + asked.id + ":voters"
        let watched = [keys.space(space.id), keys.conversation(space.id), keys.questions(space.id), keys.ranking(space.id), keys.askers(space.id), voters]
        for key in watched {
            let ttl = try await broker.client.send(RedisCommand("TTL", .string(key))).get().integer
            XCTAssertEqual(ttl, -1, "\(key) has no expiry while the Space is live")
        }
        _ = try await node.api.endSpace(id: space.id, token: space.hostToken)
        try await eventually {
            let ttl = try await broker.client.send(RedisCommand("TTL", .string(keys.space(space.id)))).get().integer ?? -1
            return ttl > 0
        }
        for key in watched {
            let ttl = try await broker.client.send(RedisCommand("TTL", .string(key))).get().integer ?? -1
            XCTAssertTrue((1...2).contains(ttl), "\(key) expires with the Space (TTL \(ttl))")
        }
        let listed = try await node.api.spaces().spaces.map(\.id)
        XCTAssertTrue(listed.contains(space.id), "ended, still listed during the retention")
        try await Task.sleep(for: .milliseconds(2_600))
        for key in watched {
            let exists = try await broker.client.send(RedisCommand("EXISTS", .string(key))).get().integer
            XCTAssertEqual(exists, 0, "\(key) is gone")
        }
        let after = try await node.api.spaces().spaces.map(\.id)
        XCTAssertFalse(after.contains(space.id))
        try await eventually {
            try await broker.client.send(RedisCommand("SISMEMBER", .string(keys.spaces), .string(space.id))).get().integer == 0
        }
        await node.stop()
    }

    func testRankingVotesAndTheQueuesRules() async throws {
        let first = try await self.ask(1, "first")
        let second = try await self.ask(2, "second | with a bar")
        let refusedAsk = await self.refusal(.ask(text: "again"), 1)
        XCTAssertEqual(refusedAsk, .oneOpenQuestion(id: first))
        // Equal votes: the first asked ranks first; a vote moves the second up; pinning the
        // first puts it back on top whatever the votes.
        var open = try await self.state().open
        XCTAssertEqual(open.map(\.id), [first, second])
        _ = try await self.act(.upvote(id: second), 3)
        let twice = await self.refusal(.upvote(id: second), 3)
        XCTAssertEqual(twice, .alreadyVoted(id: second))
        let own = await self.refusal(.upvote(id: second), 2)
        XCTAssertEqual(own, .ownQuestion(id: second))
        open = try await self.state().open
        XCTAssertEqual(open.map(\.id), [second, first])
        XCTAssertEqual(open.first?.text, "second | with a bar")
        XCTAssertEqual(open.first?.votes, 1)
        _ = try await self.host(.pin(questionID: first))
        open = try await self.state().open
        XCTAssertEqual(open.map(\.id), [first, second])
        XCTAssertEqual(open.first?.pinned, true)

        let notYours = await self.refusal(.withdraw(id: first), 2)
        XCTAssertEqual(notYours, .notYours(id: first))
        let missing = await self.refusal(.upvote(id: "q404"), 3)
        XCTAssertEqual(missing, .noSuchQuestion(id: "q404"))

        // Picking one, then another: the first goes answered, unpinned.
        let pickFirst = try await self.host(.pick(questionID: first))
        XCTAssertEqual(pickFirst.questions.map(\.state), [.onAir])
        XCTAssertEqual(pickFirst.questions.first?.pinned, false)
        let pickSecond = try await self.host(.pick(questionID: second))
        XCTAssertEqual(pickSecond.questions.map(\.id), [first, second])
        XCTAssertEqual(pickSecond.questions.map(\.state), [.answered, .onAir])
        let state = try await self.state()
        XCTAssertEqual(state.onAir?.id, second)
        XCTAssertTrue(state.open.isEmpty)
        let closed = await self.refusalOfHost(.dismiss(questionID: first))
        XCTAssertEqual(closed, .notOpen(id: first, state: .answered))
        // The asker of the answered question may ask again; the on-air one's may not.
        _ = try await self.ask(1, "third")
        let onAir = await self.refusal(.ask(text: "more"), 2)
        XCTAssertEqual(onAir, .oneOpenQuestion(id: second))
    }

    private func refusalOfHost(_ action: HostAction) async -> QuestionQueueError? {
        do {
            _ = try await self.host(action)
            return nil
        } catch {
            return error as? QuestionQueueError
        }
    }

    func testAFullQueueEvictsTheLeastVotedClosedQuestionOrRefuses() async throws {
        let a = try await self.ask(1, "a")
        let b = try await self.ask(2, "b")
        _ = try await self.ask(3, "c")
        let full = await self.refusal(.ask(text: "d"), 4)
        XCTAssertEqual(full, .queueFull(limit: 3), "every one of the three is still open")
        _ = try await self.act(.upvote(id: a), 9)
        _ = try await self.host(.dismiss(questionID: a))
        _ = try await self.host(.dismiss(questionID: b))
        _ = try await self.ask(4, "d")
        let evicted = await self.refusal(.upvote(id: b), 9)
        XCTAssertEqual(evicted, .noSuchQuestion(id: b), "the closed question with fewer votes went")
        let kept = await self.refusal(.upvote(id: a), 8)
        XCTAssertEqual(kept, .notOpen(id: a, state: .dismissed))
    }

    func testHandsStandingAndTheLeadersLease() async throws {
        let raised = try await self.act(.hand(raised: true), 5)
        XCTAssertEqual(raised, .hand(.init(raised: true, position: 1)))
        let again = try await self.act(.hand(raised: true), 5)
        XCTAssertEqual(again, .hand(.init(raised: true, position: 1)), "raising twice keeps the place")
        _ = try await self.act(.hand(raised: true), 6)
        let full = await self.refusal(.hand(raised: true), 7)
        XCTAssertEqual(full, .handsFull(limit: 2))
        let id = try await self.ask(6, "mine")

        let standing = try await self.broker.standing(of: 6, spaceID: "s").get()
        XCTAssertEqual(standing, [.question(.init(id: id, state: "open", rank: 1, votes: 0)), .hand(.init(raised: true, position: 2))])
        let nobody = try await self.broker.standing(of: 99, spaceID: "s").get()
        XCTAssertEqual(nobody, [])

        let invited = try await self.host(.invite(listenerID: String(5, radix: 36)))
        XCTAssertEqual(invited.invited, 5)
        let notRaised = await self.refusalOfHost(.invite(listenerID: String(5, radix: 36)))
        XCTAssertEqual(notRaised, .handNotRaised(listenerID: "5"))
        let state = try await self.state()
        XCTAssertEqual(state.hands.map(\.listenerID), [6])
        XCTAssertEqual(state.handsTotal, 1)

        // One leader at a time; it consumes the reactions, a plain read does not.
        self.broker.addReactions(["👏": 3], spaceID: "s")
        let lead = { (node: RedisBroker) in
            try await node.conversationState(spaceID: "s", lead: true, revision: nil, handsVersion: nil, takeReactions: true, leaseMillis: 10_000).get()
        }
        let led = try await lead(self.broker)
        XCTAssertEqual(led?.reactions, ["👏": 3])
        let other = try await self.otherBroker()
        let refused = try await lead(other)
        XCTAssertNil(refused, "another node holds the lease")
        let nothingNew = try await self.broker.conversationState(
            spaceID: "s", lead: true, revision: led?.revision, handsVersion: led?.handsVersion, takeReactions: true, leaseMillis: 10_000
        ).get()
        XCTAssertNil(nothingNew, "nothing changed since")
        await other.stop()
    }

    private func otherBroker() async throws -> RedisBroker {
        var settings = SpacesConfiguration.Cluster()
        settings.url = self.redis.url
        settings.nodeID = "other"
        let broker = try RedisBroker(settings: settings, eventLoop: self.node.server.group.next(), logger: .init(label: "other"))
        await broker.start(handlers: .init(audio: { _, _ in }, conversation: { _, _ in }, resync: { _ in }, ended: { _ in }))
        return broker
    }

    func testRedisAwayIsUnavailableNotAHang() async throws {
        self.redis.kill()
        let refused = await self.refusal(.ask(text: "anyone?"), 1)
        XCTAssertEqual(refused, .unavailable)
    }
}
