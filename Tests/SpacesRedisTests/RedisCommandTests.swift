import NIOCore
import SpacesRedis
import XCTest

final class RedisCommandTests: XCTestCase {
    func testACommandIsAnArrayOfBulkStrings() {
        var buffer = ByteBuffer()
        RedisCommand("SET", "key", .bytes(ByteBuffer(bytes: [0, 13, 10])), 42).encode(into: &buffer)
        XCTAssertEqual(
            Array(buffer.readableBytesView),
            Array("*4\r\n$3\r\nSET\r\n$3\r\nkey\r\n$3\r\n".utf8) + [0, 13, 10] + Array("\r\n$2\r\n42\r\n".utf8)
        )
    }

    func testAnEncodedCommandParsesBackToItsArguments() throws {
        var buffer = ByteBuffer()
        RedisCommand("SPUBLISH", "spaces:{abc}:audio", "héllo").encode(into: &buffer)
        let value = try XCTUnwrap(try RESPParser().parse(&buffer))
        XCTAssertEqual(value.elements?.compactMap(\.string), ["SPUBLISH", "spaces:{abc}:audio", "héllo"])
        XCTAssertEqual(RedisCommand("spublish").name, "SPUBLISH")
    }

    func testScriptsAreNamedByTheirSHA1() {
        // `redis-cli SCRIPT LOAD "return 1"` answers this digest.
        XCTAssertEqual(RedisScript("return 1").sha1, "e0e1f9fabfc9d4800c877a703b823ac0578ff8db")
    }
}
