import Foundation
import XCTest

@testable import SpacesCore

final class SpaceStateTests: XCTestCase {
    func testRawValues() {
        XCTAssertEqual(SpaceState.live.rawValue, "live")
        XCTAssertEqual(SpaceState.ended.rawValue, "ended")
        XCTAssertEqual(SpaceState(rawValue: "ended"), .ended)
        XCTAssertNil(SpaceState(rawValue: "Live"))
        XCTAssertNil(SpaceState(rawValue: ""))
    }

    func testCodable() throws {
        XCTAssertEqual(String(decoding: try JSONEncoder().encode([SpaceState.live, .ended]), as: UTF8.self), #"["live","ended"]"#)
        XCTAssertEqual(try JSONDecoder().decode([SpaceState].self, from: Data(#"["ended","live"]"#.utf8)), [.ended, .live])
        XCTAssertThrowsError(try JSONDecoder().decode([SpaceState].self, from: Data(#"["starting"]"#.utf8)))
    }
}
