import NIOCore
@testable import SpacesClient
@testable import SpacesServer
import SpacesCore
import XCTest

/// A listener's socket: what it receives and how bad input is closed.
final class ListenerConnectionTests: XCTestCase {
    func testWelcomeThenStateAndPing() async throws {
        let node = try await TestServer.start { $0.relay.stateIntervalMs = 100 }
        let space = try await node.createSpace(title: "Welcome test", channels: 2)
        let connection = try await WebSocketClient.connect(try node.url("/v1/spaces/\(space.id)/listen"))
        let (welcome, state, pong) = try await connection.run { messages, sender in
            guard case .text(let first) = try await messages.next(), case .welcome(let welcome) = try ServerEvent.parse(first) else {
                XCTFail("first message is not welcome")
                return (nil as ServerEvent.Welcome?, nil as ServerEvent.State?, false)
            }
            var state: ServerEvent.State?
            while state == nil, case .text(let text) = try await messages.next() {
                if case .state(let s) = try ServerEvent.parse(text) { state = s }
            }
            try await sender.send(text: #"{"type":"ping"}"#)
            var pong = false
            while !pong, case .text(let text) = try await messages.next() {
                if case .pong = try ServerEvent.parse(text) { pong = true }
            }
            try await sender.close()
            _ = try await drain(&messages)
            return (welcome, state, pong)
        }
        XCTAssertEqual(welcome?.space, SpaceSummary(id: space.id, title: "Welcome test"))
        XCTAssertEqual(welcome?.codec, Codec(channels: 2))
        XCTAssertFalse(welcome?.listenerId.isEmpty ?? true)
        XCTAssertEqual(state?.listeners, 1)
        XCTAssertNil(state?.framesRelayed, "listeners do not get the publisher's counters")
        XCTAssertTrue(pong)
        await node.stop()
    }

    func testAWaitingConnectionThatAnswersNoPingIsClosedAndItsPlaceFreed() async throws {
        let node = try await TestServer.start { $0.limits.waitingPingSeconds = 1 }
        let space = try await node.createSpace(capacity: 1)
        let path = "/v1/spaces/\(space.id)/listen"
        let admitted = try await TestListener.connect(node.url(path))
        try await eventually { admitted.welcome != nil }
        // Both wait; one reads (and so answers pings, as every client does), one never does.
        let alive = try await TestListener.connect(node.url(path))
        let gone = try await TestListener.connect(node.url(path), paused: true)
        let silent = ContinuousClock.now
        try await eventually { alive.positions.last == 1 && node.server.registry.space(id: space.id)?.waiting == 2 }
        try await eventually(timeout: .seconds(6)) { node.server.registry.space(id: space.id)?.waiting == 1 }
        // Pinged after one interval, closed after the next: two intervals, not three.
        XCTAssertLessThan(ContinuousClock.now - silent, .milliseconds(2_700))
        XCTAssertFalse(alive.finished, "a waiting client that answers stays")
        XCTAssertEqual(node.server.gate.connectionCount, 2, "the silent one is closed and its place freed")
        gone.resume()
        try await eventually { gone.finished }
        for listener in [admitted, alive] { await listener.close() }
        await node.stop()
    }

    func testBinaryFromAListenerIsClosedWith1003() async throws {
        let node = try await TestServer.start()
        let space = try await node.createSpace()
        let close = try await self.send(node, space) { sender in
            try await sender.send(binary: ByteBuffer(bytes: [1, 2, 3]))
        }
        XCTAssertEqual(close, CloseCode.unsupportedData.rawValue)
        try await eventually { try await node.api.space(id: space.id).listeners == 0 }
        await node.stop()
    }

    func testOversizedMessageIsClosedWith1009() async throws {
        let node = try await TestServer.start()
        let space = try await node.createSpace()
        // Over the listener limit (4 KiB) but under the frame decoder's limit.
        let overListenerLimit = try await self.send(node, space) { sender in
            try await sender.send(text: String(repeating: "x", count: 5_000))
        }
        XCTAssertEqual(overListenerLimit, CloseCode.messageTooBig.rawValue)
        // Over the frame decoder's limit (64 KiB).
        let overFrameLimit = try await self.send(node, space) { sender in
            try await sender.send(text: String(repeating: "x", count: 70_000))
        }
        XCTAssertEqual(overFrameLimit, CloseCode.messageTooBig.rawValue)
        await node.stop()
    }

    func testInvalidUTF8IsClosedWith1007AndBadJSONGetsAnError() async throws {
        let node = try await TestServer.start()
        let space = try await node.createSpace()
        let connection = try await WebSocketClient.connect(try node.url("/v1/spaces/\(space.id)/listen"))
        let (errors, close) = try await connection.run { messages, sender in
            try await sender.send(text: "{not json")
            try await sender.send(text: #"{"type":"dance"}"#)
            var errors: [String] = []
            while errors.count < 2, case .text(let text) = try await messages.next() {
                if case .error(let error) = try ServerEvent.parse(text) { errors.append(error.code) }
            }
            // Invalid UTF-8 in a text frame.
            try await sender.outbound.write(.init(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(bytes: [0xC3, 0x28])))
            return (errors, try await drain(&messages).close)
        }
        XCTAssertEqual(errors, ["bad_json", "unknown_type"])
        XCTAssertEqual(close, CloseCode.invalidPayload.rawValue)
        await node.stop()
    }

    func testAFloodOfMessagesIsClosedWith1008() async throws {
        let node = try await TestServer.start { $0.limits.listenerMessagesPerSecond = 5 }
        let space = try await node.createSpace()
        let close = try await self.send(node, space) { sender in
            for _ in 0..<50 { try await sender.send(text: #"{"type":"ping"}"#) }
        }
        XCTAssertEqual(close, CloseCode.policyViolation.rawValue)
        try await eventually { try await node.api.space(id: space.id).listeners == 0 }
        await node.stop()
    }

    func testEndingTheSpaceSendsEndedThenCloses1000() async throws {
        let node = try await TestServer.start()
        let space = try await node.createSpace()
        let connection = try await WebSocketClient.connect(try node.url("/v1/spaces/\(space.id)/listen"))
        try await eventually { try await node.api.space(id: space.id).listeners == 1 }
        _ = try await node.api.endSpace(id: space.id, token: space.hostToken)
        let (texts, _, close) = try await connection.run { messages, _ in try await drain(&messages) }
        XCTAssertEqual(close, CloseCode.ended.rawValue)
        let types = texts.compactMap { try? ServerEvent.parse($0)?.type }
        XCTAssertEqual(types.first, "welcome")
        XCTAssertEqual(types.last, "ended")
        try await eventually { try await node.api.space(id: space.id).listeners == 0 }
        await node.stop()
    }

    func testShutdownClosesListenersWith1001() async throws {
        let node = try await TestServer.start()
        let space = try await node.createSpace()
        let connection = try await WebSocketClient.connect(try node.url("/v1/spaces/\(space.id)/listen"))
        try await eventually { try await node.api.space(id: space.id).listeners == 1 }
        async let stopped: Void = node.stop()
        let close = try await connection.run { messages, _ in try await drain(&messages).close }
        await stopped
        XCTAssertEqual(close, CloseCode.goingAway.rawValue)
        XCTAssertEqual(node.server.relay.listenerCount, 0)
    }

    /// Opens a listener, runs `body`, and returns the close code the server sent.
    private func send(_ node: TestServer, _ space: CreateSpaceResponse, _ body: @escaping (WebSocketSender) async throws -> Void) async throws -> UInt16? {
        let connection = try await WebSocketClient.connect(try node.url("/v1/spaces/\(space.id)/listen"))
        return try await connection.run { messages, sender in
            try await body(sender)
            return try await drain(&messages).close
        }
    }
}
