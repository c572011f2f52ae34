import XCTest

@testable import SpacesCompression

/// `Sec-WebSocket-Extensions` parsing: the RFC 9110 list, token and quoted-string rules.
final class ExtensionElementTests: XCTestCase {
    private func element(_ name: String, _ parameters: (String, String?)...) -> ExtensionElement {
        ExtensionElement(name: name, parameters: parameters.map { .init(name: $0.0, value: $0.1) })
    }

    func testSeveralOffersWithParametersAndWhitespace() {
        let parsed = ExtensionElement.parseList(
            " permessage-deflate ;\tclient_max_window_bits ; server_max_window_bits = 10 , x-webkit-deflate-frame,permessage-deflate"
        )
        XCTAssertEqual(
            parsed,
            [
                self.element("permessage-deflate", ("client_max_window_bits", nil), ("server_max_window_bits", "10")),
                self.element("x-webkit-deflate-frame"),
                self.element("permessage-deflate"),
            ]
        )
    }

    func testNamesAreLowercasedAndValuesKept() {
        XCTAssertEqual(
            ExtensionElement.parseList("PerMessage-Deflate; Server_Max_Window_Bits=\"12\"; X=AbC"),
            [self.element("permessage-deflate", ("server_max_window_bits", "12"), ("x", "AbC"))]
        )
    }

    func testQuotedValuesMayHoldCommasSemicolonsAndEscapes() {
        XCTAssertEqual(
            ExtensionElement.parseList(#"a; p="x, y; \"z\"", b"#),
            [self.element("a", ("p", #"x, y; "z""#)), self.element("b")]
        )
    }

    func testEmptyListElementsAreSkipped() {
        XCTAssertEqual(ExtensionElement.parseList(" , a,, ,b ,"), [self.element("a"), self.element("b")])
        XCTAssertEqual(ExtensionElement.parseList(""), [])
        XCTAssertEqual(ExtensionElement.parseList("  \t "), [])
    }

    func testABadElementIsNilAndTheNextOneStillParses() {
        let cases: [(String, Int)] = [
            ("a;, b", 0),  // parameter without a name
            ("a; p=, b", 0),  // '=' without a value
            ("a b, b", 0),  // two tokens
            (#"a; p="unterminated, b"#, 0),  // the rest is inside the quotes
            ("a; p=\"x\"y, b", 0),  // text after a quoted value
            ("=a, b", 0),
            ("a;;p, b", 0),
            ("é, b", 0),  // not a token character
            ("a; p=\"\u{1}\", b", 0),  // a control character inside quotes
        ]
        for (header, badIndex) in cases {
            let parsed = ExtensionElement.parseList(header)
            XCTAssertNil(parsed[badIndex], header)
            if header.contains("unterminated") {
                XCTAssertEqual(parsed.count, 1, header)
            } else {
                XCTAssertEqual(parsed.last, self.element("b"), header)
            }
        }
    }

    func testGarbageNeverTraps() {
        var generator = SystemRandomNumberGenerator()
        let alphabet: [Character] = ["a", "b", "=", ";", ",", "\"", "\\", " ", "\t", "x", "-", "1", "é"]
        for _ in 0..<2_000 {
            let length = Int.random(in: 0..<40, using: &generator)
            let header = String((0..<length).map { _ in alphabet.randomElement(using: &generator)! })
            _ = ExtensionElement.parseList(header)
            _ = PermessageDeflate.accept(offers: header)
            _ = try? PermessageDeflate.clientAgreement(response: header)
        }
    }
}
