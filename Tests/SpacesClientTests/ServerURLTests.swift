import SpacesClient
import XCTest

final class ServerURLTests: XCTestCase {
    func testSecureURLsAreTLSOn443UnlessAPortIsGiven() throws {
        let listen = try ServerURL("wss://spaces.example.org/v1/spaces/abc/listen?resume=x")
        XCTAssertTrue(listen.secure)
        XCTAssertEqual(listen.port, 443)
        XCTAssertEqual(listen.hostHeader, "spaces.example.org")
        XCTAssertEqual(listen.target, "/v1/spaces/abc/listen?resume=x")
        XCTAssertEqual(listen.description, "wss://spaces.example.org/v1/spaces/abc/listen?resume=x")

        let api = try ServerURL("HTTPS://[::1]:8443")
        XCTAssertTrue(api.secure)
        XCTAssertEqual(api.host, "::1")
        XCTAssertEqual(api.port, 8443)
        XCTAssertEqual(api.httpDescription, "https://[::1]:8443/")
        XCTAssertEqual(try ServerURL("https://localhost").with(target: "/healthz").httpDescription, "https://localhost/healthz")
    }

    func testPlainURLsStayPlainOn80() throws {
        let url = try ServerURL("ws://127.0.0.1/v1/spaces")
        XCTAssertFalse(url.secure)
        XCTAssertEqual(url.port, 80)
        XCTAssertEqual(url.description, "ws://127.0.0.1/v1/spaces")
        // Port 443 on a plain URL is not the default and is kept.
        XCTAssertEqual(try ServerURL("http://h:443").hostHeader, "h:443")
        XCTAssertThrowsError(try ServerURL("ftp://h/"))
    }
}
