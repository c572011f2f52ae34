import XCTest

@testable import SpacesCore

final class ConversationTests: XCTestCase {
    private let second: UInt64 = 1_000_000

    private func ask(_ conversation: inout Conversation, _ listener: UInt64, _ text: String, at now: UInt64) throws -> String {
        guard case .asked(let reference) = try conversation.receive(.ask(text: text), from: listener, nowMicros: now) else {
            XCTFail("no asked acknowledgement")
            return ""
        }
        return reference.id
    }

    func testAcknowledgements() throws {
        var conversation = Conversation()
        let id = try self.ask(&conversation, 1, "  Will the slides be shared?  ", at: 0)
        XCTAssertEqual(conversation.queue.question(id)?.text, "Will the slides be shared?")
        XCTAssertEqual(try conversation.receive(.upvote(id: id), from: 2, nowMicros: 1), .upvoted(.init(id: id)))
        XCTAssertEqual(try conversation.receive(.hand(raised: true), from: 3, nowMicros: 2), .hand(.init(raised: true, position: 1)))
        XCTAssertEqual(try conversation.receive(.hand(raised: true), from: 4, nowMicros: 3), .hand(.init(raised: true, position: 2)))
        XCTAssertEqual(try conversation.receive(.hand(raised: false), from: 3, nowMicros: 4), .hand(.init(raised: false, position: nil)))
        XCTAssertNil(try conversation.receive(.react(emoji: "👏"), from: 5, nowMicros: 5), "reactions are not acknowledged")
        XCTAssertEqual(try conversation.receive(.withdraw(id: id), from: 1, nowMicros: 6), .withdrawn(.init(id: id)))
        XCTAssertEqual(try conversation.receive(.ping, from: 1, nowMicros: 7), .pong)
    }

    func testRefusalsAreTheQueuesErrors() throws {
        var conversation = Conversation()
        let id = try self.ask(&conversation, 1, "first", at: 0)
        XCTAssertThrowsError(try conversation.receive(.upvote(id: id), from: 1, nowMicros: 1)) {
            XCTAssertEqual(($0 as? QuestionQueueError)?.code, "own_question")
        }
        XCTAssertThrowsError(try conversation.receive(.react(emoji: "🦆"), from: 2, nowMicros: 1)) {
            XCTAssertEqual(($0 as? QuestionQueueError)?.code, "unknown_reaction")
        }
        XCTAssertThrowsError(try conversation.receive(.ask(text: "\n"), from: 3, nowMicros: 1)) {
            XCTAssertEqual(($0 as? QuestionQueueError)?.code, "control_character")
        }
        XCTAssertThrowsError(try conversation.receive(.withdraw(id: id), from: 2, nowMicros: 1)) {
            XCTAssertEqual(($0 as? QuestionQueueError)?.code, "not_yours")
        }
    }

    func testQuestionsAreSentAtMostOncePerIntervalAndOnlyWhenChanged() throws {
        var conversation = Conversation()
        XCTAssertNil(conversation.due(nowMicros: 0).questions, "an empty queue that never changed sends nothing")
        let first = try self.ask(&conversation, 1, "first", at: second)
        let update = conversation.due(nowMicros: second)
        XCTAssertEqual(update.questions?.total, 1)
        XCTAssertEqual(update.questions?.top.map(\.id), [first])
        XCTAssertNil(conversation.due(nowMicros: second + 1).questions, "nothing changed")

        let secondQuestion = try self.ask(&conversation, 2, "second", at: second + 10)
        XCTAssertNil(conversation.due(nowMicros: second + 400_000).questions, "changed, but within 500 ms of the last update")
        let later = conversation.due(nowMicros: second + 500_000)
        XCTAssertEqual(later.questions?.top.map(\.id), [first, secondQuestion])
        XCTAssertGreaterThan(later.questions!.version, update.questions!.version)

        // Many changes inside one interval make one update, with the latest content.
        for voter in UInt64(10)..<UInt64(20) {
            _ = try conversation.receive(.upvote(id: secondQuestion), from: voter, nowMicros: second + 600_000)
        }
        XCTAssertNil(conversation.due(nowMicros: second + 700_000).questions)
        let coalesced = conversation.due(nowMicros: second + 1_000_000)
        XCTAssertEqual(coalesced.questions?.top.map(\.id), [secondQuestion, first])
        XCTAssertEqual(coalesced.questions?.top.first?.votes, 10)
    }

