@testable import SpacesCLI
import SpacesCore
import XCTest

/// The console's state: server events in, key presses in, host actions out. No terminal.
final class HostConsoleStateTests: XCTestCase {
    typealias Item = ServerEvent.QuestionItem

    static func question(_ id: String, votes: Int, state: String = "open", pinned: Bool = false, text: String? = nil) -> Item {
        Item(id: id, text: text ?? "Question \(id)?", votes: votes, state: state, pinned: pinned)
    }

    static func questions(_ version: UInt64, onAir: Item? = nil, _ top: [Item]) -> ServerEvent {
        .questions(ServerEvent.Questions(version: version, total: top.count, onAir: onAir, top: top))
    }

    func makeState() -> ConsoleState {
        ConsoleState(spaceID: "7ae55fa0eb4d", title: "Town hall", now: 0)
    }

    func testKeysOnTheSelectedQuestionBecomeActions() {
        var state = self.makeState()
        state.apply(Self.questions(1, [Self.question("q1", votes: 5), Self.question("q2", votes: 3, pinned: true)]), at: 1)
        XCTAssertEqual(state.press(.character("p")), [.send(.pick(questionID: "q1"))])
        XCTAssertEqual(state.status?.kind, .pending)
        XCTAssertEqual(state.press(.down), [])
        XCTAssertEqual(state.press(.character("a")), [.send(.answer(questionID: "q2"))])
        XCTAssertEqual(state.press(.character("d")), [.send(.dismiss(questionID: "q2"))])
        XCTAssertEqual(state.press(.character("n")), [.send(.unpin(questionID: "q2"))], "n unpins a pinned question")
        XCTAssertEqual(state.press(.character("k")), [])
        XCTAssertEqual(state.press(.character("n")), [.send(.pin(questionID: "q1"))], "and pins one that is not")
        XCTAssertEqual(state.press(.character("q")), [.quit])
        XCTAssertEqual(state.press(.interrupt), [.quit])
        XCTAssertEqual(state.press(.character("x")), [], "other keys do nothing")
    }

    func testNothingIsSentWithoutASelection() {
        var state = self.makeState()
        XCTAssertEqual(state.press(.character("p")), [])
        XCTAssertEqual(state.status, .init(kind: .note, text: "no question selected"))
        XCTAssertEqual(state.press(.character("i")), [])
        XCTAssertEqual(state.status, .init(kind: .note, text: "no hand selected"))
    }

    func testTabMovesTheArrowsToTheHandsAndIInvites() {
        var state = self.makeState()
        state.apply(Self.questions(1, [Self.question("q1", votes: 1), Self.question("q2", votes: 0)]), at: 1)
        state.apply(.hands(.init(version: 1, total: 3, hands: [
            .init(listenerId: "a", waitedSeconds: 9), .init(listenerId: "b", waitedSeconds: 5), .init(listenerId: "c", waitedSeconds: 1),
        ])), at: 1)
        XCTAssertEqual(state.press(.tab), [])
        XCTAssertEqual(state.focus, .hands)
        _ = state.press(.down)
        _ = state.press(.down)
        _ = state.press(.down)
        XCTAssertEqual(state.press(.character("i")), [.send(.invite(listenerID: "c"))], "clamped at the last hand")
        XCTAssertEqual(state.selectedQuestionItem?.id, "q1", "the question selection did not move")
        XCTAssertEqual(state.press(.character("p")), [.send(.pick(questionID: "q1"))], "question keys act whatever the focus")
        _ = state.press(.tab)
        _ = state.press(.up)
        XCTAssertEqual(state.focus, .questions)
        XCTAssertEqual(state.selectedQuestionItem?.id, "q1", "clamped at the first question")
    }

    func testOnAirQuestionIsTheFirstRow() {
        var state = self.makeState()
        let onAir = Self.question("q9", votes: 7, state: "on_air")
        state.apply(Self.questions(2, onAir: onAir, [Self.question("q1", votes: 2)]), at: 1)
        XCTAssertEqual(state.questionRows.map(\.id), ["q9", "q1"])
        XCTAssertEqual(state.press(.character("a")), [.send(.answer(questionID: "q9"))])
    }

    func testSelectionFollowsItsQuestionWhenTheQueueIsReranked() {
        var state = self.makeState()
        state.apply(Self.questions(1, [Self.question("q1", votes: 3), Self.question("q2", votes: 2), Self.question("q3", votes: 1)]), at: 1)
        _ = state.press(.down)
        XCTAssertEqual(state.selectedQuestionItem?.id, "q2")
        state.apply(Self.questions(2, [Self.question("q2", votes: 5), Self.question("q1", votes: 3), Self.question("q3", votes: 1)]), at: 2)
        XCTAssertEqual(state.selectedQuestionItem?.id, "q2")
        XCTAssertEqual(state.selectedQuestion, 0)
        // Picked: it moves to the top as the one on air, and stays selected.
        state.apply(Self.questions(3, onAir: Self.question("q2", votes: 5, state: "on_air"), [Self.question("q1", votes: 3), Self.question("q3", votes: 1)]), at: 3)
        XCTAssertEqual(state.selectedQuestionItem?.id, "q2")
    }

