import Foundation
import XCTest

@testable import SpacesCore

final class ServerEventTests: XCTestCase {
    private let summary = SpaceSummary(id: "3f9a1c", title: "Morning news / weather")

    private func object(_ json: String, file: StaticString = #filePath, line: UInt = #line) throws -> [String: Any] {
        let value = try JSONSerialization.jsonObject(with: Data(json.utf8))
        return try XCTUnwrap(value as? [String: Any], "not a JSON object: \(json)", file: file, line: line)
    }

    private var allEvents: [ServerEvent] {
        [
            .welcome(.init(space: self.summary, codec: Codec(channels: 1), listenerId: "l-42")),
            .welcome(.init(space: SpaceSummary(id: "x", title: "Ünïcödé \"quoted\" \\ 🎙"), codec: Codec(channels: 2), listenerId: "")),
            .state(.init(listeners: 0)),
            .state(.init(listeners: 12_345, invalidPackets: 3, framesRelayed: 999_999)),
            .state(.init(listeners: 1, invalidPackets: 0)),
            .ended(.init(reason: "host_ended")),
            .error(.init(code: "bad_json", message: "expected a JSON object")),
            .publishing(.init(space: self.summary, codec: Codec(channels: 2))),
            .pong,
            .error(.init(code: "rate_limited", message: "too many requests: retry in 3 s", status: 4029, retryAfterSeconds: 3)),
            .asked(.init(id: "q1")),
            .upvoted(.init(id: "q2")),
            .withdrawn(.init(id: "q3")),
            .hand(.init(raised: true, position: 4)),
            .hand(.init(raised: false, position: nil)),
            .question(.init(id: "q1", state: "open", rank: 2, votes: 7)),
            .question(.init(id: "q1", state: "answered", rank: nil, votes: 7)),
            .questions(.init(version: 3, total: 0, onAir: nil, top: [])),
            .questions(.init(
                version: 9, total: 2, onAir: .init(id: "q9", text: "On air?", votes: 1, state: "on_air", pinned: false),
                top: [.init(id: "q1", text: "Ünïcödé \"quoted\" 🎙", votes: 3, state: "open", pinned: true)]
            )),
            .reactions(.init(counts: ["👏": 12, "❤️": 1])),
            .invited,
            .hands(.init(version: 2, total: 1, hands: [.init(listenerId: "2s", waitedSeconds: 14)])),
            .applied(.init(action: "pick", target: "q1")),
        ]
    }

    func testTypeNames() {
        XCTAssertEqual(ServerEvent.welcome(.init(space: self.summary, codec: Codec(channels: 1), listenerId: "a")).type, "welcome")
        XCTAssertEqual(ServerEvent.state(.init(listeners: 1)).type, "state")
        XCTAssertEqual(ServerEvent.ended(.init(reason: "r")).type, "ended")
        XCTAssertEqual(ServerEvent.error(.init(code: "c", message: "m")).type, "error")
        XCTAssertEqual(ServerEvent.publishing(.init(space: self.summary, codec: Codec(channels: 1))).type, "publishing")
        XCTAssertEqual(ServerEvent.pong.type, "pong")
    }

    func testWelcomeJSON() throws {
        let event = ServerEvent.welcome(.init(space: self.summary, codec: Codec(channels: 2), listenerId: "l-42"))
        let json = event.json()
        let object = try self.object(json)
        XCTAssertEqual(Set(object.keys), ["type", "space", "codec", "listenerId"])
        XCTAssertEqual(object["type"] as? String, "welcome")
        XCTAssertEqual(object["listenerId"] as? String, "l-42")
        let space = try XCTUnwrap(object["space"] as? [String: Any])
        XCTAssertEqual(space["id"] as? String, "3f9a1c")
        XCTAssertEqual(space["title"] as? String, "Morning news / weather")
        let codec = try XCTUnwrap(object["codec"] as? [String: Any])
        XCTAssertEqual(Set(codec.keys), ["name", "sampleRate", "channels", "frameDurationMs"])
        XCTAssertEqual(codec["name"] as? String, "opus")
        XCTAssertEqual(codec["sampleRate"] as? Int, 48_000)
        XCTAssertEqual(codec["channels"] as? Int, 2)
        XCTAssertEqual(codec["frameDurationMs"] as? Int, 20)
        // Slashes are not escaped.
        XCTAssertTrue(json.contains("Morning news / weather"), json)
    }

    func testWelcomeExactText() {
        let event = ServerEvent.welcome(.init(space: SpaceSummary(id: "s1", title: "T"), codec: Codec(channels: 1), listenerId: "l1"))
        XCTAssertEqual(
            event.json(),
            #"{"codec":{"channels":1,"frameDurationMs":20,"name":"opus","sampleRate":48000},"listenerId":"l1","space":{"id":"s1","title":"T"},"type":"welcome"}"#
        )
    }