    func testTheIntervalIsASetting() throws {
        var settings = SpacesConfiguration.Conversation()
        settings.questionsIntervalMs = 2000
        var conversation = Conversation(settings: settings)
        _ = try self.ask(&conversation, 1, "first", at: 0)
        XCTAssertNotNil(conversation.due(nowMicros: 0).questions)
        _ = try self.ask(&conversation, 2, "second", at: 1)
        XCTAssertNil(conversation.due(nowMicros: 1_999_999).questions)
        XCTAssertNotNil(conversation.due(nowMicros: 2_000_000).questions)
    }

    func testAskersAreToldTheirOwnRankWhenItMoves() throws {
        var conversation = Conversation()
        let a = try self.ask(&conversation, 1, "a", at: 0)
        let b = try self.ask(&conversation, 2, "b", at: 1)
        let first = conversation.due(nowMicros: second)
        XCTAssertEqual(Set(first.personal.map(\.listenerID)), [1, 2])
        XCTAssertEqual(first.personal.first { $0.listenerID == 2 }?.question, .init(id: b, state: "open", rank: 2, votes: 0))

        // b overtakes a: both ranks move, both askers are told.
        _ = try conversation.receive(.upvote(id: b), from: 9, nowMicros: 2 * second)
        let moved = conversation.due(nowMicros: 2 * second)
        XCTAssertEqual(moved.personal.first { $0.listenerID == 2 }?.question, .init(id: b, state: "open", rank: 1, votes: 1))
        XCTAssertEqual(moved.personal.first { $0.listenerID == 1 }?.question, .init(id: a, state: "open", rank: 2, votes: 0))

        // A third question below both moves nobody else's rank: only its asker is told.
        _ = try self.ask(&conversation, 3, "c", at: 3 * second)
        XCTAssertEqual(conversation.due(nowMicros: 3 * second).personal.map(\.listenerID), [3])

        // On air, then answered: told each time, then never again.
        _ = try conversation.perform(.pick(questionID: b))
        let onAir = conversation.due(nowMicros: 4 * second)
        XCTAssertEqual(onAir.personal.first { $0.listenerID == 2 }?.question, .init(id: b, state: "on_air", rank: nil, votes: 1))
        XCTAssertEqual(onAir.questions?.onAir?.id, b)
        _ = try conversation.perform(.answer(questionID: b))
        XCTAssertEqual(
            conversation.due(nowMicros: 5 * second).personal.first { $0.listenerID == 2 }?.question,
            .init(id: b, state: "answered", rank: nil, votes: 1)
        )
        _ = try self.ask(&conversation, 4, "d", at: 6 * second)
        XCTAssertFalse(conversation.due(nowMicros: 6 * second).personal.contains { $0.listenerID == 2 })
    }

    func testAWithdrawnQuestionIsNotReportedAgain() throws {
        var conversation = Conversation()
        let id = try self.ask(&conversation, 1, "a", at: 0)
        _ = conversation.due(nowMicros: 0)
        _ = try conversation.receive(.withdraw(id: id), from: 1, nowMicros: 1)
        XCTAssertTrue(conversation.due(nowMicros: second).personal.isEmpty, "the asker had its withdrawn acknowledgement")
    }

