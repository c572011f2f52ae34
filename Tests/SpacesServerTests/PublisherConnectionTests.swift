import NIOCore
import NIOWebSocket
@testable import SpacesClient
import SpacesCore
import XCTest

/// The host's socket: re-sequencing, validation and refusals.
final class PublisherConnectionTests: XCTestCase {
    func testBatchesAreResequencedStampedAndInvalidPacketsDropped() async throws {
        let node = try await TestServer.start()
        let space = try await node.createSpace()
        let listener = try await WebSocketClient.connect(try node.url("/v1/spaces/\(space.id)/listen"))
        try await eventually { try await node.api.space(id: space.id).listeners == 1 }

        let publisher = try await WebSocketClient.connect(
            try node.url("/v1/spaces/\(space.id)/publish"), headers: [("authorization", "Bearer \(space.hostToken)")]
        )
        let before = WallClock.nowMicros()
        let publishing = try await publisher.run { messages, sender in
            guard case .text(let text) = try await messages.next(), case .publishing(let event) = try ServerEvent.parse(text) else {
                return false
            }
            XCTAssertEqual(event.space.id, space.id)
            // The host's own sequence numbers are ignored; the relay numbers frames per Space.
            try await sender.send(binary: encodedBatch([validPacket, validPacket], firstSequence: 777))
            // A code 3 packet announcing 0 frames is invalid Opus: dropped, the rest relayed.
            try await sender.send(binary: encodedBatch([validPacket, [0x0B, 0x00], validPacket], firstSequence: 9))
            try await sender.close()
            _ = try await drain(&messages)
            return true
        }
        XCTAssertTrue(publishing)

        let batches = try await listener.run { messages, sender in
            var batches: [AudioBatch] = []
            while batches.count < 2, let message = try await messages.next() {
                if case .binary(let buffer) = message { batches.append(try AudioBatch.decode(buffer)) }
            }
            try await sender.close()
            return batches
        }
        XCTAssertEqual(batches.map(\.firstSequence), [0, 2])
        XCTAssertEqual(batches.map(\.frames.count), [2, 2])
        XCTAssertEqual(batches.flatMap(\.frames).map { Array($0.readableBytesView) }, Array(repeating: validPacket, count: 4))
        for batch in batches {
            XCTAssertGreaterThanOrEqual(batch.captureTimeMicros, before)
            XCTAssertLessThanOrEqual(batch.captureTimeMicros, WallClock.nowMicros())
        }
        let live = try XCTUnwrap(node.server.registry.space(id: space.id))
        XCTAssertEqual(live.invalidPackets, 1)
        XCTAssertEqual(live.framesRelayed, 4)
        await node.stop()
    }

    func testMalformedBatchClosesWith1002() async throws {
        let node = try await TestServer.start()
        let space = try await node.createSpace()
        for garbage: [UInt8] in [[1], [2, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0], [1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9, 1]] {
            let close = try await self.publish(node, space) { sender in
                try await sender.send(binary: ByteBuffer(bytes: garbage))
            }
            XCTAssertEqual(close, CloseCode.protocolError.rawValue, "\(garbage)")
        }
        XCTAssertEqual(node.server.registry.space(id: space.id)?.framesRelayed, 0)
        await node.stop()
    }

    func testTextIsAHostActionAndBadTextIsAnErrorNotAClose() async throws {
        let node = try await TestServer.start()
        let space = try await node.createSpace()
        let publisher = try await WebSocketClient.connect(
            try node.url("/v1/spaces/\(space.id)/publish"), headers: [("authorization", "Bearer \(space.hostToken)")]
        )
        let (codes, close) = try await publisher.run { messages, sender in
            try await sender.send(text: "hello")
            try await sender.send(text: #"{"type":"pick","id":"q1"}"#)
            var codes: [String] = []
            while codes.count < 2, let message = try await messages.next() {
                if case .text(let text) = message, case .error(let error) = try ServerEvent.parse(text) { codes.append(error.code) }
            }
            // Text that is not UTF-8 is still a protocol fault: closed with 1007.
            try await sender.outbound.write(WebSocketFrame(fin: true, opcode: .text, maskKey: .random(), data: ByteBuffer(bytes: [0xFF, 0xFE])))
            return (codes, try await drain(&messages).close)
        }
        XCTAssertEqual(codes, ["bad_json", "no_such_question"])
        XCTAssertEqual(close, CloseCode.invalidPayload.rawValue)
        await node.stop()
    }

    func testTooManyFramesInABatchClosesWith1008() async throws {
        let node = try await TestServer.start()
        let space = try await node.createSpace()
        let close = try await self.publish(node, space) { sender in
            try await sender.send(binary: encodedBatch(Array(repeating: validPacket, count: 51)))
        }
        XCTAssertEqual(close, CloseCode.policyViolation.rawValue)
        await node.stop()
    }

    func testSecondPublisherIsRefusedWith409() async throws {
        let node = try await TestServer.start()
        let space = try await node.createSpace()
        let url = try node.url("/v1/spaces/\(space.id)/publish?token=\(space.hostToken)")
        let first = try await WebSocketClient.connect(url)
        try await eventually { node.server.registry.space(id: space.id)?.hasPublisher == true }
        do {
            _ = try await WebSocketClient.connect(url)
            XCTFail("a second publisher was accepted")
        } catch let refused as WebSocketClient.Refused {
            XCTAssertEqual(refused.status, 409)
        }
        _ = try await first.run { messages, sender in
            try await sender.close()
            return try await drain(&messages).close
        }
        await node.stop()
    }

    private func publish(_ node: TestServer, _ space: CreateSpaceResponse, _ body: @escaping (WebSocketSender) async throws -> Void) async throws -> UInt16? {
        let connection = try await WebSocketClient.connect(
            try node.url("/v1/spaces/\(space.id)/publish"), headers: [("authorization", "Bearer \(space.hostToken)")]
        )
        let close = try await connection.run { messages, sender in
            try await body(sender)
            return try await drain(&messages).close
        }
        // The node frees the seat when the socket is gone, a moment after the close frames.
        try await eventually { node.server.registry.space(id: space.id)?.hasPublisher == false }
        return close
    }
}
