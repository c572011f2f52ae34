import NIOCore
import SpacesCore
import XCTest

final class ClusterEnvelopeTests: XCTestCase {
    func testAnEnvelopeCarriesTheBatchUntouched() throws {
        var batch = ByteBuffer()
        AudioBatch(firstSequence: 4_000_000_000, captureTimeMicros: 123, frames: [ByteBuffer(bytes: [8, 1, 2])]).encode(into: &batch)
        var message = ByteBuffer()
        ClusterEnvelope(origin: "node-a", payload: batch).encode(into: &message)
        XCTAssertEqual(Array(message.readableBytesView.prefix(9)), [1, 1, 6] + Array("node-a".utf8))
        let envelope = try ClusterEnvelope.decode(message)
        XCTAssertEqual(envelope.origin, "node-a")
        XCTAssertEqual(envelope.payload, batch)
        let decoded = try AudioBatch.decode(envelope.payload)
        XCTAssertEqual(decoded.firstSequence, 4_000_000_000)
        XCTAssertEqual(decoded.captureTimeMicros, 123)
    }

    func testAConversationEnvelopeCarriesABroadcast() throws {
        var updates = Conversation.Updates()
        updates.personal = [.init(listenerID: UInt64.max, question: .init(id: "q000000001", state: "open", rank: 1, votes: 2))]
        let broadcast = ConversationBroadcast(updates, invited: [1 << 63])
        var message = ByteBuffer()
        ClusterEnvelope(.conversation, origin: "b", payload: ByteBuffer(bytes: broadcast.json())).encode(into: &message)
        XCTAssertEqual(Array(message.readableBytesView.prefix(2)), [1, 2])
        let envelope = try ClusterEnvelope.decode(message)
        XCTAssertEqual(envelope.kind, .conversation)
        let decoded = try XCTUnwrap(ConversationBroadcast.decode(envelope.payload.readableBytesView))
        XCTAssertEqual(decoded.updates, updates)
        XCTAssertEqual(decoded.invitedListeners, [1 << 63])
        XCTAssertNil(ConversationBroadcast.decode(Array(#"{"v":2}"#.utf8)), "a later version is left alone")
        XCTAssertNil(ConversationBroadcast.decode(Array("not json".utf8)))
    }

    func testMalformedEnvelopesAreRefused() {
        let cases: [([UInt8], ClusterEnvelope.DecodingError)] = [
            ([], .truncated),
            ([1, 1], .truncated),
            ([2, 1, 1, 65], .unsupportedVersion(2)),
            ([1, 9, 1, 65], .unknownKind(9)),
            ([1, 1, 0], .badOrigin),
            ([1, 1, 65], .badOrigin),
            ([1, 1, 3, 65], .truncated),
            ([1, 1, 1, 0xFF], .badOrigin),
        ]
        for (bytes, expected) in cases {
            XCTAssertThrowsError(try ClusterEnvelope.decode(ByteBuffer(bytes: bytes)), "\(bytes)") { error in
                XCTAssertEqual(error as? ClusterEnvelope.DecodingError, expected, "\(bytes)")
            }
        }
    }
}
