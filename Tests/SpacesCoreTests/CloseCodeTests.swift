import XCTest

@testable import SpacesCore

final class CloseCodeTests: XCTestCase {
    func testDocumentedValues() {
        let expected: [(CloseCode, UInt16, String)] = [
            (.ended, 1000, "ended"),
            (.goingAway, 1001, "going_away"),
            (.protocolError, 1002, "protocol_error"),
            (.unsupportedData, 1003, "unsupported_data"),
            (.invalidPayload, 1007, "invalid_payload"),
            (.policyViolation, 1008, "policy_violation"),
            (.messageTooBig, 1009, "message_too_big"),
            (.internalError, 1011, "internal_error"),
            (.tryAgainLater, 1013, "try_again_later"),
            (.unauthorized, 4001, "unauthorized"),
            (.noSuchSpace, 4004, "no_such_space"),
            (.tooSlow, 4008, "too_slow"),
            (.replaced, 4009, "replaced"),
            (.rateLimited, 4029, "rate_limited"),
        ]
        XCTAssertEqual(CloseCode.allCases.count, expected.count)
        for (code, raw, name) in expected {
            XCTAssertEqual(code.rawValue, raw, "\(code)")
            XCTAssertEqual(code.name, name)
            XCTAssertEqual(CloseCode(rawValue: raw), code)
            XCTAssertEqual(code.description, "\(raw) \(name)")
        }
    }

    func testValuesAndNamesAreUnique() {
        let raws = CloseCode.allCases.map(\.rawValue)
        let names = CloseCode.allCases.map(\.name)
        XCTAssertEqual(Set(raws).count, raws.count)
        XCTAssertEqual(Set(names).count, names.count)
    }

    func testNamesAreSnakeCase() {
        for code in CloseCode.allCases {
            XCTAssertFalse(code.name.isEmpty)
            XCTAssertTrue(code.name.allSatisfy { ("a"..."z").contains($0) || $0 == "_" }, code.name)
        }
    }

    func testCodesAreSendable() {
        // RFC 6455 §7.4: 1005, 1006 and 1015 must never be sent; 1004 is reserved. Private codes are 4000–4999.
        for code in CloseCode.allCases {
            XCTAssertFalse([1004, 1005, 1006, 1015].contains(code.rawValue), "\(code)")
            XCTAssertTrue((1000...1014).contains(code.rawValue) || (4000...4999).contains(code.rawValue), "\(code)")
        }
        XCTAssertNil(CloseCode(rawValue: 1005))
        XCTAssertNil(CloseCode(rawValue: 4000))
    }

    func testPrivateCodesMirrorHTTPStatus() {
        XCTAssertEqual(Int(CloseCode.unauthorized.rawValue) - 4000, APIError.Kind.unauthorized.status - 400)
        XCTAssertEqual(Int(CloseCode.noSuchSpace.rawValue) - 4000, APIError.Kind.notFound.status - 400)
        XCTAssertEqual(CloseCode.rateLimited.rawValue, 4029, "429 Too Many Requests")
    }
}

extension CloseCodeTests {
    func testWhatAPeerMaySend() {
        XCTAssertTrue(CloseCode.allCases.allSatisfy { CloseCode.peerMaySend($0.rawValue) }, "every code the node sends")
        for code: UInt16 in [999, 1004, 1005, 1006, 1015, 2000, 5000] { XCTAssertFalse(CloseCode.peerMaySend(code), "\(code)") }
    }
}
