import XCTest

@testable import SpacesCore

final class SpacesConfigurationTests: XCTestCase {
    func testDocumentedDefaults() {
        let config = SpacesConfiguration()
        XCTAssertEqual(config.server.bind, "127.0.0.1")
        XCTAssertEqual(config.server.port, 8080)
        XCTAssertEqual(config.server.hostKey, "")
        XCTAssertEqual(config.server.publicURL, "")
        XCTAssertEqual(config.server.eventLoops, 0)
        XCTAssertEqual(config.server.backlog, 4096)
        XCTAssertEqual(config.server.shutdownGraceSeconds, 10)
        XCTAssertEqual(config.relay.stateIntervalMs, 1000)
        XCTAssertEqual(config.spaces.defaultCapacity, 10_000)
        XCTAssertEqual(config.spaces.maxCapacity, 1_000_000)
        XCTAssertEqual(config.spaces.maxTitleLength, 200)
        XCTAssertEqual(config.spaces.maxLive, 1000)
        XCTAssertEqual(config.spaces.retainEndedSeconds, 3600)
        XCTAssertEqual(config.limits.listenerMessageBytes, 4096)
        XCTAssertEqual(config.limits.publishMessageBytes, 65_536)
        XCTAssertEqual(config.limits.httpBodyBytes, 16_384)
        XCTAssertEqual(config.limits.nodeListeners, 100_000)
        XCTAssertEqual(config.limits.maxFramesPerPublishBatch, 50)
    }

    func testDefaultsAreConsistent() {
        let config = SpacesConfiguration()
        XCTAssertLessThan(config.limits.listenerMessageBytes, config.limits.publishMessageBytes)
        XCTAssertGreaterThan(config.limits.nodeListeners, 0)
        XCTAssertGreaterThan(config.spaces.maxLive, 0)
        XCTAssertGreaterThanOrEqual(config.spaces.defaultCapacity, 1)
        XCTAssertLessThanOrEqual(config.spaces.defaultCapacity, config.spaces.maxCapacity)
        XCTAssertGreaterThan(config.spaces.maxTitleLength, 0)
        XCTAssertTrue((1...AudioBatch.maximumFrameCount).contains(config.limits.maxFramesPerPublishBatch))
        XCTAssertTrue((0...65_535).contains(config.server.port))
        XCTAssertGreaterThan(config.relay.stateIntervalMs, 0)
    }

    func testLargestAllowedPublishBatchFitsTheMessageLimit() {
        let limits = SpacesConfiguration().limits
        // The most a host may send in one batch: every frame at the maximum Opus length.
        let worst = AudioBatch.encodedSize(packetLengths: repeatElement(OpusPacket.maximumLength, count: limits.maxFramesPerPublishBatch))
        XCTAssertLessThanOrEqual(worst, limits.publishMessageBytes)
    }

    func testListenerLimitFitsAPing() {
        XCTAssertGreaterThan(SpacesConfiguration().limits.listenerMessageBytes, #"{"type":"ping"}"#.utf8.count)
    }

    func testHTTPBodyLimitFitsALargestValidCreateRequest() {
        let config = SpacesConfiguration()
        // A title of maxTitleLength 4-byte characters, JSON-escaped as \uXXXX\uXXXX (12 bytes each).
        let body = #"{"title":""# + String(repeating: #"\ud83d\ude00"#, count: config.spaces.maxTitleLength) + #"","capacity":1000000,"channels":2}"#
        XCTAssertLessThanOrEqual(body.utf8.count, config.limits.httpBodyBytes)
    }

    func testEquatable() {
        var a = SpacesConfiguration()
        let b = SpacesConfiguration()
        XCTAssertEqual(a, b)
        a.limits.nodeListeners = 5
        XCTAssertNotEqual(a, b)
        a = SpacesConfiguration()
        a.server.port = 0
        XCTAssertNotEqual(a, b)
    }
}
