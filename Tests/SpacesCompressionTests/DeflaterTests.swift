import NIOCore
import XCTest

@testable import SpacesCompression

/// Compression of whole messages, each on its own, in RFC 7692's framing of deflate.
final class DeflaterTests: XCTestCase {
    func testHelloIsTheRFCsBytes() {
        // RFC 7692 §7.2.3.1: "Hello" is f2 48 cd c9 c9 07 00 once 00 00 ff ff is stripped.
        let deflater = Deflater()
        XCTAssertEqual(Array(deflater.compress("Hello".utf8).readableBytesView), [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
    }

    func testNoContextIsTakenOver() {
        // With context takeover the second "Hello" would be f2 00 11 00 00 (§7.2.3.2); here each
        // message is compressed as if it were the first, so every listener can inflate it.
        let deflater = Deflater()
        let first = deflater.compress("Hello".utf8)
        let second = deflater.compress("Hello".utf8)
        XCTAssertEqual(first, second)
        XCTAssertEqual(Array(second.readableBytesView), [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
    }

    func testAnEmptyMessageIsOneZeroByte() {
        // §7.2.3.6: an empty stored block, its tail stripped.
        XCTAssertEqual(Array(Deflater().compress(ByteBuffer()).readableBytesView), [0x00])
    }

    func testTheSyncFlushTailIsStripped() {
        let deflater = Deflater()
        for size in [1, 100, 5_000, 100_000] {
            let compressed = deflater.compress(TestText.json(bytes: size).utf8)
            XCTAssertFalse(compressed.readableBytesView.suffix(4).elementsEqual([0x00, 0x00, 0xFF, 0xFF]), "\(size)")
            // The message still ends on a byte boundary before the (stripped) empty block: a
            // fresh inflater given the tail back ends waiting for a new block.
            XCTAssertNoThrow(try Inflater().inflate(compressed, limit: size), "\(size)")
        }
    }

    func testRoundTripOfManySizes() throws {
        let deflater = Deflater()
        var generator = SplitMix64(seed: 7)
        for size in [0, 1, 2, 3, 10, 125, 126, 1_000, 4_096, 16_383, 16_384, 65_535, 65_536, 100_000, 102_400] {
            for kind in ["text", "random", "zeros"] {
                let bytes: [UInt8] =
                    switch kind {
                    case "text": Array(TestText.json(bytes: size).utf8)
                    case "random": (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
                    default: [UInt8](repeating: 0, count: size)
                    }
                let compressed = deflater.compress(bytes)
                // A fresh inflater each time: nothing may depend on an earlier message.
                let inflated = try Inflater().inflate(compressed, limit: size)
                XCTAssertEqual(Array(inflated.readableBytesView), bytes, "\(kind) \(size)")
                if kind != "random", size >= 1_000 {
                    XCTAssertLessThan(compressed.readableBytes, size / 2, "\(kind) \(size) should shrink")
                }
            }
        }
    }

    func testByteBufferAndCollectionGiveTheSameBytes() {
        let deflater = Deflater()
        let text = TestText.json(bytes: 2_000)
        var buffer = ByteBuffer(string: "xx" + text)
        buffer.moveReaderIndex(forwardBy: 2)  // only the readable bytes count
        XCTAssertEqual(deflater.compress(buffer), deflater.compress(text.utf8))
        XCTAssertEqual(deflater.compress(text.utf8), deflater.compress(Array(text.utf8)))
        XCTAssertEqual(deflater.compress(text.utf8), deflater.compress(AnyCollection(text.utf8)))  // not contiguous
    }

    func testLevelsTradeSizeButAllRoundTrip() throws {
        let text = TestText.json(bytes: 20_000)
        let stored = Deflater(level: 0).compress(text.utf8)
        let best = Deflater(level: 9).compress(text.utf8)
        XCTAssertGreaterThan(stored.readableBytes, text.utf8.count, "level 0 stores")
        XCTAssertLessThan(best.readableBytes, stored.readableBytes / 3)
        for compressed in [stored, best] {
            XCTAssertEqual(String(buffer: try Inflater().inflate(compressed, limit: 20_000)), text)
        }
    }
}
