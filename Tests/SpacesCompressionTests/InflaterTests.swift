import NIOCore
import XCTest

@testable import SpacesCompression

/// Inflation of whole messages, within a limit, for what peers can send.
final class InflaterTests: XCTestCase {
    private func bytes(_ buffer: ByteBuffer) -> [UInt8] { Array(buffer.readableBytesView) }

    func testTheRFCsExamples() throws {
        let inflater = Inflater()
        // §7.2.3.1, §7.2.3.3 (a stored block), §7.2.3.5 (BFINAL set, nothing stripped after it).
        for example: [UInt8] in [
            [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00],
            [0x00, 0x05, 0x00, 0xFA, 0xFF, 0x48, 0x65, 0x6C, 0x6C, 0x6F, 0x00],
            [0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00, 0x00],
        ] {
            XCTAssertEqual(String(buffer: try inflater.inflate(ByteBuffer(bytes: example), limit: 100)), "Hello", "\(example)")
        }
    }

    func testContextTakeoverWhenThePeerKeepsIt() throws {
        // §7.2.3.2: the second "Hello" refers to the first.
        let first = ByteBuffer(bytes: [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        let second = ByteBuffer(bytes: [0xF2, 0x00, 0x11, 0x00, 0x00])
        let keeping = Inflater(keepsContext: true)
        XCTAssertEqual(String(buffer: try keeping.inflate(first, limit: 100)), "Hello")
        XCTAssertEqual(String(buffer: try keeping.inflate(second, limit: 100)), "Hello")
        // Without the context the back-reference points before the start of the window.
        let resetting = Inflater()
        XCTAssertEqual(String(buffer: try resetting.inflate(first, limit: 100)), "Hello")
        XCTAssertThrowsError(try resetting.inflate(second, limit: 100)) { error in
            guard case .corrupt = error as? InflaterError else { return XCTFail("\(error)") }
        }
    }

    func testEmptyMessages() throws {
        XCTAssertEqual(try Inflater().inflate(ByteBuffer(bytes: [0x00]), limit: 0).readableBytes, 0)
        XCTAssertEqual(try Inflater().inflate(ByteBuffer(), limit: 0).readableBytes, 0)
    }

    func testTheLimitIsInclusive() throws {
        let text = TestText.json(bytes: 1_000)
        let compressed = Deflater().compress(text.utf8)
        XCTAssertEqual(String(buffer: try Inflater().inflate(compressed, limit: 1_000)), text)
        XCTAssertThrowsError(try Inflater().inflate(compressed, limit: 999)) { error in
            XCTAssertEqual(error as? InflaterError, .tooLarge(limit: 999))
        }
    }

    func testABombStopsAtTheLimitQuickly() throws {
        // 10 MB of zeros deflate to ~10 KB; inflating them within 64 KB must stop at 64 KB.
        let bomb = Deflater(level: 9).compress([UInt8](repeating: 0, count: 10_000_000))
        XCTAssertLessThan(bomb.readableBytes, 20_000)
        let inflater = Inflater()
        let started = ContinuousClock.now
        XCTAssertThrowsError(try inflater.inflate(bomb, limit: 65_536)) { error in
            XCTAssertEqual(error as? InflaterError, .tooLarge(limit: 65_536))
        }
        // Inflating all 10 MB takes milliseconds; stopping at 64 KB takes well under one.
        XCTAssertLessThan(ContinuousClock.now - started, .milliseconds(50))
        // The inflater was reset and serves the next message.
        XCTAssertEqual(String(buffer: try inflater.inflate(Deflater().compress("ok".utf8), limit: 10)), "ok")
    }

    func testBuffersStayNearTheMessageSize() throws {
        // Growth doubles from a guess and is capped at limit + 1: a message that fits does not
        // get a buffer of the limit's size.
        let message = [UInt8](repeating: 0x61, count: 4_096)
        let inflated = try Inflater().inflate(Deflater().compress(message), limit: 1 << 20)
        XCTAssertEqual(Array(inflated.readableBytesView), message)
        XCTAssertLessThanOrEqual(inflated.capacity, 8_192)
        let capped = try Inflater().inflate(Deflater().compress(message), limit: 4_096)
        XCTAssertLessThanOrEqual(capped.capacity, 8_192)
    }

    func testCorruptDataThrows() {
        let corrupt: [[UInt8]] = [
            [0xFF, 0xFF, 0xFF, 0xFF],  // reserved block type 11
            [0x07],  // BTYPE 11 again, in the low bits
            [0x00, 0x05, 0x00, 0x00, 0x00, 0x48],  // stored block whose NLEN is not ~LEN
            [0xF2, 0x48, 0xCD],  // "Hello" cut inside its block
            Array(Deflater().compress(TestText.json(bytes: 3_000).utf8).readableBytesView.dropLast(10)),
        ]
        for bytes in corrupt {
            XCTAssertThrowsError(try Inflater().inflate(ByteBuffer(bytes: bytes), limit: 1 << 20), "\(bytes.prefix(8))") { error in
                guard case .corrupt = error as? InflaterError else { return XCTFail("\(error)") }
            }
        }
    }

    func testAnInflaterRecoversAfterAnError() throws {
        let inflater = Inflater()
        XCTAssertThrowsError(try inflater.inflate(ByteBuffer(bytes: [0xFF, 0xFF]), limit: 100))
        XCTAssertEqual(String(buffer: try inflater.inflate(ByteBuffer(bytes: [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00]), limit: 100)), "Hello")
    }

    func testOneInflaterServesMessagesFromManyDeflaters() throws {
        // What one inflater per event loop relies on: client messages carry no context.
        let inflater = Inflater()
        let deflaters = [Deflater(level: 1), Deflater(), Deflater(level: 9)]
        for round in 0..<30 {
            let text = TestText.json(bytes: 50 + round * 97)
            let compressed = deflaters[round % 3].compress(text.utf8)
            XCTAssertEqual(String(buffer: try inflater.inflate(compressed, limit: 10_000)), text)
        }
    }

    func testGarbageNeverTraps() {
        var generator = SplitMix64(seed: 42)
        let inflater = Inflater()
        for _ in 0..<2_000 {
            let bytes = (0..<Int.random(in: 1..<64, using: &generator)).map { _ in UInt8.random(in: 0...255, using: &generator) }
            if let inflated = try? inflater.inflate(ByteBuffer(bytes: bytes), limit: 1_000) {
                XCTAssertLessThanOrEqual(inflated.readableBytes, 1_000)
            }
        }
    }
}
