import XCTest

@testable import SpacesCore

final class QuestionTests: XCTestCase {
    private func assertRefused(
        _ text: String, _ expected: QuestionQueueError, limit: Int = 280, file: StaticString = #filePath, line: UInt = #line
    ) {
        do {
            let accepted = try Question.normalize(text, maximumLength: limit)
            XCTFail("accepted \(accepted.debugDescription), expected \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error, expected, file: file, line: line)
        }
    }

    func testTrimsSurroundingWhitespaceOnly() throws {
        XCTAssertEqual(try Question.normalize("  What about   latency?  ", maximumLength: 280), "What about   latency?")
        // No-break space and ideographic space are whitespace too.
        XCTAssertEqual(try Question.normalize("\u{00A0}Why?\u{3000}", maximumLength: 280), "Why?")
        XCTAssertEqual(try Question.normalize("x", maximumLength: 1), "x")
    }

    func testEmptyAndWhitespaceOnlyAreRefused() {
        self.assertRefused("", .emptyText)
        self.assertRefused(" ", .emptyText)
        self.assertRefused("     ", .emptyText)
        self.assertRefused("\u{00A0}\u{2003}\u{3000}", .emptyText)
    }

    func testLengthCountsCharactersAfterTrimming() throws {
        let exactly = String(repeating: "a", count: 280)
        XCTAssertEqual(try Question.normalize(exactly, maximumLength: 280), exactly)
        self.assertRefused(exactly + "b", .textTooLong(length: 281, limit: 280))
        // Whitespace around does not count.
        XCTAssertEqual(try Question.normalize("   " + exactly + "   ", maximumLength: 280), exactly)
        // Whitespace inside does.
        self.assertRefused(String(repeating: "a", count: 140) + " " + String(repeating: "a", count: 140), .textTooLong(length: 281, limit: 280))
    }

    func testEmojiAndCombiningMarksCountAsOneCharacterEach() throws {
        // Thumbs up with a skin tone: two scalars, eight UTF-8 bytes, one character.
        let thumbs = "👍🏽"
        XCTAssertEqual(thumbs.unicodeScalars.count, 2)
        XCTAssertEqual(try Question.normalize(String(repeating: thumbs, count: 280), maximumLength: 280).count, 280)
        self.assertRefused(String(repeating: thumbs, count: 281), .textTooLong(length: 281, limit: 280))

        // A family joined with zero-width joiners (format characters, not controls): one character.
        let family = "👨‍👩‍👧"
        XCTAssertEqual(family.unicodeScalars.count, 5)
        XCTAssertEqual(try Question.normalize(String(repeating: family, count: 280), maximumLength: 280).count, 280)
        self.assertRefused(String(repeating: family, count: 281), .textTooLong(length: 281, limit: 280))

        // "e" and a combining acute accent: two scalars, one character.
        let accented = "e\u{0301}"
        XCTAssertEqual(try Question.normalize(String(repeating: accented, count: 280), maximumLength: 280).unicodeScalars.count, 560)
        self.assertRefused(String(repeating: accented, count: 281), .textTooLong(length: 281, limit: 280))
    }

    func testControlCharactersAreRefusedAnywhere() {
        self.assertRefused("line one\nline two", .controlCharacter)
        self.assertRefused("tab\tinside", .controlCharacter)
        self.assertRefused("carriage\rreturn", .controlCharacter)
        // Even where trimming would have removed them.
        self.assertRefused("trailing newline\n", .controlCharacter)
        self.assertRefused("\tleading tab", .controlCharacter)
        self.assertRefused("\r\n", .controlCharacter)
        self.assertRefused("nul\u{0000}", .controlCharacter)
        self.assertRefused("escape\u{001B}[2J", .controlCharacter)
        self.assertRefused("delete\u{007F}", .controlCharacter)
        // C1 controls, NEL included.
        self.assertRefused("next\u{0085}line", .controlCharacter)
        self.assertRefused("csi\u{009B}", .controlCharacter)
        // Line and paragraph separators break the line as a newline does.
        self.assertRefused("line\u{2028}separator", .controlCharacter)
        self.assertRefused("paragraph\u{2029}separator", .controlCharacter)
        // Checked before length: an over-long text with a newline is a control-character error.
        self.assertRefused(String(repeating: "a", count: 300) + "\n", .controlCharacter)
    }

    func testIDsAreBase36Numbers() {
        XCTAssertEqual(Question.id(sequence: 1), "q1")
        XCTAssertEqual(Question.id(sequence: 9), "q9")
        XCTAssertEqual(Question.id(sequence: 10), "qa")
        XCTAssertEqual(Question.id(sequence: 35), "qz")
        XCTAssertEqual(Question.id(sequence: 36), "q10")
        XCTAssertEqual(Question.id(sequence: 1_295), "qzz")
        XCTAssertEqual(Question.id(sequence: 1_296), "q100")
    }

    func testANewQuestionIsOpenWithNoVotes() {
        let question = Question(sequence: 11, askerListenerID: 7, text: "Hi?", askedAtMicros: 42)
        XCTAssertEqual(question.id, "qb")
        XCTAssertEqual(question.askerListenerID, 7)
        XCTAssertEqual(question.text, "Hi?")
        XCTAssertEqual(question.votes, 0)
        XCTAssertEqual(question.state, .open)
        XCTAssertFalse(question.pinned)
        XCTAssertEqual(question.askedAtMicros, 42)
    }

    func testRanksPinnedThenVotesThenAgeThenSequence() {
        func question(_ sequence: UInt64, votes: Int = 0, pinned: Bool = false, at micros: UInt64 = 100) -> Question {
            var question = Question(sequence: sequence, askerListenerID: sequence, text: "?", askedAtMicros: micros)
            question.votes = votes
            question.pinned = pinned
            return question
        }
        // Pinned beats votes.
        XCTAssertTrue(question(1, votes: 0, pinned: true).ranks(before: question(2, votes: 9)))
        XCTAssertFalse(question(2, votes: 9).ranks(before: question(1, votes: 0, pinned: true)))
        // More votes beat age.
        XCTAssertTrue(question(2, votes: 3, at: 200).ranks(before: question(1, votes: 2, at: 100)))
        XCTAssertFalse(question(1, votes: 2, at: 100).ranks(before: question(2, votes: 3, at: 200)))
        // Equal votes: older first.
        XCTAssertTrue(question(2, votes: 1, at: 100).ranks(before: question(1, votes: 1, at: 200)))
        XCTAssertFalse(question(1, votes: 1, at: 200).ranks(before: question(2, votes: 1, at: 100)))
        // Among pinned ones, votes again.
        XCTAssertTrue(question(2, votes: 1, pinned: true).ranks(before: question(1, votes: 0, pinned: true)))
        // Same microsecond: asked first.
        XCTAssertTrue(question(1).ranks(before: question(2)))
        XCTAssertFalse(question(2).ranks(before: question(1)))
        // Strict: nothing ranks before itself.
        XCTAssertFalse(question(1).ranks(before: question(1)))
    }

    func testStates() {
        XCTAssertEqual(Question.State.allCases.map(\.rawValue), ["open", "on_air", "answered", "dismissed"])
        XCTAssertEqual(Question.State.allCases.map(\.isOutstanding), [true, true, false, false])
        XCTAssertEqual(Question.State.onAir.description, "on air")
    }
}
