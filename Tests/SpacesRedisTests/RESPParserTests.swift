import NIOCore
import SpacesRedis
import XCTest

final class RESPParserTests: XCTestCase {
    private func parse(_ text: String, limits: RESPParser.Limits = .init()) throws -> RESPValue? {
        var buffer = ByteBuffer(string: text)
        return try RESPParser(limits: limits).parse(&buffer)
    }

    func testRESP2Types() throws {
        XCTAssertEqual(try self.parse("+OK\r\n"), .simpleString("OK"))
        XCTAssertEqual(try self.parse("-ERR wrong\r\n"), .error("ERR wrong"))
        XCTAssertEqual(try self.parse(":-42\r\n"), .integer(-42))
        XCTAssertEqual(try self.parse("$5\r\nhello\r\n"), .bulkString(ByteBuffer(string: "hello")))
        XCTAssertEqual(try self.parse("$0\r\n\r\n"), .bulkString(ByteBuffer()))
        XCTAssertEqual(try self.parse("$-1\r\n"), .null)
        XCTAssertEqual(try self.parse("*-1\r\n"), .null)
        XCTAssertEqual(try self.parse("*0\r\n"), .array([]))
        XCTAssertEqual(
            try self.parse("*3\r\n:1\r\n$1\r\na\r\n*1\r\n+x\r\n"),
            .array([.integer(1), .bulkString(ByteBuffer(string: "a")), .array([.simpleString("x")])])
        )
    }

    func testRESP3Types() throws {
        XCTAssertEqual(try self.parse("_\r\n"), .null)
        XCTAssertEqual(try self.parse(",1.5\r\n"), .double(1.5))
        XCTAssertEqual(try self.parse(",inf\r\n"), .double(.infinity))
        XCTAssertEqual(try self.parse("#t\r\n"), .boolean(true))
        XCTAssertEqual(try self.parse("#f\r\n"), .boolean(false))
        XCTAssertEqual(try self.parse("(123456789012345678901234567890\r\n"), .bigNumber("123456789012345678901234567890"))
        XCTAssertEqual(try self.parse("=8\r\ntxt:four\r\n"), .verbatimString("four"))
        XCTAssertEqual(try self.parse("!5\r\nERR x\r\n"), .error("ERR x"))
        XCTAssertEqual(try self.parse("%1\r\n+k\r\n:1\r\n"), .map([.simpleString("k"), .integer(1)]))
        XCTAssertEqual(try self.parse("~2\r\n:1\r\n:2\r\n"), .set([.integer(1), .integer(2)]))
        XCTAssertEqual(
            try self.parse(">3\r\n$7\r\nmessage\r\n$2\r\nch\r\n$1\r\nx\r\n"),
            .push([.bulkString(ByteBuffer(string: "message")), .bulkString(ByteBuffer(string: "ch")), .bulkString(ByteBuffer(string: "x"))])
        )
        // An attribute is metadata: the value after it is the reply.
        XCTAssertEqual(try self.parse("|1\r\n+ttl\r\n:3\r\n:7\r\n"), .integer(7))
    }

    func testBulkStringsAreBinarySafe() throws {
        let bytes: [UInt8] = [0, 13, 10, 255, 36, 13, 10]
        var buffer = ByteBuffer(string: "$7\r\n")
        buffer.writeBytes(bytes)
        buffer.writeString("\r\n")
        let value = try RESPParser().parse(&buffer)
        XCTAssertEqual(value?.bytes.map { Array($0.readableBytesView) }, bytes)
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testAValueSplitAnywhereIsParsedOnceWhole() throws {
        let text = "*2\r\n$5\r\nhello\r\n:12\r\n+NEXT\r\n"
        let bytes = Array(text.utf8)
        let parser = RESPParser()
        var buffer = ByteBuffer()
        var values: [RESPValue] = []
        for byte in bytes {
            buffer.writeInteger(byte)
            while let value = try parser.parse(&buffer) { values.append(value) }
        }
        XCTAssertEqual(values, [.array([.bulkString(ByteBuffer(string: "hello")), .integer(12)]), .simpleString("NEXT")])
        XCTAssertEqual(buffer.readableBytes, 0)
    }

    func testAnIncompleteValueLeavesTheBufferAsItWas() throws {
        var buffer = ByteBuffer(string: "*2\r\n:1\r\n")
        XCTAssertNil(try RESPParser().parse(&buffer))
        XCTAssertEqual(buffer.readableBytes, 8)
    }

    func testBoundsAreCheckedBeforeAnythingIsAllocated() {
        var limits = RESPParser.Limits()
        limits.maxBulkBytes = 10
        limits.maxElements = 4
        limits.maxDepth = 2
        limits.maxLineBytes = 8
        XCTAssertThrowsError(try self.parse("$11\r\n", limits: limits)) { XCTAssertEqual($0 as? RESPError, .bulkTooLarge(length: 11, limit: 10)) }
        XCTAssertThrowsError(try self.parse("*5\r\n", limits: limits)) { XCTAssertEqual($0 as? RESPError, .tooManyElements(count: 5, limit: 4)) }
        XCTAssertThrowsError(try self.parse("%3\r\n", limits: limits)) { XCTAssertEqual($0 as? RESPError, .tooManyElements(count: 3, limit: 4)) }
        XCTAssertThrowsError(try self.parse("*1\r\n*1\r\n*1\r\n*1\r\n:1\r\n", limits: limits)) { XCTAssertEqual($0 as? RESPError, .tooDeep(limit: 2)) }
        XCTAssertThrowsError(try self.parse("+0123456789", limits: limits)) { XCTAssertEqual($0 as? RESPError, .lineTooLong(limit: 8)) }
        // A huge announced array with nothing behind it: no allocation of that size, just "more".
        XCTAssertNil(try self.parse("*1000000\r\n"))
    }

    func testMalformedInputThrows() {
        XCTAssertThrowsError(try self.parse("?x\r\n")) { XCTAssertEqual($0 as? RESPError, .unknownType(UInt8(ascii: "?"))) }
        XCTAssertThrowsError(try self.parse(":12a\r\n")) { XCTAssertEqual($0 as? RESPError, .invalidNumber("12a")) }
        XCTAssertThrowsError(try self.parse("$-2\r\n")) { XCTAssertEqual($0 as? RESPError, .invalidNumber("-2")) }
        XCTAssertThrowsError(try self.parse("$2\r\nabXY")) { XCTAssertEqual($0 as? RESPError, .malformed("bulk string without CRLF")) }
        XCTAssertThrowsError(try self.parse("+OK\rX")) { XCTAssertEqual($0 as? RESPError, .malformed("CR without LF")) }
        XCTAssertThrowsError(try self.parse("#x\r\n"))
        // A CR in place of the type byte, alone or inside an aggregate: an error, not a trap.
        XCTAssertThrowsError(try self.parse("\r\n")) { XCTAssertEqual($0 as? RESPError, .malformed("a line without a type byte")) }
        XCTAssertThrowsError(try self.parse("*1\r\n\r\n"))
        // Attributes count towards the depth limit.
        XCTAssertThrowsError(try self.parse(String(repeating: "|0\r\n", count: 40) + ":1\r\n")) { XCTAssertEqual($0 as? RESPError, .tooDeep(limit: 16)) }
    }
}
