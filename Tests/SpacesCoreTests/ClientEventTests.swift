import NIOCore
import XCTest

@testable import SpacesCore

final class ClientEventTests: XCTestCase {
    private func parse(_ text: String) -> Result<ClientEvent, ClientEvent.Invalid> {
        do {
            return .success(try ClientEvent.parse(Array(text.utf8)))
        } catch {
            return .failure(error)
        }
    }

    func testPing() {
        XCTAssertEqual(self.parse(#"{"type":"ping"}"#), .success(.ping))
        XCTAssertEqual(self.parse(#" { "type" : "ping", "t": 12345, "extra": [1,2] } "#), .success(.ping))
    }

    func testAcceptsAnyByteCollection() throws {
        let buffer = ByteBuffer(string: #"{"type":"ping"}"#)
        XCTAssertEqual(try ClientEvent.parse(buffer.readableBytesView), .ping)
        XCTAssertEqual(try ClientEvent.parse(Array(#"{"type":"ping"}"#.utf8)[...]), .ping)
    }

    func testMalformed() {
        let inputs = [
            "",
            "ping",
            "{",
            #"{"type":"ping""#,
            "{}",
            "[]",
            #"["ping"]"#,
            "null",
            #""ping""#,
            #"{"type":5}"#,
            #"{"type":null}"#,
            #"{"type":{"name":"ping"}}"#,
            #"{"kind":"ping"}"#,
        ]
        for input in inputs {
            XCTAssertEqual(self.parse(input), .failure(.malformed), input)
        }
        XCTAssertEqual(ClientEvent.Invalid.malformed.code, "bad_json")
        XCTAssertEqual(ClientEvent.Invalid.malformed.message, #"expected a JSON object with a string "type""#)
    }

    func testInvalidUTF8IsMalformed() throws {
        XCTAssertThrowsError(try ClientEvent.parse([0x7B, 0x22, 0xFF, 0xFE, 0x22, 0x7D])) { error in
            XCTAssertEqual(error as? ClientEvent.Invalid, .malformed)
        }
    }

    func testUnknownType() {
        XCTAssertEqual(self.parse(#"{"type":"raise_hand"}"#), .failure(.unknownType("raise_hand")))
        XCTAssertEqual(self.parse(#"{"type":"PING"}"#), .failure(.unknownType("PING")))
        XCTAssertEqual(self.parse(#"{"type":""}"#), .failure(.unknownType("")))
        XCTAssertEqual(ClientEvent.Invalid.unknownType("x").code, "unknown_type")
        XCTAssertEqual(ClientEvent.Invalid.unknownType("hand").message, #"unknown message type "hand""#)
    }

    func testUnknownTypeMessageTruncatesLongTypes() {
        let long = String(repeating: "z", count: 500)
        let message = ClientEvent.Invalid.unknownType(long).message
        XCTAssertEqual(message, "unknown message type \"\(String(repeating: "z", count: 40))\"")
    }
}
