import NIOCore
import SpacesCore
import XCTest

final class ClusterEnvelopeTests: XCTestCase {
    func testAnEnvelopeCarriesTheBatchUntouched() throws {
        var batch = ByteBuffer()
        AudioBatch(firstSequence: 4_000_000_000, captureTimeMicros: 123, frames: [ByteBuffer(bytes: [8, 1, 2])]).encode(into: &batch)
        var message = ByteBuffer()
        ClusterEnvelope(origin: "node-a", batch: batch).encode(into: &message)
        XCTAssertEqual(Array(message.readableBytesView.prefix(9)), [1, 1, 6] + Array("node-a".utf8))
        let envelope = try ClusterEnvelope.decode(message)
        XCTAssertEqual(envelope.origin, "node-a")
        XCTAssertEqual(envelope.batch, batch)
        let decoded = try AudioBatch.decode(envelope.batch)
        XCTAssertEqual(decoded.firstSequence, 4_000_000_000)
        XCTAssertEqual(decoded.captureTimeMicros, 123)
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
