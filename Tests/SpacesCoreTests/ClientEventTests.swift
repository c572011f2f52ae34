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

    func testConversationMessages() {
        XCTAssertEqual(self.parse(#"{"type":"ask","text":"Will the slides be shared?"}"#), .success(.ask(text: "Will the slides be shared?")))
        XCTAssertEqual(self.parse(#"{"text":"  spaced  ","type":"ask"}"#), .success(.ask(text: "  spaced  ")), "trimming is the queue's")
        XCTAssertEqual(self.parse(#"{"type":"upvote","id":"q1f"}"#), .success(.upvote(id: "q1f")))
        XCTAssertEqual(self.parse(#"{"type":"withdraw","id":"q2"}"#), .success(.withdraw(id: "q2")))
        XCTAssertEqual(self.parse(#"{"type":"hand","raised":true}"#), .success(.hand(raised: true)))
        XCTAssertEqual(self.parse(#"{"type":"hand","raised":false,"extra":1}"#), .success(.hand(raised: false)))
        XCTAssertEqual(self.parse(#"{"type":"react","emoji":"👏"}"#), .success(.react(emoji: "👏")))
        XCTAssertEqual(self.parse(#"{"type":"ask","text":"caf\u00e9 \ud83d\udc4f"}"#), .success(.ask(text: "café 👏")))
    }

    func testConversationMessagesWithABadField() {
        let cases: [(String, String, String)] = [
            (#"{"type":"ask"}"#, "ask", "text"),
            (#"{"type":"ask","text":5}"#, "ask", "text"),
            (#"{"type":"ask","text":null}"#, "ask", "text"),
            (#"{"type":"ask","text":["a"]}"#, "ask", "text"),
            (#"{"type":"upvote"}"#, "upvote", "id"),
            (#"{"type":"upvote","id":7}"#, "upvote", "id"),
            (#"{"type":"withdraw","id":{}}"#, "withdraw", "id"),
            (#"{"type":"hand"}"#, "hand", "raised"),
            (#"{"type":"hand","raised":"yes"}"#, "hand", "raised"),
            (#"{"type":"hand","raised":1}"#, "hand", "raised"),
            (#"{"type":"react","emoji":false}"#, "react", "emoji"),
        ]
        for (input, type, field) in cases {
            guard case .failure(.badField(let gotType, let gotField, _)) = self.parse(input) else {
                XCTFail("expected bad_field for \(input), got \(self.parse(input))")
                continue
            }
            XCTAssertEqual(gotType, type, input)
            XCTAssertEqual(gotField, field, input)
        }
        let error = ClientEvent.Invalid.badField(type: "ask", field: "text", expected: "a string")
        XCTAssertEqual(error.code, "bad_field")
        XCTAssertEqual(error.message, #""ask" needs "text": a string"#)
    }
}
