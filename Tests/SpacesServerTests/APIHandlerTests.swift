import Foundation
import XCTest

/// The HTTP side of a connection: a request the HTTP parser cannot read gets the documented JSON
/// error, not an empty 400.
final class APIHandlerTests: XCTestCase {
    func testAMalformedRequestIsAnswered400WithAJSONError() async throws {
        let node = try await TestServer.start()
        let connection = try RequestDeadlineTests.Raw(port: node.port)
        connection.send("GET / HTTP/1.1\r\nHost: x\r\nBad Header Without Colon\r\n\r\n")
        let (text, _, closed) = connection.readToEnd()
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 400"), text)
        let body = try XCTUnwrap(text.components(separatedBy: "\r\n\r\n").last)
        let object = try XCTUnwrap(try JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any], body)
        let error = try XCTUnwrap(object["error"] as? [String: Any], body)
        XCTAssertEqual(error["code"] as? String, "bad_request")
        XCTAssertTrue(closed)
        // Others are still served.
        let response = try await node.api.call(.GET, "/healthz")
        XCTAssertEqual(response.status, 200)
        await node.stop()
    }
}
