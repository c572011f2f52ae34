import SpacesCore
import XCTest

final class ClusterKeysTests: XCTestCase {
    func testASpacesKeysShareItsHashTag() {
        let keys = ClusterKeys(prefix: "spaces")
        XCTAssertEqual(keys.space("abc"), "spaces:space:{abc}")
        XCTAssertEqual(keys.listeners("abc"), "spaces:space:{abc}:listeners")
        XCTAssertEqual(keys.audio("abc"), "spaces:audio:{abc}")
        XCTAssertEqual(keys.node("n1"), "spaces:node:n1")
        XCTAssertEqual(keys.line("abc"), "spaces:space:{abc}:line", "the line shares the Space's slot on Redis Cluster")
        XCTAssertEqual(keys.resumed("abc"), "spaces:space:{abc}:resumed")
    }

    func testTheSpaceOfAnAudioChannel() {
        let keys = ClusterKeys(prefix: "p")
        XCTAssertEqual(keys.spaceID(ofAudioChannel: "p:audio:{abc}"), "abc")
        XCTAssertNil(keys.spaceID(ofAudioChannel: "p:audio:{}"))
        XCTAssertNil(keys.spaceID(ofAudioChannel: "q:audio:{abc}"))
        XCTAssertNil(keys.spaceID(ofAudioChannel: "p:events"))
    }
}
