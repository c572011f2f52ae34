import XCTest

@testable import SpacesCore

final class ListenerRatesTests: XCTestCase {
    func testEachListenerAndActionHasItsOwnBucket() throws {
        var configuration = QuestionQueue.Configuration()
        configuration.asksPerSecond = 1
        configuration.askBurst = 1
        configuration.upvotesPerSecond = 2
        configuration.upvoteBurst = 2
        var rates = ListenerRates(configuration: configuration)
        try rates.take(.ask, listenerID: 1, nowMicros: 0)
        XCTAssertThrowsError(try rates.take(.ask, listenerID: 1, nowMicros: 100_000)) { error in
            XCTAssertEqual(error as? QuestionQueueError, .rateLimited(retryAfterMicros: 900_000))
        }
        try rates.take(.ask, listenerID: 2, nowMicros: 100_000)
        try rates.take(.upvote, listenerID: 1, nowMicros: 100_000)
        try rates.take(.upvote, listenerID: 1, nowMicros: 100_000)
        XCTAssertThrowsError(try rates.take(.upvote, listenerID: 1, nowMicros: 100_000))
        try rates.take(.ask, listenerID: 1, nowMicros: 1_000_000)
        XCTAssertEqual(rates.trackedListeners, 2)
        rates.prune(nowMicros: 10_000_000)
        XCTAssertEqual(rates.trackedListeners, 0, "full buckets are forgotten")
    }
}