    func testSelectionIsClampedWhenTheListShrinks() {
        var state = self.makeState()
        state.apply(Self.questions(1, [Self.question("q1", votes: 3), Self.question("q2", votes: 2), Self.question("q3", votes: 1)]), at: 1)
        _ = state.press(.down)
        _ = state.press(.down)
        XCTAssertEqual(state.selectedQuestionItem?.id, "q3")
        // The selected one is gone: the selection stays at its row, within the list.
        state.apply(Self.questions(2, [Self.question("q1", votes: 3), Self.question("q2", votes: 2)]), at: 2)
        XCTAssertEqual(state.selectedQuestion, 1)
        XCTAssertEqual(state.selectedQuestionItem?.id, "q2")
        state.apply(Self.questions(3, [Self.question("q4", votes: 0)]), at: 3)
        XCTAssertEqual(state.selectedQuestionItem?.id, "q4")
        state.apply(Self.questions(4, []), at: 4)
        XCTAssertNil(state.selectedQuestionItem)
        XCTAssertEqual(state.press(.down), [])
        state.apply(Self.questions(5, [Self.question("q5", votes: 0)]), at: 5)
        XCTAssertEqual(state.selectedQuestionItem?.id, "q5", "an empty list leaves the selection at the top")

        state.apply(.hands(.init(version: 1, total: 2, hands: [.init(listenerId: "a", waitedSeconds: 1), .init(listenerId: "b", waitedSeconds: 1)])), at: 5)
        _ = state.press(.tab)
        _ = state.press(.down)
        state.apply(.hands(.init(version: 2, total: 1, hands: [.init(listenerId: "a", waitedSeconds: 2)])), at: 6)
        XCTAssertEqual(state.selectedHandItem?.listenerId, "a")
    }

    func testAStaleVersionIsIgnored() {
        var state = self.makeState()
        state.apply(Self.questions(5, [Self.question("q1", votes: 3)]), at: 1)
        XCTAssertFalse(state.apply(Self.questions(4, [Self.question("q0", votes: 9)]), at: 2))
        XCTAssertEqual(state.openQuestions.map(\.id), ["q1"])
    }

    func testRepliesShowInTheStatusLine() {
        var state = self.makeState()
        state.apply(.applied(.init(action: "pick", target: "q2")), at: 1)
        XCTAssertEqual(state.status, .init(kind: .applied, text: "✓ pick q2"))
        state.apply(.error(.init(code: "not_open", message: "question q2 is answered")), at: 2)
        XCTAssertEqual(state.status, .init(kind: .refused, text: "✗ not_open: question q2 is answered"))
        state.apply(.ended(.init(reason: "ended")), at: 3)
        XCTAssertTrue(state.ended)
    }

    func testReactionsKeepTotalsAndFadeFromNow() {
        var state = self.makeState()
        state.apply(.reactions(.init(counts: ["👏": 3, "🔥": 1])), at: 1)
        state.apply(.reactions(.init(counts: ["👏": 2])), at: 2)
        XCTAssertEqual(state.currentReactions, ["👏": 2])
        XCTAssertEqual(state.reactionTotals, ["👏": 5, "🔥": 1])
        state.tick(at: 2 + ConsoleState.recentReactionSeconds + 0.1)
        XCTAssertEqual(state.currentReactions, [:])
        XCTAssertEqual(state.reactionTotals, ["👏": 5, "🔥": 1])
    }

    func testFiguresAndJoinsPerSecond() {
        var state = self.makeState()
        XCTAssertNil(state.joinsPerSecond)
        state.apply(.state(.init(listeners: 10, invalidPackets: 0, framesRelayed: 50)), at: 1)
        XCTAssertEqual(state.framesRelayed, 50)
        state.apply(SpaceInfo(id: "7ae55fa0eb4d", title: "Town hall", state: .live, listeners: 20, waiting: 5, capacity: 100, createdAt: ""), at: 3)
        state.apply(.state(.init(listeners: 25)), at: 5)
        // +15 (10 → 25 with 5 waiting) then +5 (25 → 30): 20 joins over the 2 s since the first.
        XCTAssertEqual(state.listeners, 25)
        XCTAssertEqual(state.waiting, 5)
        XCTAssertEqual(try XCTUnwrap(state.joinsPerSecond), 20.0 / 2, accuracy: 0.001)
        // Admitted from the waiting room: no join.
        state.apply(SpaceInfo(id: "7ae55fa0eb4d", title: "Town hall", state: .live, listeners: 30, waiting: 0, capacity: 100, createdAt: ""), at: 6)
        XCTAssertEqual(try XCTUnwrap(state.joinsPerSecond), 20.0 / 3, accuracy: 0.001)
        state.tick(at: 30)
        XCTAssertEqual(state.joinsPerSecond, 0, "nothing within the window")
    }

    func testHandsWaitFromWhenTheyArrived() {
        var state = self.makeState()
        state.apply(.hands(.init(version: 1, total: 1, hands: [.init(listenerId: "2s", waitedSeconds: 14)])), at: 10)
        state.tick(at: 13.5)
        XCTAssertEqual(state.waited(state.hands[0]), 17)
    }
}
