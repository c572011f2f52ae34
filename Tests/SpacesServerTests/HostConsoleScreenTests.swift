@testable import SpacesCLI
import SpacesCore
import XCTest

/// The console's screen: lines of exactly the terminal's size, rows from events, truncation,
/// wide characters, and the keys decoded from terminal bytes.
final class HostConsoleScreenTests: XCTestCase {
    typealias Item = ServerEvent.QuestionItem

    func makeState() -> ConsoleState {
        var state = ConsoleState(spaceID: "7ae55fa0eb4d", title: "Town hall", now: 0)
        state.apply(.state(.init(listeners: 42, invalidPackets: 0, framesRelayed: 1500)), at: 30)
        state.apply(
            .questions(.init(
                version: 3, total: 2, onAir: Item(id: "q9", text: "What is on air?", votes: 7, state: "on_air", pinned: false),
                top: [
                    Item(id: "q2", text: "Will the slides be shared?", votes: 4, state: "open", pinned: true),
                    Item(id: "q3", text: "How does admission work?", votes: 1, state: "open", pinned: false),
                ]
            )), at: 30
        )
        state.apply(.hands(.init(version: 1, total: 1, hands: [.init(listenerId: "2s", waitedSeconds: 14)])), at: 30)
        state.apply(.reactions(.init(counts: ["👏": 12, "🔥": 3])), at: 30)
        return state
    }

    func assertFits(_ lines: [String], width: Int, height: Int, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(lines.count, height, "one line per row", file: file, line: line)
        for text in lines {
            XCTAssertEqual(ConsoleText.width(ConsoleScreen.visible(text)), width, "\"\(text)\"", file: file, line: line)
            XCTAssertFalse(ConsoleScreen.visible(text).contains("\u{1B}"), "no escape codes but the highlight", file: file, line: line)
        }
    }

    func testRendersTheQueueHandsAndReactions() {
        let lines = ConsoleScreen.render(self.makeState(), width: 100, height: 24)
        self.assertFits(lines, width: 100, height: 24)
        let text = lines.map(ConsoleScreen.visible)
        XCTAssertTrue(text[0].contains("Town hall") && text[0].contains("7ae55fa0eb4d") && text[0].contains("0:30"), text[0])
        XCTAssertTrue(text[1].contains("listeners 42") && text[1].contains("frames 1500"), text[1])
        let onAir = text.firstIndex { $0.contains("What is on air?") }!
        let second = text.firstIndex { $0.contains("Will the slides be shared?") }!
        let third = text.firstIndex { $0.contains("How does admission work?") }!
        XCTAssertLessThan(onAir, second, "the question on air is on top")
        XCTAssertLessThan(second, third, "then by rank")
        XCTAssertTrue(text[onAir].contains("ON AIR") && text[onAir].contains("▲   7"), text[onAir])
        XCTAssertTrue(text[second].contains("1  ▲   4  📌 Will"), text[second])
        XCTAssertTrue(text[third].contains("2  ▲   1  How"), text[third])
        XCTAssertTrue(lines[onAir].hasPrefix(ConsoleScreen.highlightOn), "the selected row is highlighted")
        XCTAssertFalse(lines[second].contains(ConsoleScreen.highlightOn))
        XCTAssertTrue(text.contains { $0.contains("listener 2s") && $0.contains("waited 0:14") })
        XCTAssertTrue(text.contains { $0.contains("last 1s: 👏 12  🔥 3") && $0.contains("total: 👏 12  🔥 3") })
        XCTAssertTrue(text.last!.contains("p pick"), "the footer of keys is the last line")
    }

    func testHighlightFollowsTheFocus() {
        var state = self.makeState()
        _ = state.press(.tab)
        let lines = ConsoleScreen.render(state, width: 80, height: 24)
        let hand = lines.first { $0.contains("listener 2s") }!
        XCTAssertTrue(hand.hasPrefix(ConsoleScreen.highlightOn))
        XCTAssertFalse(lines.contains { $0.contains("What is on air?") && $0.contains(ConsoleScreen.highlightOn) })
        XCTAssertTrue(lines.contains { $0.hasPrefix("›ON AIR") }, "the question selection is still marked")
    }

    func testLongQuestionsAreCutWithAnEllipsis() {
        var state = ConsoleState(spaceID: "s", title: "T", now: 0)
        let long = String(repeating: "very long question ", count: 20)
        state.apply(.questions(.init(version: 1, total: 1, onAir: nil, top: [Item(id: "q1", text: long, votes: 2, state: "open", pinned: false)])), at: 0)
        let lines = ConsoleScreen.render(state, width: 40, height: 16)
        self.assertFits(lines, width: 40, height: 16)
        let row = ConsoleScreen.visible(lines.first { $0.contains("very long") }!)
        XCTAssertTrue(row.hasSuffix("…"), row)
    }

