import XCTest

@testable import SpacesCore

final class HostActionTests: XCTestCase {
    func testParsesEveryAction() throws {
        XCTAssertEqual(try HostAction.parse(Array(#"{"type":"pick","id":"q1"}"#.utf8)), .pick(questionID: "q1"))
        XCTAssertEqual(try HostAction.parse(Array(#"{"type":"answer","id":"q2"}"#.utf8)), .answer(questionID: "q2"))
        XCTAssertEqual(try HostAction.parse(Array(#"{"type":"dismiss","id":"q3"}"#.utf8)), .dismiss(questionID: "q3"))
        XCTAssertEqual(try HostAction.parse(Array(#"{"type":"pin","id":"q4"}"#.utf8)), .pin(questionID: "q4"))
        XCTAssertEqual(try HostAction.parse(Array(#"{"type":"unpin","id":"q5"}"#.utf8)), .unpin(questionID: "q5"))
        XCTAssertEqual(try HostAction.parse(Array(#"{"type":"invite","listenerId":"2s"}"#.utf8)), .invite(listenerID: "2s"))
    }

    func testRefusals() {
        XCTAssertThrowsError(try HostAction.parse(Array("not json".utf8))) { XCTAssertEqual($0 as? ClientEvent.Invalid, .malformed) }
        XCTAssertThrowsError(try HostAction.parse(Array(#"{"type":"ask","text":"x"}"#.utf8))) {
            XCTAssertEqual($0 as? ClientEvent.Invalid, .unknownType("ask"))
        }
        XCTAssertThrowsError(try HostAction.parse(Array(#"{"type":"pick"}"#.utf8))) {
            XCTAssertEqual(($0 as? ClientEvent.Invalid)?.code, "bad_field")
        }
        XCTAssertThrowsError(try HostAction.parse(Array(#"{"type":"invite","id":"2s"}"#.utf8))) {
            XCTAssertEqual(($0 as? ClientEvent.Invalid)?.code, "bad_field", "invite names a listenerId")
        }
    }

    func testJSONRoundTrips() throws {
        let actions: [HostAction] = [
            .pick(questionID: "q1"), .answer(questionID: "q2"), .dismiss(questionID: "q3"), .pin(questionID: "q4"),
            .unpin(questionID: "q5"), .invite(listenerID: "k9"),
        ]
        for action in actions {
            XCTAssertEqual(try HostAction.parse(Array(action.json().utf8)), action, action.json())
        }
        XCTAssertEqual(HostAction.pick(questionID: "q1").json(), #"{"id":"q1","type":"pick"}"#)
        XCTAssertEqual(HostAction.invite(listenerID: "k9").json(), #"{"listenerId":"k9","type":"invite"}"#)
    }

    func testNamesForTheHTTPPath() {
        for name in HostAction.questionActions {
            let action = HostAction(name: name, questionID: "q7")
            XCTAssertEqual(action?.name, name)
            XCTAssertEqual(action?.target, "q7")
        }
        XCTAssertNil(HostAction(name: "invite", questionID: "q7"), "invite is a hand action, not a question action")
        XCTAssertNil(HostAction(name: "delete", questionID: "q7"))
    }
}