    func testStateJSONOmitsPublisherFieldsWhenNil() throws {
        let listenerView = try self.object(ServerEvent.state(.init(listeners: 7)).json())
        XCTAssertEqual(Set(listenerView.keys), ["type", "listeners"])
        XCTAssertEqual(listenerView["type"] as? String, "state")
        XCTAssertEqual(listenerView["listeners"] as? Int, 7)

        let publisherView = try self.object(ServerEvent.state(.init(listeners: 7, invalidPackets: 2, framesRelayed: 500)).json())
        XCTAssertEqual(Set(publisherView.keys), ["type", "listeners", "invalidPackets", "framesRelayed"])
        XCTAssertEqual(publisherView["invalidPackets"] as? Int, 2)
        XCTAssertEqual(publisherView["framesRelayed"] as? Int, 500)
    }

    func testEndedErrorPublishingPongJSON() throws {
        let ended = try self.object(ServerEvent.ended(.init(reason: "host_ended")).json())
        XCTAssertEqual(Set(ended.keys), ["type", "reason"])
        XCTAssertEqual(ended["type"] as? String, "ended")
        XCTAssertEqual(ended["reason"] as? String, "host_ended")

        let error = try self.object(ServerEvent.error(.init(code: "unknown_type", message: "nope")).json())
        XCTAssertEqual(Set(error.keys), ["type", "code", "message"])
        XCTAssertEqual(error["type"] as? String, "error")
        XCTAssertEqual(error["code"] as? String, "unknown_type")
        XCTAssertEqual(error["message"] as? String, "nope")

        let publishing = try self.object(ServerEvent.publishing(.init(space: self.summary, codec: Codec(channels: 1))).json())
        XCTAssertEqual(Set(publishing.keys), ["type", "space", "codec"])
        XCTAssertEqual(publishing["type"] as? String, "publishing")
        XCTAssertEqual((publishing["space"] as? [String: Any])?["id"] as? String, "3f9a1c")
        XCTAssertEqual((publishing["codec"] as? [String: Any])?["channels"] as? Int, 1)

        XCTAssertEqual(ServerEvent.pong.json(), #"{"type":"pong"}"#)
    }

    func testEveryEventHasItsTypeField() throws {
        for event in self.allEvents {
            let object = try self.object(event.json())
            XCTAssertEqual(object["type"] as? String, event.type)
        }
    }

    func testParseRoundTrips() throws {
        for event in self.allEvents {
            let parsed = try ServerEvent.parse(event.json())
            XCTAssertEqual(parsed, event, event.json())
        }
    }

    func testConversationEventsExactText() {
        XCTAssertEqual(ServerEvent.asked(.init(id: "q1")).json(), #"{"id":"q1","type":"asked"}"#)
        XCTAssertEqual(ServerEvent.invited.json(), #"{"type":"invited"}"#)
        XCTAssertEqual(
            ServerEvent.questions(.init(version: 1, total: 0, onAir: nil, top: [])).json(),
            #"{"onAir":null,"top":[],"total":0,"type":"questions","version":1}"#, "onAir is null, not absent"
        )
        XCTAssertEqual(
            ServerEvent.question(.init(id: "q1", state: "on_air", rank: nil, votes: 2)).json(),
            #"{"id":"q1","rank":null,"state":"on_air","type":"question","votes":2}"#
        )
        XCTAssertEqual(
            ServerEvent.error(.init(code: "bad_json", message: "m")).json(), #"{"code":"bad_json","message":"m","type":"error"}"#,
            "status and retryAfterSeconds only with a rate limit"
        )
        XCTAssertEqual(ServerEvent.hand(.init(raised: false, position: nil)).json(), #"{"raised":false,"type":"hand"}"#)
    }

    func testParseAcceptsExtraFieldsAndOtherKeyOrder() throws {
        let text = #"{"listeners":3,"future":"field","type":"state"}"#
        XCTAssertEqual(try ServerEvent.parse(text), .state(.init(listeners: 3)))
    }

    func testUnknownTypeParsesToNil() throws {
        XCTAssertNil(try ServerEvent.parse(#"{"type":"speaker","text":"hi"}"#))
        XCTAssertNil(try ServerEvent.parse(#"{"type":""}"#))
        XCTAssertNil(try ServerEvent.parse(#"{"type":"Welcome"}"#))
    }

    func testMalformedJSONThrows() {
        XCTAssertThrowsError(try ServerEvent.parse("not json"))
        XCTAssertThrowsError(try ServerEvent.parse(""))
        XCTAssertThrowsError(try ServerEvent.parse(#"{"type":"pong""#))
        XCTAssertThrowsError(try ServerEvent.parse(#"["pong"]"#))
        // No type, or a type that is not a string.
        XCTAssertThrowsError(try ServerEvent.parse(#"{"listeners":3}"#))
        XCTAssertThrowsError(try ServerEvent.parse(#"{"type":3}"#))
        // A known type with missing or mistyped fields.
        XCTAssertThrowsError(try ServerEvent.parse(#"{"type":"welcome"}"#))
        XCTAssertThrowsError(try ServerEvent.parse(#"{"type":"state","listeners":"many"}"#))
        XCTAssertThrowsError(try ServerEvent.parse(#"{"type":"ended"}"#))
        XCTAssertThrowsError(try ServerEvent.parse(#"{"type":"error","code":"x"}"#))
    }
}