    func testWideCharactersCountTwoColumns() {
        XCTAssertEqual(ConsoleText.width("abc"), 3)
        XCTAssertEqual(ConsoleText.width("👏"), 2)
        XCTAssertEqual(ConsoleText.width("❤️"), 2, "a text heart with VS16 is shown as emoji")
        XCTAssertEqual(ConsoleText.width("日本"), 4)
        XCTAssertEqual(ConsoleText.width("é"), 1)
        XCTAssertEqual(ConsoleText.width("👍🏽"), 2, "skin tone modifier joins its emoji")
        // Never straddles the edge: a wide character that does not fit is left out.
        XCTAssertEqual(ConsoleText.fit("ab👏👏", 5), "ab👏…")
        XCTAssertEqual(ConsoleText.fit("ab👏👏", 4), "ab… ")
        XCTAssertEqual(ConsoleText.fit("abc", 5), "abc  ")
        XCTAssertEqual(ConsoleText.fit("abcdef", 1), "…")
        XCTAssertEqual(ConsoleText.truncate("abcdef", 4), "abc…")

        var state = ConsoleState(spaceID: "s", title: "会議 👏 town hall", now: 0)
        state.apply(.questions(.init(version: 1, total: 1, onAir: nil, top: [Item(id: "q1", text: "日本語の質問です 🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥🔥", votes: 2, state: "open", pinned: true)])), at: 0)
        state.apply(.reactions(.init(counts: ["❤️": 2, "👏": 9, "😂": 1, "🙏": 4, "👍": 3, "🔥": 8])), at: 0)
        for width in [1, 2, 7, 20, 31, 33, 80] {
            self.assertFits(ConsoleScreen.render(state, width: width, height: 20), width: width, height: 20)
        }
    }

    func testControlCharactersNeverReachTheTerminal() {
        var state = ConsoleState(spaceID: "s", title: "T\u{1B}]0;pwned\u{7}", now: 0)
        state.apply(.questions(.init(version: 1, total: 1, onAir: nil, top: [Item(id: "q1", text: "hi\u{1B}[2Jthere\nnext", votes: 0, state: "open", pinned: false)])), at: 0)
        let lines = ConsoleScreen.render(state, width: 60, height: 16)
        self.assertFits(lines, width: 60, height: 16)
        XCTAssertTrue(lines.map(ConsoleScreen.visible).contains { $0.contains("hi\u{FFFD}[2Jthere next") })
    }

    func testSmallTerminalsKeepTheTitleAndTheKeys() {
        let state = self.makeState()
        for height in [1, 2, 3, 5, 9, 10, 11, 12] {
            let lines = ConsoleScreen.render(state, width: 50, height: height)
            self.assertFits(lines, width: 50, height: height)
            XCTAssertTrue(ConsoleScreen.visible(lines[0]).contains("LIVE"))
            if height >= 2 { XCTAssertTrue(lines.last!.contains("select"), "height \(height)") }
        }
        XCTAssertEqual(ConsoleScreen.render(state, width: 0, height: 10), [])
    }

    func testTheListScrollsToKeepTheSelectionInView() {
        var state = ConsoleState(spaceID: "s", title: "T", now: 0)
        let many = (1...30).map { Item(id: "q\($0)", text: "Question number \($0)", votes: 31 - $0, state: "open", pinned: false) }
        state.apply(.questions(.init(version: 1, total: 30, onAir: nil, top: many)), at: 0)
        for _ in 0..<25 { _ = state.press(.down) }
        let lines = ConsoleScreen.render(state, width: 60, height: 20)
        self.assertFits(lines, width: 60, height: 20)
        XCTAssertTrue(lines.contains { $0.contains(ConsoleScreen.highlightOn) && $0.contains("Question number 26") })
        XCTAssertFalse(lines.contains { $0.contains("Question number 1 ") })
    }

    func testKeyDecoderHandlesArrowsSplitAcrossReads() {
        var decoder = ConsoleKey.Decoder()
        XCTAssertEqual(decoder.feed(Array("jk\u{1B}[A".utf8)), [.character("j"), .character("k"), .up])
        XCTAssertEqual(decoder.feed([0x1B]), [])
        XCTAssertEqual(decoder.feed(Array("[".utf8)), [])
        XCTAssertEqual(decoder.feed(Array("Bp".utf8)), [.down, .character("p")])
        XCTAssertEqual(decoder.feed(Array("\u{1B}OA\u{1B}OB".utf8)), [.up, .down], "application cursor mode")
        XCTAssertEqual(decoder.feed(Array("\u{1B}[1;5A\u{1B}[15~i".utf8)), [.character("i")], "modified arrows and function keys are consumed whole")
        XCTAssertEqual(decoder.feed([0x09, 0x03, 0x7F]), [.tab, .interrupt])
        XCTAssertEqual(decoder.feed(Array("\u{1B}q".utf8)), [.character("q")], "a lone ESC is dropped, the key after it kept")
    }

    func testPlainLogLines() {
        let questions = ServerEvent.questions(.init(
            version: 1, total: 4, onAir: Item(id: "q9", text: "On air", votes: 1, state: "on_air", pinned: false),
            top: (1...4).map { Item(id: "q\($0)", text: "Q\($0)", votes: 5 - $0, state: "open", pinned: false) }
        ))
        XCTAssertEqual(
            ConsoleLog.line(for: questions),
            "questions: 4 open; on air q9 \"On air\"; top: q1 (4) \"Q1\", q2 (3) \"Q2\", q3 (2) \"Q3\""
        )
        XCTAssertEqual(ConsoleLog.line(for: .hands(.init(version: 1, total: 2, hands: [.init(listenerId: "a", waitedSeconds: 3)]))), "hands: 2 raised; first a waited 3s")
        XCTAssertEqual(ConsoleLog.line(for: .reactions(.init(counts: ["🔥": 1, "👏": 3]))), "reactions: 👏 3 🔥 1")
        XCTAssertEqual(ConsoleLog.line(for: .applied(.init(action: "pick", target: "q1"))), "applied: pick q1")
        XCTAssertEqual(ConsoleLog.line(for: .error(.init(code: "not_open", message: "no"))), "error: not_open: no")
        XCTAssertNil(ConsoleLog.line(for: .state(.init(listeners: 1))))
    }
}