    func testHostActionsAndTheHostView() throws {
        var conversation = Conversation()
        let a = try self.ask(&conversation, 1, "a", at: 0)
        let b = try self.ask(&conversation, 2, "b", at: 1)
        let first = conversation.due(nowMicros: second)
        XCTAssertEqual(first.hostQuestions?.top.map(\.id), [a, b])

        let pin = try conversation.perform(.pin(questionID: b))
        XCTAssertEqual(pin.applied, .init(action: "pin", target: b))
        XCTAssertEqual(pin.questions.map(\.pinned), [true])
        XCTAssertEqual(conversation.hostQuestions().top.map(\.id), [b, a], "pinned first")

        let pick = try conversation.perform(.pick(questionID: a))
        XCTAssertEqual(pick.questions.map(\.state), [.onAir])
        let next = try conversation.perform(.pick(questionID: b))
        XCTAssertEqual(next.questions.map(\.id), [a, b], "the previous question is answered first")
        XCTAssertEqual(next.questions.map(\.state), [.answered, .onAir])
        XCTAssertThrowsError(try conversation.perform(.dismiss(questionID: a))) {
            XCTAssertEqual(($0 as? QuestionQueueError)?.code, "not_open")
            XCTAssertEqual(($0 as? QuestionQueueError)?.httpStatus, 409)
        }
        XCTAssertThrowsError(try conversation.perform(.pick(questionID: "q404"))) {
            XCTAssertEqual(($0 as? QuestionQueueError)?.httpStatus, 404)
        }
        let host = conversation.due(nowMicros: 2 * second).hostQuestions
        XCTAssertEqual(host?.onAir?.id, b)
        XCTAssertEqual(host?.total, 0)
    }

    func testTheHostViewIsLongerThanTheListenersTop() throws {
        var settings = SpacesConfiguration.Conversation()
        settings.topQuestions = 3
        settings.hostQuestions = 5
        var conversation = Conversation(settings: settings)
        for listener in UInt64(1)...8 { _ = try self.ask(&conversation, listener, "question \(listener)", at: listener) }
        let updates = conversation.due(nowMicros: second)
        XCTAssertEqual(updates.questions?.top.count, 3)
        XCTAssertEqual(updates.questions?.total, 8)
        XCTAssertEqual(updates.hostQuestions?.top.count, 5)
        XCTAssertEqual(conversation.hostQuestions().top.count, 8, "the HTTP view is the whole queue")
    }

    func testHandsAndInvitations() throws {
        var conversation = Conversation()
        _ = try conversation.receive(.hand(raised: true), from: 36, nowMicros: 0)
        _ = try conversation.receive(.hand(raised: true), from: 37, nowMicros: 2 * second)
        let hands = conversation.due(nowMicros: 5 * second).hands
        XCTAssertEqual(hands?.total, 2)
        XCTAssertEqual(hands?.hands, [.init(listenerId: "10", waitedSeconds: 5), .init(listenerId: "11", waitedSeconds: 3)])
        XCTAssertNil(conversation.due(nowMicros: 6 * second).hands, "unchanged")

        let outcome = try conversation.perform(.invite(listenerID: "10"))
        XCTAssertEqual(outcome.invited, 36)
        XCTAssertEqual(outcome.applied, .init(action: "invite", target: "10"))
        XCTAssertThrowsError(try conversation.perform(.invite(listenerID: "10"))) {
            XCTAssertEqual(($0 as? QuestionQueueError)?.code, "hand_not_raised")
        }
        XCTAssertThrowsError(try conversation.perform(.invite(listenerID: "not base 36!"))) {
            XCTAssertEqual(($0 as? QuestionQueueError)?.code, "hand_not_raised")
        }
        conversation.listenerLeft(37)
        XCTAssertEqual(conversation.due(nowMicros: 7 * second).hands?.total, 0, "a listener that left lowers its hand")
    }

    func testReactionsAreCountedAndSentAtMostOnceASecond() throws {
        var conversation = Conversation()
        XCTAssertNil(conversation.due(nowMicros: 0).reactions)
        for listener in UInt64(1)...30 { _ = try conversation.receive(.react(emoji: "👏"), from: listener, nowMicros: 1) }
        _ = try conversation.receive(.react(emoji: "🔥"), from: 1, nowMicros: 1)
        XCTAssertEqual(conversation.due(nowMicros: 2).reactions?.counts, ["👏": 30, "🔥": 1])
        _ = try conversation.receive(.react(emoji: "👏"), from: 2, nowMicros: 3)
        XCTAssertNil(conversation.due(nowMicros: 500_000).reactions, "within a second of the last counts")
        XCTAssertEqual(conversation.due(nowMicros: second + 2).reactions?.counts, ["👏": 1], "kept, not lost")
        XCTAssertNil(conversation.due(nowMicros: 3 * second).reactions, "no reactions, no message")
    }

