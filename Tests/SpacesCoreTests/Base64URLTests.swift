import Foundation
import XCTest

@testable import SpacesCore

final class Base64URLTests: XCTestCase {
    /// Foundation's base64 with the url alphabet and no padding: an independent reference.
    private func reference(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    func testEncodesAsTheReferenceAndRoundTrips() {
        var generator = SystemRandomNumberGenerator()
        for length in 0..<70 {
            let bytes = (0..<length).map { _ in UInt8.random(in: 0...255, using: &generator) }
            let encoded = Base64URL.encode(bytes)
            XCTAssertEqual(encoded, self.reference(bytes), "\(bytes)")
            XCTAssertEqual(Base64URL.decode(encoded), bytes)
        }
        XCTAssertEqual(Base64URL.encode([0xFB, 0xFF]), "-_8")
        XCTAssertEqual(Base64URL.decode(""), [])
    }

    func testOnlyTheOneCanonicalSpellingDecodes() {
        // "-_8" is [0xFB, 0xFF]; its last character carries 2 spare bits: "-_9" sets one.
        XCTAssertNil(Base64URL.decode("-_9"), "non-zero spare bits")
        XCTAssertNil(Base64URL.decode("QQ=="), "padding")
        XCTAssertNil(Base64URL.decode("a+b/"), "the standard alphabet")
        XCTAssertNil(Base64URL.decode("abcde"), "a length no byte string has")
        XCTAssertNil(Base64URL.decode("ab c"), "a space")
        XCTAssertNil(Base64URL.decode("abé"), "not ASCII")
        XCTAssertEqual(Base64URL.decode("QQ"), [0x41])
        XCTAssertNil(Base64URL.decode("QR"), "QR spells the same byte as QQ with a spare bit set")
    }
}
