import Foundation
import XCTest

@testable import SpacesCore

final class SpaceSummaryTests: XCTestCase {
    func testJSON() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let summary = SpaceSummary(id: "abc", title: "News / \"Live\"")
        let json = String(decoding: try encoder.encode(summary), as: UTF8.self)
        XCTAssertEqual(json, #"{"id":"abc","title":"News / \"Live\""}"#)
        XCTAssertEqual(try JSONDecoder().decode(SpaceSummary.self, from: Data(json.utf8)), summary)
    }

    func testDecodeRequiresBothFields() {
        XCTAssertThrowsError(try JSONDecoder().decode(SpaceSummary.self, from: Data(#"{"id":"abc"}"#.utf8)))
        XCTAssertThrowsError(try JSONDecoder().decode(SpaceSummary.self, from: Data(#"{"title":"t"}"#.utf8)))
    }

    func testEquality() {
        XCTAssertEqual(SpaceSummary(id: "a", title: "t"), SpaceSummary(id: "a", title: "t"))
        XCTAssertNotEqual(SpaceSummary(id: "a", title: "t"), SpaceSummary(id: "b", title: "t"))
        XCTAssertNotEqual(SpaceSummary(id: "a", title: "t"), SpaceSummary(id: "a", title: "u"))
    }
}
