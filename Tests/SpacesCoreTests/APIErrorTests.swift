import Foundation
import XCTest

@testable import SpacesCore

final class APIErrorTests: XCTestCase {
    func testStatusAndCodeForEveryKind() {
        let expected: [APIError.Kind: (status: Int, code: String)] = [
            .badRequest: (400, "bad_request"),
            .unauthorized: (401, "unauthorized"),
            .tokenExpired: (401, "token_expired"),
            .forbidden: (403, "forbidden"),
            .inviteRequired: (403, "invite_required"),
            .notFound: (404, "not_found"),
            .methodNotAllowed: (405, "method_not_allowed"),
            .conflict: (409, "conflict"),
            .gone: (410, "gone"),
            .payloadTooLarge: (413, "payload_too_large"),
            .upgradeRequired: (426, "upgrade_required"),
            .badTicket: (400, "bad_ticket"),
            .waitingRoomFull: (503, "waiting_room_full"),
            .addressShare: (503, "address_share"),
            .unavailable: (503, "unavailable"),
            .rateLimited: (429, "rate_limited"),
        ]
        XCTAssertEqual(APIError.Kind.allCases.count, expected.count)
        for kind in APIError.Kind.allCases {
            guard let entry = expected[kind] else {
                XCTFail("\(kind) not in the table")
                continue
            }
            XCTAssertEqual(kind.status, entry.status, "\(kind)")
            XCTAssertEqual(kind.rawValue, entry.code, "\(kind)")
            XCTAssertEqual(APIError(kind, "m").status, entry.status)
        }
        XCTAssertEqual(Set(APIError.Kind.allCases.map(\.rawValue)).count, APIError.Kind.allCases.count)
    }

    func testJSONShape() throws {
        let error = APIError(.notFound, "no Space abc/def")
        let json = error.json()
        XCTAssertEqual(json, #"{"error":{"code":"not_found","message":"no Space abc/def"}}"#)

        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["error"])
        let detail = try XCTUnwrap(object["error"] as? [String: Any])
        XCTAssertEqual(Set(detail.keys), ["code", "message"])
    }

    func testJSONWithRetryAfter() throws {
        let error = APIError(.waitingRoomFull, "node is full", retryAfterSeconds: 5)
        XCTAssertEqual(error.status, 503)
        let object = try XCTUnwrap(JSONSerialization.jsonObject(with: Data(error.json().utf8)) as? [String: Any])
        XCTAssertEqual(Set(object.keys), ["error", "retryAfterSeconds"])
        XCTAssertEqual(object["retryAfterSeconds"] as? Int, 5)
        let detail = try XCTUnwrap(object["error"] as? [String: Any])
        XCTAssertEqual(detail["code"] as? String, "waiting_room_full")
        XCTAssertEqual(detail["message"] as? String, "node is full")
    }

    func testJSONEscapesAndDecodesBack() throws {
        let message = "title \"x\" has a \\ and a\nnewline and ü"
        let error = APIError(.badRequest, message)
        let body = try JSONDecoder().decode(APIError.Body.self, from: Data(error.json().utf8))
        XCTAssertEqual(body, APIError.Body(error: .init(code: "bad_request", message: message), retryAfterSeconds: nil))
    }

    func testDescription() {
        XCTAssertEqual(APIError(.gone, "ended").description, "410 gone: ended")
        XCTAssertEqual(APIError(.payloadTooLarge, "too big").description, "413 payload_too_large: too big")
    }

    func testEquality() {
        XCTAssertEqual(APIError(.conflict, "a"), APIError(.conflict, "a"))
        XCTAssertNotEqual(APIError(.conflict, "a"), APIError(.conflict, "b"))
        XCTAssertNotEqual(APIError(.waitingRoomFull, "a"), APIError(.badTicket, "a"))
        XCTAssertNotEqual(APIError(.waitingRoomFull, "a", retryAfterSeconds: 1), APIError(.waitingRoomFull, "a"))
    }
}
