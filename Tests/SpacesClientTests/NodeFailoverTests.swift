import SpacesClient
import SpacesCore
import XCTest

final class NodeFailoverTests: XCTestCase {
    func testTheSpaceOfAListenURL() throws {
        XCTAssertEqual(NodeFailover.spaceID(of: try ServerURL("ws://h:1/v1/spaces/abc/listen?resume=x")), "abc")
        XCTAssertNil(NodeFailover.spaceID(of: try ServerURL("ws://h:1/v1/spaces/abc/publish")))
        XCTAssertNil(NodeFailover.spaceID(of: try ServerURL("ws://h:1/v1/spaces/listen")))
    }

    func testTheLostNodeFirstThenTheOthersOnceEach() throws {
        let failover = NodeFailover(
            spaceID: "s", lost: try ServerURL("ws://a:1/v1/spaces/s/listen?resume=t"),
            nodes: ["ws://b:2", "ws://a:1", "not a url", "ws://c:3", "ws://b:2"]
        )
        XCTAssertEqual(failover.nodes.map(\.hostHeader), ["a:1", "b:2", "c:3"])
    }

    func testNoNodeAnsweringIsUnreachable() async throws {
        // A port nobody listens on (bound and closed at once).
        let failover = NodeFailover(spaceID: "s", lost: try ServerURL("ws://127.0.0.1:9/v1/spaces/s/listen"), nodes: nil)
        let outcome = await failover.find(resumeToken: "t")
        XCTAssertEqual(outcome, .unreachable)
    }
}