    func testReactionRateLimitNamesWhenToRetry() throws {
        var conversation = Conversation()
        var refused: QuestionQueueError?
        for _ in 0..<20 {
            do { _ = try conversation.receive(.react(emoji: "❤️"), from: 1, nowMicros: 0) } catch { refused = error }
        }
        XCTAssertEqual(refused?.isRateLimited, true)
        XCTAssertEqual(refused?.retryAfterSeconds, 1)
        let event = ServerEvent.ErrorEvent(refused!)
        XCTAssertEqual(event.status, 4029)
        XCTAssertEqual(event.code, "rate_limited")
    }

    func testSettingsReachTheStateMachines() {
        var settings = SpacesConfiguration.Conversation()
        settings.questionLength = 50
        settings.questionsPerSpace = 7
        settings.secondsBetweenAsks = 60
        settings.reactions = ["🎉"]
        settings.raisedHands = 2
        let conversation = Conversation(settings: settings)
        XCTAssertEqual(conversation.queue.configuration.maximumTextLength, 50)
        XCTAssertEqual(conversation.queue.configuration.capacity, 7)
        XCTAssertEqual(conversation.queue.configuration.asksPerSecond, 1.0 / 60, accuracy: 1e-12)
        XCTAssertEqual(conversation.hands.configuration.capacity, 2)
        XCTAssertEqual(settings.reactionTally.allowed, ["🎉"])
    }

    func testAQuestionFinishedBeforeItsFirstTickIsStillReportedToItsAsker() throws {
        var conversation = Conversation()
        let id = try self.ask(&conversation, 1, "quick one", at: 0)
        _ = try conversation.perform(.dismiss(questionID: id))
        let personal = conversation.due(nowMicros: second).personal
        XCTAssertEqual(personal, [.init(listenerID: 1, question: .init(id: id, state: "dismissed", rank: nil, votes: 0))])
        XCTAssertTrue(conversation.due(nowMicros: 2 * second).personal.isEmpty, "told once")
    }

    func testTheStandingOfAListenerComingBack() throws {
        var conversation = Conversation()
        XCTAssertEqual(conversation.standing(of: 1), [])
        _ = try self.ask(&conversation, 9, "ahead", at: 0)
        _ = try conversation.receive(.upvote(id: "q1"), from: 8, nowMicros: 1)
        let id = try self.ask(&conversation, 1, "mine", at: 2)
        _ = try conversation.receive(.hand(raised: true), from: 7, nowMicros: 3)
        _ = try conversation.receive(.hand(raised: true), from: 1, nowMicros: 4)
        XCTAssertEqual(conversation.standing(of: 1), [
            .question(.init(id: id, state: "open", rank: 2, votes: 0)), .hand(.init(raised: true, position: 2)),
        ])
        _ = try conversation.perform(.answer(questionID: id))
        _ = try conversation.perform(.invite(listenerID: "1"))
        XCTAssertEqual(conversation.standing(of: 1), [], "nothing open, no hand up")
    }

    func testSettingsOutOfRangeCannotStopTheNode() throws {
        var settings = SpacesConfiguration.Conversation()
        settings.upvotesPerSecond = 0
        settings.reactionsPerSecond = -3
        settings.questionsPerSpace = 0
        settings.topQuestions = -1
        settings.hostQuestions = -5
        settings.raisedHands = -1
        settings.questionLength = 0
        var conversation = Conversation(settings: settings)
        _ = try? conversation.receive(.ask(text: "x"), from: 1, nowMicros: 0)
        _ = try? conversation.receive(.upvote(id: "q1"), from: 2, nowMicros: 0)
        _ = try? conversation.receive(.react(emoji: "👏"), from: 2, nowMicros: 0)
        XCTAssertThrowsError(try conversation.receive(.hand(raised: true), from: 3, nowMicros: 0))
        let updates = conversation.due(nowMicros: 0)
        XCTAssertEqual(updates.questions?.top.count, 0)
        XCTAssertEqual(conversation.queue.count, 1)
    }
}
