import XCTest

@testable import SpacesCore

final class AudioBatchErrorTests: XCTestCase {
    func testDescriptionsNameTheFigures() {
        XCTAssertEqual(AudioBatchError.truncatedHeader(available: 5).description, "batch header truncated: 5 of 14 bytes")
        XCTAssertEqual(AudioBatchError.unknownKind(7).description, "unknown message kind 7 (expected 1)")
        XCTAssertEqual(AudioBatchError.noFrames.description, "frameCount is 0")
        XCTAssertEqual(AudioBatchError.truncatedFrame(index: 3).description, "frame 3 runs past the end of the batch")
        XCTAssertEqual(
            AudioBatchError.invalidPacketLength(index: 2, length: 1276).description,
            "frame 2 has length 1276, outside 1…1275"
        )
        XCTAssertEqual(AudioBatchError.trailingBytes(count: 4).description, "4 bytes after the last frame")
        XCTAssertEqual(
            AudioBatchError.tooLarge(size: 70000, limit: 65536).description,
            "batch of 70000 bytes exceeds the limit of 65536"
        )
    }

    func testEqualityDistinguishesAssociatedValues() {
        XCTAssertNotEqual(AudioBatchError.truncatedFrame(index: 0), .truncatedFrame(index: 1))
        XCTAssertNotEqual(
            AudioBatchError.invalidPacketLength(index: 0, length: 0),
            .invalidPacketLength(index: 0, length: 1276)
        )
        XCTAssertNotEqual(AudioBatchError.tooLarge(size: 1, limit: 0), .tooLarge(size: 2, limit: 0))
        XCTAssertNotEqual(AudioBatchError.truncatedHeader(available: 0), .noFrames)
    }

    func testIsThrownAsAnError() {
        XCTAssertThrowsError(try AudioBatch.decode(.init())) { error in
            XCTAssertEqual(error as? AudioBatchError, .truncatedHeader(available: 0))
        }
    }
}
