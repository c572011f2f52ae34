import NIOHTTP1
import SpacesClient
import SpacesCore
import Foundation
import XCTest

/// The HTTP API over a real loopback socket, with its documented errors.
final class SpacesAPITests: XCTestCase {
    func testHealth() async throws {
        let node = try await TestServer.start()
        let response = try await node.api.call(.GET, "/healthz")
        XCTAssertEqual(response.status, 200)
        XCTAssertEqual(response.text, #"{"status":"ok"}"#)
        await node.stop()
    }

    func testCreateGetListDelete() async throws {
        let node = try await TestServer.start()
        let created = try await node.createSpace(title: "  Town hall  ", capacity: 50)
        XCTAssertEqual(created.title, "Town hall")
        XCTAssertEqual(created.id.count, 12)
        XCTAssertFalse(created.hostToken.isEmpty)
        XCTAssertTrue(created.listenURL.hasSuffix("/v1/spaces/\(created.id)/listen"))
        XCTAssertTrue(created.listenURL.hasPrefix("ws://127.0.0.1:"))
        XCTAssertTrue(created.publishURL.hasSuffix("/v1/spaces/\(created.id)/publish"))

        let info = try await node.api.space(id: created.id)
        XCTAssertEqual(info.state, .live)
        XCTAssertEqual(info.listeners, 0)
        XCTAssertEqual(info.capacity, 50)
        XCTAssertNotNil(ISO8601DateFormatter().date(from: info.createdAt))

        let list = try await node.api.spaces()
        XCTAssertEqual(list.spaces.map(\.id), [created.id])

        let ended = try await node.api.endSpace(id: created.id, token: created.hostToken)
        XCTAssertEqual(ended.state, .ended)
        let after = try await node.api.space(id: created.id)
        XCTAssertEqual(after.state, .ended)
        await node.stop()
    }

    func testErrorsAreNamedWithTheirStatus() async throws {
        let node = try await TestServer.start()
        let space = try await node.createSpace()

        try await expectError(node, .POST, "/v1/spaces", token: nil, body: #"{"title":"x"}"#, status: 401, code: "unauthorized")
        try await expectError(node, .POST, "/v1/spaces", token: "wrong", body: #"{"title":"x"}"#, status: 401, code: "unauthorized")
        try await expectError(node, .POST, "/v1/spaces", token: TestServer.hostKey, body: "{not json", status: 400, code: "bad_request")
        try await expectError(node, .POST, "/v1/spaces", token: TestServer.hostKey, body: #"{"title":""}"#, status: 400, code: "bad_request")
        try await expectError(node, .POST, "/v1/spaces", token: TestServer.hostKey, body: #"{"title":"x","capacity":0}"#, status: 400, code: "bad_request")
        try await expectError(node, .POST, "/v1/spaces", token: TestServer.hostKey, body: #"{"title":"x","channels":3}"#, status: 400, code: "bad_request")
        let huge = #"{"title":""# + String(repeating: "a", count: 20_000) + #""}"#
        try await expectError(node, .POST, "/v1/spaces", token: TestServer.hostKey, body: huge, status: 413, code: "payload_too_large")
        try await expectError(node, .GET, "/v1/spaces/nope", token: nil, body: nil, status: 404, code: "not_found")
        try await expectError(node, .GET, "/elsewhere", token: nil, body: nil, status: 404, code: "not_found")
        try await expectError(node, .PUT, "/v1/spaces", token: nil, body: nil, status: 405, code: "method_not_allowed")
        try await expectError(node, .DELETE, "/v1/spaces/\(space.id)", token: nil, body: nil, status: 401, code: "unauthorized")
        try await expectError(node, .DELETE, "/v1/spaces/\(space.id)", token: "wrong", body: nil, status: 401, code: "unauthorized")
        // A plain GET of a WebSocket endpoint: the checks first, then 426.
        try await expectError(node, .GET, "/v1/spaces/nope/listen", token: nil, body: nil, status: 404, code: "not_found")
        try await expectError(node, .GET, "/v1/spaces/\(space.id)/listen", token: nil, body: nil, status: 426, code: "upgrade_required")
        try await expectError(node, .GET, "/v1/spaces/\(space.id)/publish", token: "wrong", body: nil, status: 401, code: "unauthorized")

        // The host key may end any Space.
        _ = try await node.api.endSpace(id: space.id, token: TestServer.hostKey)
        try await expectError(node, .GET, "/v1/spaces/\(space.id)/listen", token: nil, body: nil, status: 410, code: "gone")
        await node.stop()
    }

    func testWebSocketRefusalsBeforeTheUpgrade() async throws {
        let node = try await TestServer.start { $0.admission.waitingRoomSize = 0 }
        let space = try await node.createSpace(capacity: 1)

        await expectRefusal(try node.url("/v1/spaces/nope/listen"), status: 404)
        await expectRefusal(try node.url("/v1/spaces/\(space.id)/publish"), headers: [("authorization", "Bearer nope")], status: 401)
        await expectRefusal(try node.url("/v1/spaces/\(space.id)/publish?token=nope"), status: 401)

        // Capacity 1 and no waiting room: the second listener gets 503, Retry-After and a ticket.
        let first = try await WebSocketClient.connect(try node.url("/v1/spaces/\(space.id)/listen"))
        try await eventually { try await node.api.space(id: space.id).listeners == 1 }
        do {
            _ = try await WebSocketClient.connect(try node.url("/v1/spaces/\(space.id)/listen"))
            XCTFail("expected a refusal")
        } catch let refused as WebSocketClient.Refused {
            XCTAssertEqual(refused.status, 503)
            XCTAssertEqual(refused.response.headers.first(name: "retry-after"), "30")
            XCTAssertEqual(refused.response.apiError?.error.code, "waiting_room_full")
            XCTAssertEqual(refused.response.apiError?.retryAfterSeconds, 30)
            XCTAssertNotNil(refused.response.apiError?.ticket)
        }
        // A forged ticket is refused with 400.
        await expectRefusal(try node.url("/v1/spaces/\(space.id)/listen?ticket=forged.ticket"), status: 400)
        _ = try await first.run { messages, sender in
            try await sender.close()
            return try await drain(&messages).close
        }

        _ = try await node.api.endSpace(id: space.id, token: space.hostToken)
        await expectRefusal(try node.url("/v1/spaces/\(space.id)/listen"), status: 410)
        await node.stop()
    }

    private func expectError(
        _ node: TestServer, _ method: HTTPMethod, _ path: String, token: String?, body: String?, status: Int, code: String,
        file: StaticString = #filePath, line: UInt = #line
    ) async throws {
        do {
            let response = try await node.api.call(method, path, token: token, body: body.map { Array($0.utf8) })
            XCTFail("\(method) \(path): expected \(status), got \(response.status)", file: file, line: line)
        } catch let error as HTTPStatusError {
            XCTAssertEqual(error.status, status, "\(method) \(path)", file: file, line: line)
            XCTAssertEqual(error.response.apiError?.error.code, code, "\(method) \(path)", file: file, line: line)
            XCTAssertFalse(error.response.apiError?.error.message.isEmpty ?? true, file: file, line: line)
            XCTAssertEqual(error.response.headers.first(name: "content-type"), "application/json", file: file, line: line)
        }
    }

    private func expectRefusal(
        _ url: ServerURL, headers: [(String, String)] = [], status: Int, file: StaticString = #filePath, line: UInt = #line
    ) async {
        do {
            _ = try await WebSocketClient.connect(url, headers: headers)
            XCTFail("\(url): expected HTTP \(status) before the upgrade", file: file, line: line)
        } catch let refused as WebSocketClient.Refused {
            XCTAssertEqual(refused.status, status, "\(url)", file: file, line: line)
        } catch {
            XCTFail("\(url): \(error)", file: file, line: line)
        }
    }
}
