import Foundation
import XCTest

@testable import SpacesCore

final class CreateSpaceRequestTests: XCTestCase {
    private let limits = SpacesConfiguration.Spaces()

    private func validate(_ request: CreateSpaceRequest, limits: SpacesConfiguration.Spaces? = nil) -> Result<CreateSpaceRequest, APIError> {
        do {
            return .success(try request.validated(limits: limits ?? self.limits))
        } catch {
            return .failure(error)
        }
    }

    private func assertRefused(_ request: CreateSpaceRequest, limits: SpacesConfiguration.Spaces? = nil, mentioning word: String, file: StaticString = #filePath, line: UInt = #line) {
        switch self.validate(request, limits: limits) {
        case .success(let ok):
            XCTFail("accepted \(ok)", file: file, line: line)
        case .failure(let error):
            XCTAssertEqual(error.kind, .badRequest, file: file, line: line)
            XCTAssertEqual(error.status, 400, file: file, line: line)
            XCTAssertTrue(error.message.contains(word), "\(error.message) should mention \(word)", file: file, line: line)
        }
    }

    func testDefaultsFilledIn() throws {
        let result = try CreateSpaceRequest(title: "Morning show").validated(limits: self.limits)
        XCTAssertEqual(result, CreateSpaceRequest(title: "Morning show", capacity: 10_000, channels: 1, access: .open))
        XCTAssertEqual(try CreateSpaceRequest(title: "x", access: .invite).validated(limits: self.limits).access, .invite)
        XCTAssertEqual(try CreateSpaceRequest.decode(Data(#"{"title":"x","access":"invite"}"#.utf8)).access, .invite)
        XCTAssertThrowsError(try CreateSpaceRequest.decode(Data(#"{"title":"x","access":"secret"}"#.utf8)), "an unknown access is refused")

        var custom = SpacesConfiguration.Spaces()
        custom.defaultCapacity = 25
        XCTAssertEqual(try CreateSpaceRequest(title: "x").validated(limits: custom).capacity, 25)
    }

    func testTitleIsTrimmed() throws {
        XCTAssertEqual(try CreateSpaceRequest(title: "  \n\t Hello world \r\n ").validated(limits: self.limits).title, "Hello world")
        // Inner spaces are kept.
        XCTAssertEqual(try CreateSpaceRequest(title: " a  b ").validated(limits: self.limits).title, "a  b")
        // Unicode whitespace (no-break space, ideographic space) is trimmed too.
        XCTAssertEqual(try CreateSpaceRequest(title: "\u{00A0}\u{3000}Talk\u{2003}").validated(limits: self.limits).title, "Talk")
    }

    func testEmptyTitle() {
        self.assertRefused(CreateSpaceRequest(title: ""), mentioning: "title")
        self.assertRefused(CreateSpaceRequest(title: "   "), mentioning: "title")
        self.assertRefused(CreateSpaceRequest(title: "\n\t\r "), mentioning: "title")
    }

    func testTitleLength() throws {
        let max = String(repeating: "a", count: 200)
        XCTAssertEqual(try CreateSpaceRequest(title: max).validated(limits: self.limits).title, max)
        self.assertRefused(CreateSpaceRequest(title: max + "a"), mentioning: "200")
        // Length is counted after trimming.
        XCTAssertEqual(try CreateSpaceRequest(title: "   " + max + "   ").validated(limits: self.limits).title, max)
        // Counted in characters: 200 multi-scalar emoji are fine.
        let emoji = String(repeating: "👍🏽", count: 200)
        XCTAssertEqual(try CreateSpaceRequest(title: emoji).validated(limits: self.limits).title, emoji)
        self.assertRefused(CreateSpaceRequest(title: emoji + "👍🏽"), mentioning: "title")

        var short = SpacesConfiguration.Spaces()
        short.maxTitleLength = 3
        XCTAssertNoThrow(try CreateSpaceRequest(title: "abc").validated(limits: short))
        self.assertRefused(CreateSpaceRequest(title: "abcd"), limits: short, mentioning: "1…3")
    }

    func testControlCharacters() throws {
        for title in ["a\u{0}b", "a\u{7}b", "a\tb", "a\nb", "line\r\nbreak", "a\u{1B}[31mred", "a\u{7F}b", "a\u{85}b", "a\u{9F}b"] {
            self.assertRefused(CreateSpaceRequest(title: title), mentioning: "control")
        }
        // Ordinary Unicode is fine.
        XCTAssertEqual(try CreateSpaceRequest(title: "Café ☕️ — 日本語").validated(limits: self.limits).title, "Café ☕️ — 日本語")
    }

    func testCapacityBounds() throws {
        XCTAssertEqual(try CreateSpaceRequest(title: "t", capacity: 1).validated(limits: self.limits).capacity, 1)
        XCTAssertEqual(try CreateSpaceRequest(title: "t", capacity: 1_000_000).validated(limits: self.limits).capacity, 1_000_000)
        self.assertRefused(CreateSpaceRequest(title: "t", capacity: 0), mentioning: "capacity")
        self.assertRefused(CreateSpaceRequest(title: "t", capacity: -5), mentioning: "capacity")
        self.assertRefused(CreateSpaceRequest(title: "t", capacity: 1_000_001), mentioning: "capacity")
        self.assertRefused(CreateSpaceRequest(title: "t", capacity: .max), mentioning: "capacity")

        var small = SpacesConfiguration.Spaces()
        small.maxCapacity = 10
        XCTAssertEqual(try CreateSpaceRequest(title: "t", capacity: 10).validated(limits: small).capacity, 10)
        self.assertRefused(CreateSpaceRequest(title: "t", capacity: 11), limits: small, mentioning: "1…10")
    }

    func testChannels() throws {
        XCTAssertEqual(try CreateSpaceRequest(title: "t").validated(limits: self.limits).channels, 1)
        XCTAssertEqual(try CreateSpaceRequest(title: "t", channels: 1).validated(limits: self.limits).channels, 1)
        XCTAssertEqual(try CreateSpaceRequest(title: "t", channels: 2).validated(limits: self.limits).channels, 2)
        self.assertRefused(CreateSpaceRequest(title: "t", channels: 3), mentioning: "channels")
        self.assertRefused(CreateSpaceRequest(title: "t", channels: 0), mentioning: "channels")
        self.assertRefused(CreateSpaceRequest(title: "t", channels: -1), mentioning: "channels")
    }

    func testDecodesBodyWithOptionalFields() throws {
        let minimal = try JSONDecoder().decode(CreateSpaceRequest.self, from: Data(#"{"title":"Hi"}"#.utf8))
        XCTAssertEqual(minimal, CreateSpaceRequest(title: "Hi"))
        XCTAssertNil(minimal.capacity)
        XCTAssertNil(minimal.channels)

        let full = try JSONDecoder().decode(CreateSpaceRequest.self, from: Data(#"{"title":"Hi","capacity":50,"channels":2}"#.utf8))
        XCTAssertEqual(full, CreateSpaceRequest(title: "Hi", capacity: 50, channels: 2))

        XCTAssertThrowsError(try JSONDecoder().decode(CreateSpaceRequest.self, from: Data(#"{"capacity":50}"#.utf8)))
        XCTAssertThrowsError(try JSONDecoder().decode(CreateSpaceRequest.self, from: Data(#"{"title":"x","capacity":"many"}"#.utf8)))
    }

    func testResponseCodable() throws {
        let response = CreateSpaceResponse(
            id: "abc",
            title: "T",
            hostToken: "secret",
            listenURL: "wss://h/v1/spaces/abc/listen",
            publishURL: "wss://h/v1/spaces/abc/publish"
        )
        let data = try JSONEncoder().encode(response)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: data) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["id", "title", "hostToken", "listenURL", "publishURL"])
        XCTAssertEqual(try JSONDecoder().decode(CreateSpaceResponse.self, from: data), response)
    }
}

extension CreateSpaceRequestTests {
    func testNumbersMustBeWrittenAsIntegers() throws {
        XCTAssertEqual(try CreateSpaceRequest.decode(Data(#"{"title":"t","capacity":500,"channels":2}"#.utf8)).capacity, 500)
        for body in [#"{"title":"t","capacity":1.0}"#, #"{"title":"t","capacity":1e6}"#, #"{"title":"t","channels":2.0}"#] {
            XCTAssertThrowsError(try CreateSpaceRequest.decode(Data(body.utf8)), body) { error in
                XCTAssertEqual((error as? APIError)?.kind, .badRequest)
                XCTAssertTrue((error as? APIError)?.message.contains("integer") == true, "\(error)")
            }
        }
        XCTAssertThrowsError(try CreateSpaceRequest.decode(Data("not json".utf8)))
        XCTAssertThrowsError(try CreateSpaceRequest.decode(Data(#"{"title":"t","capacity":1.5}"#.utf8)), "not an Int at all")
    }
}
