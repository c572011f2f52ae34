import XCTest

@testable import SpacesCore

final class ConversationDigestTests: XCTestCase {
    private func question(_ sequence: UInt64, asker: UInt64, votes: Int = 0, state: Question.State = .open) -> Question {
        var question = Question(sequence: sequence, askerListenerID: asker, text: "q\(sequence)", askedAtMicros: sequence, id: StoredQuestion.id(sequence: sequence))
        question.votes = votes
        question.state = state
        return question
    }

    private var settings: SpacesConfiguration.Conversation {
        var settings = SpacesConfiguration.Conversation()
        settings.topQuestions = 2
        settings.hostQuestions = 3
        return settings
    }

    func testTheSharedViewsAndEachAskersRankComeFromTheState() {
        var digest = ConversationDigest(settings: self.settings)
        let open = [self.question(2, asker: 20, votes: 3), self.question(1, asker: 10, votes: 1), self.question(3, asker: 30), self.question(4, asker: 40)]
        let updates = digest.digest(.init(revision: 5, handsVersion: 0, open: open), nowMicros: 0)
        XCTAssertEqual(updates.questions?.version, 5, "the cluster's revision is the version")
        XCTAssertEqual(updates.questions?.total, 4)
        XCTAssertEqual(updates.questions?.top.map(\.id), ["q000000002", "q000000001"], "topQuestions")
        XCTAssertEqual(updates.hostQuestions?.top.count, 3, "hostQuestions")
        XCTAssertEqual(updates.personal.map(\.listenerID), [20, 10, 30, 40])
        XCTAssertEqual(updates.personal.map(\.question.rank), [1, 2, 3, 4])
        XCTAssertEqual(updates.hands, .init(version: 0, total: 0, hands: []), "a first digest sends the host the hands, none")
    }

    func testOnlyWhatChangedIsSentAgain() {
        var digest = ConversationDigest(settings: self.settings)
        let first = [self.question(1, asker: 10, votes: 2), self.question(2, asker: 20, votes: 1), self.question(3, asker: 30)]
        _ = digest.digest(.init(revision: 1, handsVersion: 0, open: first), nowMicros: 0)
        // The third question gains a vote: the top two and the host's three are unchanged in
        // order, but the host's view shows votes, and only that asker is told.
        var second = first
        second[2].votes = 1
        let updates = digest.digest(.init(revision: 2, handsVersion: 0, open: second), nowMicros: 0)
        XCTAssertNil(updates.questions, "the listeners' top two did not change")
        XCTAssertEqual(updates.hostQuestions?.top.last?.votes, 1)
        XCTAssertEqual(updates.personal.map(\.listenerID), [30])
        XCTAssertTrue(digest.digest(.init(revision: 2, handsVersion: 0, open: second), nowMicros: 0).isEmpty, "nothing new, nothing sent")
    }

    func testClosedQuestionsTellTheirAskersHowTheyEndedAndWithdrawnOnesAreSimplyGone() {
        var digest = ConversationDigest(settings: self.settings)
        _ = digest.digest(.init(revision: 1, handsVersion: 0, open: [self.question(1, asker: 10), self.question(2, asker: 20)]), nowMicros: 0)
        let onAir = self.question(1, asker: 10, state: .onAir)
        let picked = digest.digest(.init(revision: 2, handsVersion: 0, open: [self.question(2, asker: 20)], onAir: onAir), nowMicros: 0)
        XCTAssertEqual(picked.questions?.onAir?.id, onAir.id)
        XCTAssertEqual(picked.personal, [
            .init(listenerID: 20, question: .init(id: "q000000002", state: "open", rank: 1, votes: 0)),
            .init(listenerID: 10, question: .init(id: "q000000001", state: "on_air", rank: nil, votes: 0)),
        ])
        // Answered (closed), and question 2 withdrawn: only the answered one's asker hears.
        let answered = self.question(1, asker: 10, votes: 4, state: .answered)
        let closed = digest.digest(.init(revision: 4, handsVersion: 0, closed: [answered]), nowMicros: 0)
        XCTAssertEqual(closed.personal, [.init(listenerID: 10, question: .init(id: "q000000001", state: "answered", rank: nil, votes: 4))])
        XCTAssertEqual(closed.questions?.total, 0)
        XCTAssertNil(closed.questions?.onAir)
    }

    func testHandsAndReactions() {
        var digest = ConversationDigest(settings: self.settings)
        let hands = [HandQueue.Hand(listenerID: 36, raisedAtMicros: 1_000_000), HandQueue.Hand(listenerID: 37, raisedAtMicros: 4_000_000)]
        let updates = digest.digest(.init(revision: 0, handsVersion: 3, hands: hands, handsTotal: 9, reactions: ["👏": 4]), nowMicros: 6_000_000)
        XCTAssertEqual(updates.hands, .init(version: 3, total: 9, hands: [.init(listenerId: "10", waitedSeconds: 5), .init(listenerId: "11", waitedSeconds: 2)]))
        XCTAssertEqual(updates.reactions?.counts, ["👏": 4])
        let again = digest.digest(.init(revision: 0, handsVersion: 3, hands: hands, handsTotal: 9), nowMicros: 7_000_000)
        XCTAssertNil(again.hands, "same version, not sent again")
        XCTAssertNil(again.reactions)
    }
}
