import XCTest

@testable import SpacesCore

final class ReactionTallyTests: XCTestCase {
    private let t0: UInt64 = 1_700_000_000_000_000

    private func assertThrows(
        _ expected: QuestionQueueError, file: StaticString = #filePath, line: UInt = #line,
        _ body: () throws -> Void
    ) {
        do {
            try body()
            XCTFail("accepted, expected \(expected)", file: file, line: line)
        } catch {
            XCTAssertEqual(error as? QuestionQueueError, expected, file: file, line: line)
        }
    }

    func testDefaults() {
        let configuration = ReactionTally.Configuration()
        XCTAssertEqual(configuration.allowed, ["👏", "❤️", "😂", "🔥", "👍", "🙏"])
        XCTAssertEqual(configuration.reactionsPerSecond, 5)
        XCTAssertEqual(configuration.reactionBurst, 10)
    }

    func testNothingToDrainAtFirst() {
        var tally = ReactionTally()
        XCTAssertNil(tally.drain())
        XCTAssertNil(tally.drain())
    }

    func testCountsAreAggregatedUntilDrained() throws {
        var tally = ReactionTally()
        try tally.react(listenerID: 1, emoji: "👏", nowMicros: self.t0)
        try tally.react(listenerID: 1, emoji: "👏", nowMicros: self.t0 + 100)
        try tally.react(listenerID: 2, emoji: "👏", nowMicros: self.t0 + 200)
        try tally.react(listenerID: 2, emoji: "🔥", nowMicros: self.t0 + 300)
        try tally.react(listenerID: 3, emoji: "❤️", nowMicros: self.t0 + 400)
        XCTAssertEqual(tally.drain(), ["👏": 3, "🔥": 1, "❤️": 1])
        // Drained: nothing until the next reaction.
        XCTAssertNil(tally.drain())
        try tally.react(listenerID: 3, emoji: "🙏", nowMicros: self.t0 + 1_000_000)
        XCTAssertEqual(tally.drain(), ["🙏": 1])
        XCTAssertNil(tally.drain())
    }

    func testUnknownReactionIsRefusedAndNotCounted() throws {
        var tally = ReactionTally()
        self.assertThrows(.unknownReaction("🦆")) { try tally.react(listenerID: 1, emoji: "🦆", nowMicros: self.t0) }
        self.assertThrows(.unknownReaction("")) { try tally.react(listenerID: 1, emoji: "", nowMicros: self.t0) }
        self.assertThrows(.unknownReaction("👏👏")) { try tally.react(listenerID: 1, emoji: "👏👏", nowMicros: self.t0) }
        // A bare heart without the emoji variation selector is not "❤️".
        self.assertThrows(.unknownReaction("\u{2764}")) { try tally.react(listenerID: 1, emoji: "\u{2764}", nowMicros: self.t0) }
        // A thumbs up with a skin tone is another character.
        self.assertThrows(.unknownReaction("👍🏽")) { try tally.react(listenerID: 1, emoji: "👍🏽", nowMicros: self.t0) }
        XCTAssertNil(tally.drain())
        // Unknown reactions spent no token: the whole burst of 10 is still there.
        for _ in 0..<10 { try tally.react(listenerID: 1, emoji: "\u{2764}\u{FE0F}", nowMicros: self.t0) }
        XCTAssertEqual(tally.drain(), ["❤️": 10])
    }

    func testRateLimitIsPerListener() throws {
        var tally = ReactionTally()
        for _ in 0..<10 { try tally.react(listenerID: 1, emoji: "👏", nowMicros: self.t0) }
        do {
            try tally.react(listenerID: 1, emoji: "👏", nowMicros: self.t0)
            XCTFail("the 11th reaction at once was accepted")
        } catch {
            XCTAssertTrue(error.isRateLimited)
            XCTAssertEqual(error.code, "rate_limited")
            // 5/s: a token every 200 ms.
            guard case .rateLimited(let retry) = error else { return XCTFail("\(error)") }
            XCTAssertEqual(Double(retry), 200_000, accuracy: 2)
        }
        // Another listener has its own bucket.
        try tally.react(listenerID: 2, emoji: "👏", nowMicros: self.t0)
        XCTAssertEqual(tally.drain(), ["👏": 11])
        // Refills at the rate.
        self.assertThrows(.rateLimited(retryAfterMicros: 1_000)) { try tally.react(listenerID: 1, emoji: "🔥", nowMicros: self.t0 + 199_000) }
        try tally.react(listenerID: 1, emoji: "🔥", nowMicros: self.t0 + 200_000)
        XCTAssertEqual(tally.trackedListeners, 2)
        XCTAssertEqual(tally.drain(), ["🔥": 1])
        // Over one second: five more.
        var accepted = 0
        for _ in 0..<10 {
            do {
                try tally.react(listenerID: 1, emoji: "😂", nowMicros: self.t0 + 1_200_000)
                accepted += 1
            } catch {
                XCTAssertTrue(error.isRateLimited)
            }
        }
        XCTAssertEqual(accepted, 5)
        XCTAssertEqual(tally.drain(), ["😂": 5])
    }

    func testTheSetAndRateAreConfigurable() throws {
        var configuration = ReactionTally.Configuration()
        configuration.allowed = ["+1", "🎉"]
        configuration.reactionsPerSecond = 1
        configuration.reactionBurst = 1
        var tally = ReactionTally(configuration: configuration)
        self.assertThrows(.unknownReaction("👏")) { try tally.react(listenerID: 1, emoji: "👏", nowMicros: self.t0) }
        try tally.react(listenerID: 1, emoji: "+1", nowMicros: self.t0)
        self.assertThrows(.rateLimited(retryAfterMicros: 1_000_000)) { try tally.react(listenerID: 1, emoji: "🎉", nowMicros: self.t0) }
        try tally.react(listenerID: 1, emoji: "🎉", nowMicros: self.t0 + 1_000_000)
        XCTAssertEqual(tally.drain(), ["+1": 1, "🎉": 1])
    }

    func testPruneForgetsOnlyFullBuckets() throws {
        var tally = ReactionTally()
        try tally.react(listenerID: 1, emoji: "👏", nowMicros: self.t0)
        for _ in 0..<10 { try tally.react(listenerID: 2, emoji: "👏", nowMicros: self.t0) }
        XCTAssertEqual(tally.trackedListeners, 2)
        tally.prune(nowMicros: self.t0 + 100_000)
        XCTAssertEqual(tally.trackedListeners, 2)
        // Listener 1 missed one token (200 ms); listener 2 ten (2 s).
        tally.prune(nowMicros: self.t0 + 200_000)
        XCTAssertEqual(tally.trackedListeners, 1)
        tally.prune(nowMicros: self.t0 + 2_000_000)
        XCTAssertEqual(tally.trackedListeners, 0)
        // Pruning does not touch the counts.
        XCTAssertEqual(tally.drain(), ["👏": 11])
    }
}
