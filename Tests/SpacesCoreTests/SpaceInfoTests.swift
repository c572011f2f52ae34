import Foundation
import XCTest

@testable import SpacesCore

final class SpaceInfoTests: XCTestCase {
    private let info = SpaceInfo(
        id: "3f9a1c",
        title: "Town hall",
        state: .live,
        listeners: 42,
        capacity: 10_000,
        createdAt: "2024-05-01T12:00:00Z"
    )

    func testJSONFields() throws {
        let data = try JSONEncoder().encode(self.info)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["id", "title", "state", "listeners", "waiting", "dropped", "capacity", "createdAt"])
        XCTAssertEqual(object["id"] as? String, "3f9a1c")
        XCTAssertEqual(object["title"] as? String, "Town hall")
        XCTAssertEqual(object["state"] as? String, "live")
        XCTAssertEqual(object["listeners"] as? Int, 42)
        XCTAssertEqual(object["capacity"] as? Int, 10_000)
        XCTAssertEqual(object["createdAt"] as? String, "2024-05-01T12:00:00Z")
    }

    func testRoundTrip() throws {
        var ended = self.info
        ended.state = .ended
        ended.listeners = 0
        let list = SpaceList(spaces: [self.info, ended])
        let data = try JSONEncoder().encode(list)
        XCTAssertEqual(try JSONDecoder().decode(SpaceList.self, from: data), list)

        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["spaces"])
        XCTAssertEqual((object["spaces"] as? [Any])?.count, 2)
    }

    func testEmptyList() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        XCTAssertEqual(String(decoding: try encoder.encode(SpaceList(spaces: [])), as: UTF8.self), #"{"spaces":[]}"#)
    }

    func testDecodeRejectsUnknownState() {
        let json = #"{"id":"a","title":"t","state":"paused","listeners":0,"capacity":1,"createdAt":"x"}"#
        XCTAssertThrowsError(try JSONDecoder().decode(SpaceInfo.self, from: Data(json.utf8)))
    }
}
