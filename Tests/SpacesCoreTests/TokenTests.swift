import XCTest

@testable import SpacesCore

final class TokenTests: XCTestCase {
    private let hex = Set("0123456789abcdef")

    func testRandomLengthAndAlphabet() {
        for count in [0, 1, 8, 16, 32, 100] {
            let token = Token.random(bytes: count)
            XCTAssertEqual(token.count, count * 2)
            XCTAssertEqual(token.utf8.count, count * 2)
            XCTAssertTrue(token.allSatisfy { self.hex.contains($0) }, token)
        }
    }

    func testRandomIsUnique() {
        var seen = Set<String>()
        for _ in 0..<2000 {
            seen.insert(Token.random(bytes: 16))
        }
        XCTAssertEqual(seen.count, 2000)
        // Short tokens vary too (256 values; 200 draws all equal has probability ~0).
        XCTAssertGreaterThan(Set((0..<200).map { _ in Token.random(bytes: 1) }).count, 1)
    }

    func testRandomUsesEveryHexDigitInBothNibbles() {
        // 4000 bytes: each nibble value is missing from one position with probability ~(15/16)^4000.
        let token = Array(Token.random(bytes: 4000))
        let high = Set(stride(from: 0, to: token.count, by: 2).map { token[$0] })
        let low = Set(stride(from: 1, to: token.count, by: 2).map { token[$0] })
        XCTAssertEqual(high, self.hex)
        XCTAssertEqual(low, self.hex)
    }

    func testConstantTimeEquals() {
        let secret = Token.random(bytes: 32)
        XCTAssertTrue(Token.constantTimeEquals(secret, secret))
        XCTAssertTrue(Token.constantTimeEquals(secret, String(secret)))
        XCTAssertTrue(Token.constantTimeEquals("", ""))
        XCTAssertTrue(Token.constantTimeEquals("abc", "abc"))

        XCTAssertFalse(Token.constantTimeEquals("abc", "abd"))
        XCTAssertFalse(Token.constantTimeEquals("abc", "xbc"))
        XCTAssertFalse(Token.constantTimeEquals("abc", "ab"))
        XCTAssertFalse(Token.constantTimeEquals("ab", "abc"))
        XCTAssertFalse(Token.constantTimeEquals("", "a"))
        XCTAssertFalse(Token.constantTimeEquals("abc", "ABC"))
        // Differs in each single position.
        let chars = Array(secret)
        for i in [0, chars.count / 2, chars.count - 1] {
            var other = chars
            other[i] = other[i] == "0" ? "1" : "0"
            XCTAssertFalse(Token.constantTimeEquals(secret, String(other)), "position \(i)")
        }
    }

    func testConstantTimeEqualsComparesBytes() {
        // Canonically equivalent but different bytes: secrets compare byte for byte.
        XCTAssertEqual("é", "e\u{301}")
        XCTAssertFalse(Token.constantTimeEquals("é", "e\u{301}"))
        XCTAssertTrue(Token.constantTimeEquals("ü€😀", "ü€😀"))
    }
}
