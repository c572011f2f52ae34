import XCTest

@testable import SpacesCore

final class QuestionQueueTests: XCTestCase {
    /// An arbitrary, non-zero start so that nothing depends on the clock starting at 0.
    private let t0: UInt64 = 1_700_000_000_000_000
    private let second: UInt64 = 1_000_000

    /// A queue whose rate limits are out of the way, for tests about something else.
    private func unlimited(_ configure: (inout QuestionQueue.Configuration) -> Void = { _ in }) -> QuestionQueue {
        var configuration = QuestionQueue.Configuration()
        configuration.asksPerSecond = 1_000
        configuration.askBurst = 1_000
        configuration.upvotesPerSecond = 1_000
        configuration.upvoteBurst = 1_000
        configure(&configuration)
        return QuestionQueue(configuration: configuration)
    }

    private func assertThrows<T>(
        _ expected: QuestionQueueError, file: StaticString = #filePath, line: UInt = #line,
        _ body: () throws -> T
    ) {
        do {
            let result = try body()
            XCTFail("returned \(result), expected \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error as? QuestionQueueError, expected, file: file, line: line)
        }
    }

    /// Checks a refusal for the rate and returns its retry delay.
    @discardableResult
    private func assertRateLimited<T>(
        file: StaticString = #filePath, line: UInt = #line, _ body: () throws -> T
    ) -> UInt64? {
        do {
            let result = try body()
            XCTFail("returned \(result), expected rate_limited", file: file, line: line)
        } catch {
            guard let error = error as? QuestionQueueError else {
                XCTFail("\(error)", file: file, line: line)
                return nil
            }
            XCTAssertTrue(error.isRateLimited, "\(error)", file: file, line: line)
            XCTAssertEqual(error.code, "rate_limited", file: file, line: line)
            if case .rateLimited(let retry) = error { return retry }
        }
        return nil
    }

    private func ids(_ queue: QuestionQueue) -> [String] { queue.openQuestions().map(\.id) }

    // MARK: Asking

    func testAskStoresTheTrimmedTextAndNumbersQuestions() throws {
        var queue = QuestionQueue()
        let first = try queue.ask(listenerID: 1, text: "  What codec do you use?  ", nowMicros: self.t0)
        XCTAssertEqual(first.id, "q1")
        XCTAssertEqual(first.askerListenerID, 1)
        XCTAssertEqual(first.text, "What codec do you use?")
        XCTAssertEqual(first.votes, 0)
        XCTAssertEqual(first.state, .open)
        XCTAssertFalse(first.pinned)
        XCTAssertEqual(first.askedAtMicros, self.t0)
        let second = try queue.ask(listenerID: 2, text: "Why Swift?", nowMicros: self.t0 + 5)
        XCTAssertEqual(second.id, "q2")
        XCTAssertEqual(queue.question("q1"), first)
        XCTAssertEqual(queue.question(askedBy: 2), second)
        XCTAssertNil(queue.question(askedBy: 3))
        XCTAssertNil(queue.question("q3"))
        XCTAssertEqual(queue.count, 2)
        XCTAssertEqual(queue.openCount, 2)
        XCTAssertNil(queue.onAir)
        XCTAssertEqual(self.ids(queue), ["q1", "q2"])
    }

    func testIDsAreUniqueBase36NumbersAndNeverReused() throws {
        var queue = self.unlimited()
        var ids: [String] = []
        for listener in UInt64(1)...37 {
            ids.append(try queue.ask(listenerID: listener, text: "question \(listener)", nowMicros: self.t0).id)
        }
        XCTAssertEqual(Array(ids.prefix(10)), ["q1", "q2", "q3", "q4", "q5", "q6", "q7", "q8", "q9", "qa"])
        XCTAssertEqual(Array(ids.suffix(3)), ["qz", "q10", "q11"])
        XCTAssertEqual(Set(ids).count, 37)
        // A withdrawn question's id is not given again.
        try queue.withdraw(listenerID: 37, questionID: "q11")
        XCTAssertEqual(try queue.ask(listenerID: 37, text: "again", nowMicros: self.t0).id, "q12")
    }

    func testTextLimitsAreCheckedOnAskAndRefusalsStoreNothing() throws {
        var queue = QuestionQueue()
        self.assertThrows(.emptyText) { try queue.ask(listenerID: 1, text: "", nowMicros: self.t0) }
        self.assertThrows(.emptyText) { try queue.ask(listenerID: 1, text: "   ", nowMicros: self.t0) }
        self.assertThrows(.textTooLong(length: 281, limit: 280)) {
            try queue.ask(listenerID: 1, text: String(repeating: "🔥", count: 281), nowMicros: self.t0)
        }
        self.assertThrows(.controlCharacter) { try queue.ask(listenerID: 1, text: "two\nlines", nowMicros: self.t0) }
        self.assertThrows(.controlCharacter) { try queue.ask(listenerID: 1, text: "a\ttab", nowMicros: self.t0) }
        XCTAssertEqual(queue.count, 0)
        XCTAssertEqual(queue.version, 0)
        // Refusals spent no token: the ask rate (1 per 30 s, burst 1) still allows one now.
        let accepted = try queue.ask(listenerID: 1, text: String(repeating: "🔥", count: 280), nowMicros: self.t0)
        XCTAssertEqual(accepted.text.count, 280)
    }

    func testTheLengthLimitIsConfigurable() throws {
        var queue = self.unlimited { $0.maximumTextLength = 5 }
        XCTAssertEqual(try queue.ask(listenerID: 1, text: "héllo", nowMicros: self.t0).text, "héllo")
        self.assertThrows(.textTooLong(length: 6, limit: 5)) { try queue.ask(listenerID: 2, text: "héllo!", nowMicros: self.t0) }
    }

    func testOneOpenOrOnAirQuestionPerListener() throws {
        var queue = self.unlimited()
        try queue.ask(listenerID: 1, text: "first", nowMicros: self.t0)
        self.assertThrows(.oneOpenQuestion(id: "q1")) { try queue.ask(listenerID: 1, text: "second", nowMicros: self.t0) }
        // Another listener is not affected.
        XCTAssertEqual(try queue.ask(listenerID: 2, text: "mine", nowMicros: self.t0).id, "q2")
        // On air still counts: the question is not done with.
        try queue.pick("q1")
        self.assertThrows(.oneOpenQuestion(id: "q1")) { try queue.ask(listenerID: 1, text: "second", nowMicros: self.t0) }
        // Answered: the listener may ask again.
        try queue.answer("q1")
        XCTAssertEqual(try queue.ask(listenerID: 1, text: "second", nowMicros: self.t0).id, "q3")
        // Dismissed, likewise.
        try queue.dismiss("q3")
        XCTAssertEqual(try queue.ask(listenerID: 1, text: "third", nowMicros: self.t0).id, "q4")
        // Withdrawn, likewise.
        try queue.withdraw(listenerID: 1, questionID: "q4")
        XCTAssertEqual(try queue.ask(listenerID: 1, text: "fourth", nowMicros: self.t0).id, "q5")
        XCTAssertEqual(queue.question(askedBy: 1)?.id, "q5")
    }

    func testAskRateIsPerListener() throws {
        var queue = QuestionQueue()
        try queue.ask(listenerID: 1, text: "first", nowMicros: self.t0)
        try queue.withdraw(listenerID: 1, questionID: "q1")
        // One ask per 30 s, burst 1: a second after the first, 29 s remain.
        let retry = self.assertRateLimited { try queue.ask(listenerID: 1, text: "again", nowMicros: self.t0 + self.second) }
        XCTAssertEqual(Double(retry ?? 0), 29_000_000, accuracy: 2)
        XCTAssertEqual(queue.count, 0)
        // Another listener has its own bucket.
        XCTAssertEqual(try queue.ask(listenerID: 2, text: "mine", nowMicros: self.t0 + self.second).id, "q2")
        // Still limited just before the 30 s, allowed after.
        self.assertRateLimited { try queue.ask(listenerID: 1, text: "again", nowMicros: self.t0 + 29 * self.second) }
        XCTAssertEqual(try queue.ask(listenerID: 1, text: "again", nowMicros: self.t0 + 30 * self.second + 1).id, "q3")
        // Ask, withdraw, ask, ask: the refusals made no version.
        XCTAssertEqual(queue.version, 4)
    }

    func testAskRateAppliesBeforeTheCap() throws {
        // At the cap with a finished question to evict, a rate-limited ask evicts nothing.
        var queue = QuestionQueue(configuration: {
            var configuration = QuestionQueue.Configuration()
            configuration.capacity = 1
            return configuration
        }())
        try queue.ask(listenerID: 1, text: "first", nowMicros: self.t0)
        try queue.answer("q1")
        self.assertRateLimited { try queue.ask(listenerID: 1, text: "second", nowMicros: self.t0 + 1) }
        XCTAssertEqual(queue.question("q1")?.state, .answered)
    }

    // MARK: Upvoting

    func testUpvoteOncePerListener() throws {
        var queue = QuestionQueue()
        try queue.ask(listenerID: 1, text: "q", nowMicros: self.t0)
        XCTAssertEqual(try queue.upvote(listenerID: 2, questionID: "q1", nowMicros: self.t0).votes, 1)
        self.assertThrows(.alreadyVoted(id: "q1")) { try queue.upvote(listenerID: 2, questionID: "q1", nowMicros: self.t0 + self.second) }
        XCTAssertEqual(queue.question("q1")?.votes, 1)
        XCTAssertEqual(try queue.upvote(listenerID: 3, questionID: "q1", nowMicros: self.t0).votes, 2)
        XCTAssertEqual(queue.question("q1")?.votes, 2)
    }

    func testCannotUpvoteOwnQuestion() throws {
        var queue = QuestionQueue()
        try queue.ask(listenerID: 1, text: "q", nowMicros: self.t0)
        self.assertThrows(.ownQuestion(id: "q1")) { try queue.upvote(listenerID: 1, questionID: "q1", nowMicros: self.t0) }
        XCTAssertEqual(queue.question("q1")?.votes, 0)
        XCTAssertEqual(queue.version, 1)
    }

    func testUpvoteNeedsAnOpenOrOnAirQuestion() throws {
        var queue = self.unlimited()
        self.assertThrows(.noSuchQuestion(id: "q1")) { try queue.upvote(listenerID: 9, questionID: "q1", nowMicros: self.t0) }
        for listener in UInt64(1)...3 { try queue.ask(listenerID: listener, text: "q\(listener)", nowMicros: self.t0) }
        try queue.pick("q1")
        XCTAssertEqual(try queue.upvote(listenerID: 9, questionID: "q1", nowMicros: self.t0).votes, 1)
        XCTAssertEqual(queue.onAir?.votes, 1)
        try queue.answer("q1")
        try queue.dismiss("q2")
        self.assertThrows(.notOpen(id: "q1", state: .answered)) { try queue.upvote(listenerID: 8, questionID: "q1", nowMicros: self.t0) }
        self.assertThrows(.notOpen(id: "q2", state: .dismissed)) { try queue.upvote(listenerID: 8, questionID: "q2", nowMicros: self.t0) }
        XCTAssertEqual(queue.question("q1")?.votes, 1)
        XCTAssertEqual(queue.question("q2")?.votes, 0)
    }

    func testUpvoteRateIsPerListener() throws {
        var queue = self.unlimited {
            $0.upvotesPerSecond = 5
            $0.upvoteBurst = 10
        }
        for listener in UInt64(100)..<112 { try queue.ask(listenerID: listener, text: "from \(listener)", nowMicros: self.t0) }
        let ids = self.ids(queue)
        for id in ids.prefix(10) { try queue.upvote(listenerID: 1, questionID: id, nowMicros: self.t0) }
        // The burst of 10 is spent; at 5/s the next token is 200 ms away.
        let retry = self.assertRateLimited { try queue.upvote(listenerID: 1, questionID: ids[10], nowMicros: self.t0) }
        XCTAssertEqual(Double(retry ?? 0), 200_000, accuracy: 2)
        XCTAssertEqual(queue.question(ids[10])?.votes, 0)
        // Another listener has its own bucket.
        XCTAssertEqual(try queue.upvote(listenerID: 2, questionID: ids[10], nowMicros: self.t0).votes, 1)
        // The refused vote was not recorded: listener 1 may cast it once a token is back.
        self.assertRateLimited { try queue.upvote(listenerID: 1, questionID: ids[10], nowMicros: self.t0 + 199_000) }
        XCTAssertEqual(try queue.upvote(listenerID: 1, questionID: ids[10], nowMicros: self.t0 + 200_001).votes, 2)
        self.assertRateLimited { try queue.upvote(listenerID: 1, questionID: ids[11], nowMicros: self.t0 + 200_001) }
    }

    func testVoteChecksComeBeforeTheRate() throws {
        var queue = self.unlimited {
            $0.upvotesPerSecond = 1
            $0.upvoteBurst = 1
        }
        try queue.ask(listenerID: 1, text: "a", nowMicros: self.t0)
        try queue.ask(listenerID: 2, text: "b", nowMicros: self.t0)
        self.assertThrows(.ownQuestion(id: "q1")) { try queue.upvote(listenerID: 1, questionID: "q1", nowMicros: self.t0) }
        self.assertThrows(.noSuchQuestion(id: "nope")) { try queue.upvote(listenerID: 1, questionID: "nope", nowMicros: self.t0) }
        // The refusals spent nothing: the one token is still there.
        XCTAssertEqual(try queue.upvote(listenerID: 1, questionID: "q2", nowMicros: self.t0).votes, 1)
        // Already voted is reported as such, not as rate limited.
        self.assertThrows(.alreadyVoted(id: "q2")) { try queue.upvote(listenerID: 1, questionID: "q2", nowMicros: self.t0) }
    }

    // MARK: Withdrawing

    func testWithdrawRemovesOnlyOnesOwnOpenQuestion() throws {
        var queue = self.unlimited()
        try queue.ask(listenerID: 1, text: "one", nowMicros: self.t0)
        try queue.ask(listenerID: 2, text: "two", nowMicros: self.t0)
        try queue.upvote(listenerID: 3, questionID: "q1", nowMicros: self.t0)
        self.assertThrows(.noSuchQuestion(id: "q9")) { try queue.withdraw(listenerID: 1, questionID: "q9") }
        self.assertThrows(.notYours(id: "q2")) { try queue.withdraw(listenerID: 1, questionID: "q2") }
        XCTAssertEqual(queue.count, 2)

        let withdrawn = try queue.withdraw(listenerID: 1, questionID: "q1")
        XCTAssertEqual(withdrawn.id, "q1")
        XCTAssertEqual(withdrawn.votes, 1)
        XCTAssertNil(queue.question("q1"))
        XCTAssertNil(queue.rank(of: "q1"))
        XCTAssertNil(queue.question(askedBy: 1))
        XCTAssertEqual(queue.count, 1)
        XCTAssertEqual(self.ids(queue), ["q2"])
        self.assertThrows(.noSuchQuestion(id: "q1")) { try queue.upvote(listenerID: 4, questionID: "q1", nowMicros: self.t0) }
        self.assertThrows(.noSuchQuestion(id: "q1")) { try queue.withdraw(listenerID: 1, questionID: "q1") }
    }

    func testWithdrawRefusesOnAirAndFinishedQuestions() throws {
        var queue = self.unlimited()
        try queue.ask(listenerID: 1, text: "one", nowMicros: self.t0)
        try queue.pick("q1")
        self.assertThrows(.notOpen(id: "q1", state: .onAir)) { try queue.withdraw(listenerID: 1, questionID: "q1") }
        try queue.answer("q1")
        self.assertThrows(.notOpen(id: "q1", state: .answered)) { try queue.withdraw(listenerID: 1, questionID: "q1") }
        try queue.ask(listenerID: 1, text: "two", nowMicros: self.t0)
        try queue.dismiss("q2")
        self.assertThrows(.notOpen(id: "q2", state: .dismissed)) { try queue.withdraw(listenerID: 1, questionID: "q2") }
        // Someone else's finished question: not yours comes first.
        self.assertThrows(.notYours(id: "q2")) { try queue.withdraw(listenerID: 5, questionID: "q2") }
        XCTAssertEqual(queue.count, 2)
    }

    // MARK: Order and rank

    func testOrderIsPinnedThenVotesThenAge() throws {
        var queue = self.unlimited()
        for listener in UInt64(1)...4 {
            try queue.ask(listenerID: listener, text: "from \(listener)", nowMicros: self.t0 + listener)
        }
        XCTAssertEqual(self.ids(queue), ["q1", "q2", "q3", "q4"])
        // Votes: q3 two, q2 one.
        try queue.upvote(listenerID: 10, questionID: "q3", nowMicros: self.t0)
        try queue.upvote(listenerID: 11, questionID: "q3", nowMicros: self.t0)
        try queue.upvote(listenerID: 10, questionID: "q2", nowMicros: self.t0)
        XCTAssertEqual(self.ids(queue), ["q3", "q2", "q1", "q4"])
        // Equal votes: the older first (q1 was asked before q4).
        try queue.upvote(listenerID: 10, questionID: "q4", nowMicros: self.t0)
        try queue.upvote(listenerID: 10, questionID: "q1", nowMicros: self.t0)
        XCTAssertEqual(self.ids(queue), ["q3", "q1", "q2", "q4"])
        // Pinned first, whatever the votes.
        try queue.pin("q4")
        XCTAssertEqual(self.ids(queue), ["q4", "q3", "q1", "q2"])
        XCTAssertEqual(queue.question("q4")?.pinned, true)
        // Two pinned: among them, votes then age again (q2 is older than q4).
        try queue.pin("q2")
        XCTAssertEqual(self.ids(queue), ["q2", "q4", "q3", "q1"])
        try queue.upvote(listenerID: 11, questionID: "q4", nowMicros: self.t0)
        XCTAssertEqual(self.ids(queue), ["q4", "q2", "q3", "q1"])
        // Unpinned: back by votes and age (q3 and q4 two votes each, q1 and q2 one).
        try queue.unpin("q4")
        try queue.unpin("q2")
        XCTAssertEqual(self.ids(queue), ["q3", "q4", "q1", "q2"])
        XCTAssertEqual(queue.question("q4")?.pinned, false)
    }

    func testQuestionsAskedInTheSameMicrosecondKeepTheirOrder() throws {
        var queue = self.unlimited()
        for listener in UInt64(1)...5 { try queue.ask(listenerID: listener, text: "same time", nowMicros: self.t0) }
        XCTAssertEqual(self.ids(queue), ["q1", "q2", "q3", "q4", "q5"])
        try queue.upvote(listenerID: 9, questionID: "q4", nowMicros: self.t0)
        XCTAssertEqual(self.ids(queue), ["q4", "q1", "q2", "q3", "q5"])
    }

    func testRankOf() throws {
        var queue = self.unlimited()
        for listener in UInt64(1)...3 { try queue.ask(listenerID: listener, text: "q", nowMicros: self.t0 + listener) }
        XCTAssertEqual(queue.rank(of: "q1"), 1)
        XCTAssertEqual(queue.rank(of: "q2"), 2)
        XCTAssertEqual(queue.rank(of: "q3"), 3)
        try queue.upvote(listenerID: 9, questionID: "q3", nowMicros: self.t0)
        XCTAssertEqual(queue.rank(of: "q3"), 1)
        XCTAssertEqual(queue.rank(of: "q1"), 2)
        XCTAssertEqual(queue.rank(of: "q2"), 3)
        // On air, answered, unknown: no rank (the state says where it is).
        try queue.pick("q3")
        XCTAssertNil(queue.rank(of: "q3"))
        XCTAssertEqual(queue.question("q3")?.state, .onAir)
        XCTAssertEqual(queue.rank(of: "q1"), 1)
        XCTAssertEqual(queue.rank(of: "q2"), 2)
        try queue.answer("q3")
        XCTAssertNil(queue.rank(of: "q3"))
        XCTAssertNil(queue.rank(of: "q42"))
        XCTAssertNil(queue.rank(of: ""))
    }

    // MARK: Host actions

    func testOnlyOneQuestionOnAir() throws {
        var queue = self.unlimited()
        for listener in UInt64(1)...3 { try queue.ask(listenerID: listener, text: "q\(listener)", nowMicros: self.t0) }
        let first = try queue.pick("q1")
        XCTAssertEqual(first.map(\.id), ["q1"])
        XCTAssertEqual(first.map(\.state), [.onAir])
        XCTAssertEqual(queue.onAir?.id, "q1")
        XCTAssertEqual(queue.openCount, 2)

        // Picking another answers the previous one.
        let second = try queue.pick("q2")
        XCTAssertEqual(second.map(\.id), ["q1", "q2"])
        XCTAssertEqual(second.map(\.state), [.answered, .onAir])
        XCTAssertEqual(queue.onAir?.id, "q2")
        XCTAssertEqual(queue.question("q1")?.state, .answered)
        XCTAssertEqual(queue.openCount, 1)
        XCTAssertEqual(queue.count, 3)
        XCTAssertEqual(self.ids(queue), ["q3"])

        // Picking the one on air changes nothing.
        let version = queue.version
        XCTAssertEqual(try queue.pick("q2"), [])
        XCTAssertEqual(queue.version, version)
        XCTAssertEqual(queue.onAir?.id, "q2")

        // Finished questions cannot go back on air.
        self.assertThrows(.notOpen(id: "q1", state: .answered)) { try queue.pick("q1") }
        try queue.dismiss("q3")
        self.assertThrows(.notOpen(id: "q3", state: .dismissed)) { try queue.pick("q3") }
        XCTAssertEqual(queue.onAir?.id, "q2")
    }

    func testPickingClearsThePin() throws {
        var queue = self.unlimited()
        try queue.ask(listenerID: 1, text: "a", nowMicros: self.t0)
        try queue.pin("q1")
        XCTAssertEqual(try queue.pick("q1").first?.pinned, false)
        self.assertThrows(.notOpen(id: "q1", state: .onAir)) { try queue.pin("q1") }
        self.assertThrows(.notOpen(id: "q1", state: .onAir)) { try queue.unpin("q1") }
    }

    func testAnswerAndDismiss() throws {
        var queue = self.unlimited()
        for listener in UInt64(1)...4 { try queue.ask(listenerID: listener, text: "q\(listener)", nowMicros: self.t0) }
        // Straight from open.
        XCTAssertEqual(try queue.answer("q1").state, .answered)
        try queue.pin("q2")
        let dismissed = try queue.dismiss("q2")
        XCTAssertEqual(dismissed.state, .dismissed)
        XCTAssertFalse(dismissed.pinned)
        // From on air: nothing is on air afterwards.
        try queue.pick("q3")
        XCTAssertEqual(try queue.answer("q3").state, .answered)
        XCTAssertNil(queue.onAir)
        try queue.pick("q4")
        XCTAssertEqual(try queue.dismiss("q4").state, .dismissed)
        XCTAssertNil(queue.onAir)
        XCTAssertEqual(queue.openCount, 0)
        XCTAssertEqual(queue.count, 4)
        // Final states are final.
        self.assertThrows(.notOpen(id: "q1", state: .answered)) { try queue.answer("q1") }
        self.assertThrows(.notOpen(id: "q1", state: .answered)) { try queue.dismiss("q1") }
        self.assertThrows(.notOpen(id: "q2", state: .dismissed)) { try queue.answer("q2") }
        self.assertThrows(.notOpen(id: "q2", state: .dismissed)) { try queue.pin("q2") }
        self.assertThrows(.notOpen(id: "q2", state: .dismissed)) { try queue.unpin("q2") }
    }

    func testPinAndUnpinAreIdempotent() throws {
        var queue = self.unlimited()
        try queue.ask(listenerID: 1, text: "a", nowMicros: self.t0)
        try queue.ask(listenerID: 2, text: "b", nowMicros: self.t0)
        XCTAssertEqual(try queue.pin("q2").pinned, true)
        let version = queue.version
        XCTAssertEqual(try queue.pin("q2").pinned, true)
        XCTAssertEqual(queue.version, version)
        XCTAssertEqual(try queue.unpin("q1").pinned, false)
        XCTAssertEqual(queue.version, version)
        XCTAssertEqual(self.ids(queue), ["q2", "q1"])
    }

    func testHostActionsOnUnknownIDs() throws {
        var queue = self.unlimited()
        try queue.ask(listenerID: 1, text: "a", nowMicros: self.t0)
        let before = queue.snapshot()
        self.assertThrows(.noSuchQuestion(id: "q999")) { try queue.pick("q999") }
        self.assertThrows(.noSuchQuestion(id: "q999")) { try queue.answer("q999") }
        self.assertThrows(.noSuchQuestion(id: "q999")) { try queue.dismiss("q999") }
        self.assertThrows(.noSuchQuestion(id: "q999")) { try queue.pin("q999") }
        self.assertThrows(.noSuchQuestion(id: "q999")) { try queue.unpin("q999") }
        self.assertThrows(.noSuchQuestion(id: "Q1")) { try queue.pick("Q1") }
        XCTAssertEqual(queue.snapshot(), before)
        XCTAssertEqual(queue.question("q1")?.state, .open)
    }

    // MARK: The cap

    func testCapEvictsFinishedQuestionsFewestVotesThenOldest() throws {
        var queue = self.unlimited { $0.capacity = 5 }
        for listener in UInt64(1)...5 { try queue.ask(listenerID: listener, text: "q\(listener)", nowMicros: self.t0 + listener) }
        // q1 answered with 2 votes; q2 dismissed, 0 votes; q3 answered, 0 votes; q4, q5 open.
        try queue.upvote(listenerID: 10, questionID: "q1", nowMicros: self.t0)
        try queue.upvote(listenerID: 11, questionID: "q1", nowMicros: self.t0)
        try queue.answer("q1")
        try queue.dismiss("q2")
        try queue.answer("q3")

        // Full: the next ask forgets q2 (0 votes, older than q3).
        XCTAssertEqual(try queue.ask(listenerID: 6, text: "q6", nowMicros: self.t0 + 6).id, "q6")
        XCTAssertEqual(queue.count, 5)
        XCTAssertNil(queue.question("q2"))
        XCTAssertNotNil(queue.question("q3"))
        // Then q3 (0 votes), though q1 is older.
        try queue.ask(listenerID: 7, text: "q7", nowMicros: self.t0 + 7)
        XCTAssertNil(queue.question("q3"))
        XCTAssertEqual(queue.question("q1")?.state, .answered)
        // Then q1, the last finished one.
        try queue.ask(listenerID: 8, text: "q8", nowMicros: self.t0 + 8)
        XCTAssertNil(queue.question("q1"))
        self.assertThrows(.noSuchQuestion(id: "q1")) { try queue.upvote(listenerID: 12, questionID: "q1", nowMicros: self.t0) }
        XCTAssertEqual(self.ids(queue), ["q4", "q5", "q6", "q7", "q8"])

        // Only open questions remain: none is lost, the ask is refused.
        let before = queue.snapshot()
        self.assertThrows(.queueFull(limit: 5)) { try queue.ask(listenerID: 9, text: "q9", nowMicros: self.t0 + 9) }
        XCTAssertEqual(queue.count, 5)
        XCTAssertEqual(queue.snapshot(), before)
        XCTAssertNil(queue.question(askedBy: 9))
    }

    func testOnAirQuestionsAreNeverEvicted() throws {
        var queue = self.unlimited { $0.capacity = 2 }
        try queue.ask(listenerID: 1, text: "a", nowMicros: self.t0)
        try queue.ask(listenerID: 2, text: "b", nowMicros: self.t0)
        try queue.pick("q1")
        self.assertThrows(.queueFull(limit: 2)) { try queue.ask(listenerID: 3, text: "c", nowMicros: self.t0) }
        XCTAssertEqual(queue.onAir?.id, "q1")
        // Once a question is done with, there is room again.
        try queue.pick("q2")
        XCTAssertEqual(try queue.ask(listenerID: 3, text: "c", nowMicros: self.t0).id, "q3")
        XCTAssertNil(queue.question("q1"))
        XCTAssertEqual(queue.onAir?.id, "q2")
        // A withdrawal frees its place too.
        self.assertThrows(.queueFull(limit: 2)) { try queue.ask(listenerID: 4, text: "d", nowMicros: self.t0) }
        try queue.withdraw(listenerID: 3, questionID: "q3")
        XCTAssertEqual(try queue.ask(listenerID: 4, text: "d", nowMicros: self.t0).id, "q4")
    }

    func testEvictionAmongEqualVotesTakesTheOldest() throws {
        var queue = self.unlimited { $0.capacity = 3 }
        // Asked in the order q1, q2, q3, but q2 carries the earliest time.
        try queue.ask(listenerID: 1, text: "a", nowMicros: self.t0 + 20)
        try queue.ask(listenerID: 2, text: "b", nowMicros: self.t0 + 10)
        try queue.ask(listenerID: 3, text: "c", nowMicros: self.t0 + 30)
        try queue.dismiss("q1")
        try queue.answer("q2")
        try queue.dismiss("q3")
        try queue.ask(listenerID: 4, text: "d", nowMicros: self.t0 + 40)
        XCTAssertNil(queue.question("q2"))
        try queue.ask(listenerID: 5, text: "e", nowMicros: self.t0 + 50)
        XCTAssertNil(queue.question("q1"))
        XCTAssertEqual(queue.question("q3")?.state, .dismissed)
    }

    // MARK: Snapshot and version

    func testSnapshotShowsCountOnAirAndTopInOrder() throws {
        var queue = self.unlimited { $0.snapshotSize = 2 }
        XCTAssertEqual(queue.snapshot(), QuestionQueue.Snapshot(version: 0, openCount: 0, onAir: nil, top: []))
        for listener in UInt64(1)...4 { try queue.ask(listenerID: listener, text: "text \(listener)", nowMicros: self.t0 + listener) }
        try queue.upvote(listenerID: 9, questionID: "q3", nowMicros: self.t0)
        try queue.pick("q1")
        try queue.pin("q4")

        let snapshot = queue.snapshot()
        XCTAssertEqual(snapshot.version, queue.version)
        XCTAssertEqual(snapshot.openCount, 3)
        XCTAssertEqual(snapshot.onAir, .init(id: "q1", text: "text 1", votes: 0, state: .onAir, pinned: false))
        XCTAssertEqual(snapshot.top, [
            .init(id: "q4", text: "text 4", votes: 0, state: .open, pinned: true),
            .init(id: "q3", text: "text 3", votes: 1, state: .open, pinned: false),
        ])
        // Any size on demand; the same version.
        let all = queue.snapshot(top: 10)
        XCTAssertEqual(all.version, snapshot.version)
        XCTAssertEqual(all.openCount, 3)
        XCTAssertEqual(all.onAir, snapshot.onAir)
        XCTAssertEqual(all.top.map(\.id), ["q4", "q3", "q2"])
        XCTAssertEqual(queue.snapshot(top: 0).top, [])
        XCTAssertEqual(queue.snapshot(top: 2), snapshot)
    }

    func testDefaultSnapshotShowsTen() throws {
        var queue = self.unlimited()
        for listener in UInt64(1)...12 { try queue.ask(listenerID: listener, text: "q", nowMicros: self.t0 + listener) }
        XCTAssertEqual(queue.snapshot().top.count, 10)
        XCTAssertEqual(queue.snapshot().openCount, 12)
        XCTAssertEqual(queue.snapshot().top.last?.id, "qa")
    }

    func testVersionGrowsWithEachVisibleChange() throws {
        var queue = self.unlimited()
        XCTAssertEqual(queue.version, 0)
        try queue.ask(listenerID: 1, text: "a", nowMicros: self.t0)
        XCTAssertEqual(queue.version, 1)
        try queue.ask(listenerID: 2, text: "b", nowMicros: self.t0)
        XCTAssertEqual(queue.version, 2)
        try queue.upvote(listenerID: 3, questionID: "q2", nowMicros: self.t0)
        XCTAssertEqual(queue.version, 3)
        try queue.pin("q1")
        XCTAssertEqual(queue.version, 4)
        try queue.unpin("q1")
        XCTAssertEqual(queue.version, 5)
        try queue.pick("q1")
        XCTAssertEqual(queue.version, 6)
        try queue.upvote(listenerID: 3, questionID: "q1", nowMicros: self.t0)  // on air: shown
        XCTAssertEqual(queue.version, 7)
        try queue.pick("q2")
        XCTAssertEqual(queue.version, 8)
        try queue.answer("q2")
        XCTAssertEqual(queue.version, 9)
        try queue.ask(listenerID: 3, text: "c", nowMicros: self.t0)
        try queue.dismiss("q3")
        XCTAssertEqual(queue.version, 11)
        try queue.ask(listenerID: 4, text: "d", nowMicros: self.t0)
        try queue.withdraw(listenerID: 4, questionID: "q4")
        XCTAssertEqual(queue.version, 13)
        XCTAssertEqual(queue.snapshot().version, 13)
    }

    func testVersionStaysOnRefusedActions() throws {
        var queue = self.unlimited { $0.capacity = 3 }
        try queue.ask(listenerID: 1, text: "a", nowMicros: self.t0)
        try queue.ask(listenerID: 2, text: "b", nowMicros: self.t0)
        try queue.upvote(listenerID: 3, questionID: "q1", nowMicros: self.t0)
        try queue.ask(listenerID: 3, text: "c", nowMicros: self.t0)
        try queue.answer("q3")
        let before = queue.snapshot()
        self.assertThrows(.emptyText) { try queue.ask(listenerID: 9, text: " ", nowMicros: self.t0) }
        self.assertThrows(.oneOpenQuestion(id: "q1")) { try queue.ask(listenerID: 1, text: "again", nowMicros: self.t0) }
        self.assertThrows(.alreadyVoted(id: "q1")) { try queue.upvote(listenerID: 3, questionID: "q1", nowMicros: self.t0) }
        self.assertThrows(.ownQuestion(id: "q2")) { try queue.upvote(listenerID: 2, questionID: "q2", nowMicros: self.t0) }
        self.assertThrows(.notOpen(id: "q3", state: .answered)) { try queue.upvote(listenerID: 1, questionID: "q3", nowMicros: self.t0) }
        self.assertThrows(.notYours(id: "q1")) { try queue.withdraw(listenerID: 2, questionID: "q1") }
        self.assertThrows(.notOpen(id: "q3", state: .answered)) { try queue.pick("q3") }
        self.assertThrows(.noSuchQuestion(id: "x")) { try queue.dismiss("x") }
        XCTAssertEqual(queue.snapshot(), before)
        XCTAssertEqual(queue.version, before.version)
    }

    func testVersionStaysWhenAVoteChangesNothingShown() throws {
        var queue = self.unlimited { $0.snapshotSize = 2 }
        for listener in UInt64(1)...4 { try queue.ask(listenerID: listener, text: "q", nowMicros: self.t0 + listener) }
        for voter in UInt64(10)...11 {
            try queue.upvote(listenerID: voter, questionID: "q1", nowMicros: self.t0)
            try queue.upvote(listenerID: voter, questionID: "q2", nowMicros: self.t0)
        }
        XCTAssertEqual(queue.snapshot().top.map(\.id), ["q1", "q2"])
        let version = queue.version

        // q4 climbs to third place: outside the top 2, so the snapshot is the same.
        try queue.upvote(listenerID: 10, questionID: "q4", nowMicros: self.t0)
        XCTAssertEqual(queue.version, version)
        XCTAssertEqual(queue.rank(of: "q4"), 3)
        XCTAssertEqual(queue.snapshot(top: 4).top.map(\.votes), [2, 2, 1, 0])
        // Two votes ties with the top two, but it is younger: still third.
        try queue.upvote(listenerID: 11, questionID: "q4", nowMicros: self.t0)
        XCTAssertEqual(queue.version, version)
        XCTAssertEqual(queue.rank(of: "q4"), 3)

        // Three votes: it enters the top, the snapshot changes.
        try queue.upvote(listenerID: 12, questionID: "q4", nowMicros: self.t0)
        XCTAssertEqual(queue.version, version + 1)
        XCTAssertEqual(queue.snapshot().top.map(\.id), ["q4", "q1"])

        // A new question lands outside the top but changes the open count: a new version.
        try queue.ask(listenerID: 5, text: "q", nowMicros: self.t0 + 5)
        XCTAssertEqual(queue.version, version + 2)
        XCTAssertEqual(queue.snapshot().openCount, 5)

        // Pinning a question from below the top brings it into view: a new version.
        try queue.pin("q3")
        XCTAssertEqual(queue.version, version + 3)
        XCTAssertEqual(queue.snapshot().top.map(\.id), ["q3", "q4"])
    }

    // MARK: Housekeeping

    func testPruneForgetsOnlyFullBuckets() throws {
        var queue = QuestionQueue()
        try queue.ask(listenerID: 1, text: "a", nowMicros: self.t0)
        try queue.upvote(listenerID: 2, questionID: "q1", nowMicros: self.t0)
        XCTAssertEqual(queue.trackedListeners, 2)
        queue.prune(nowMicros: self.t0)
        XCTAssertEqual(queue.trackedListeners, 2)
        // Listener 2's upvote bucket (5/s) is full after 200 ms; listener 1's ask bucket needs 30 s.
        queue.prune(nowMicros: self.t0 + 3 * self.second)
        XCTAssertEqual(queue.trackedListeners, 1)
        queue.prune(nowMicros: self.t0 + 31 * self.second)
        XCTAssertEqual(queue.trackedListeners, 0)
        // Listener 2 may still not vote twice: votes are not rate-limit state.
        self.assertThrows(.alreadyVoted(id: "q1")) { try queue.upvote(listenerID: 2, questionID: "q1", nowMicros: self.t0 + 31 * self.second) }
    }

    // MARK: Errors

    func testErrorCodesAndMessages() {
        let cases: [(QuestionQueueError, String, String)] = [
            (.emptyText, "empty_text", "a question needs at least one character besides whitespace"),
            (.textTooLong(length: 281, limit: 280), "text_too_long", "question of 281 characters exceeds the limit of 280"),
            (.controlCharacter, "control_character", "a question must be one line without control characters (newline and tab included)"),
            (.oneOpenQuestion(id: "q1"), "one_open_question", "your question q1 is still open: withdraw it or wait until it is answered"),
            (.rateLimited(retryAfterMicros: 29_000_001), "rate_limited", "too many requests: retry in 30 s"),
            (.queueFull(limit: 500), "queue_full", "the question queue is full (500 questions, all still open)"),
            (.noSuchQuestion(id: "q9"), "no_such_question", "no question \"q9\""),
            (.alreadyVoted(id: "q2"), "already_voted", "you already upvoted question q2"),
            (.ownQuestion(id: "q3"), "own_question", "question q3 is your own: you cannot upvote it"),
            (.notOpen(id: "q4", state: .onAir), "not_open", "question q4 is on air"),
            (.notYours(id: "q5"), "not_yours", "question q5 was asked by another listener"),
            (.unknownReaction("🦆"), "unknown_reaction", "unknown reaction \"🦆\""),
            (.handsFull(limit: 1000), "hands_full", "too many raised hands (limit 1000)"),
        ]
        for (error, code, message) in cases {
            XCTAssertEqual(error.code, code)
            XCTAssertEqual(error.message, message)
            XCTAssertEqual(error.description, "\(code): \(message)")
            XCTAssertEqual(error.isRateLimited, code == "rate_limited", code)
        }
        XCTAssertEqual(Set(cases.map(\.1)).count, cases.count)
        // A short wait still reads as at least a second; peer strings are cut.
        XCTAssertEqual(QuestionQueueError.rateLimited(retryAfterMicros: 0).message, "too many requests: retry in 1 s")
        XCTAssertEqual(QuestionQueueError.rateLimited(retryAfterMicros: 1_000_000).message, "too many requests: retry in 1 s")
        XCTAssertEqual(QuestionQueueError.noSuchQuestion(id: String(repeating: "x", count: 100)).message, "no question \"\(String(repeating: "x", count: 40))\"")
    }

    func testDefaults() {
        let configuration = QuestionQueue.Configuration()
        XCTAssertEqual(configuration.maximumTextLength, 280)
        XCTAssertEqual(configuration.capacity, 500)
        XCTAssertEqual(configuration.asksPerSecond, 1.0 / 30)
        XCTAssertEqual(configuration.askBurst, 1)
        XCTAssertEqual(configuration.upvotesPerSecond, 5)
        XCTAssertEqual(configuration.upvoteBurst, 10)
        XCTAssertEqual(configuration.snapshotSize, 10)
    }
}
