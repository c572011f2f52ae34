import XCTest

@testable import SpacesCore

final class RouteTests: XCTestCase {
    func testEveryRoute() {
        XCTAssertEqual(Route(path: "/healthz"), .health)
        XCTAssertEqual(Route(path: "/metrics"), .metrics)
        XCTAssertEqual(Route(path: "/v1/spaces"), .spaces)
        XCTAssertEqual(Route(path: "/v1/spaces/3f9a1c"), .space(id: "3f9a1c"))
        XCTAssertEqual(Route(path: "/v1/spaces/3f9a1c/listen"), .listen(spaceID: "3f9a1c"))
        XCTAssertEqual(Route(path: "/v1/spaces/3f9a1c/publish"), .publish(spaceID: "3f9a1c"))
        XCTAssertEqual(Route(path: "/v1/spaces/3f9a1c/questions"), .questions(spaceID: "3f9a1c"))
        XCTAssertEqual(
            Route(path: "/v1/spaces/3f9a1c/questions/q7/pick"),
            .questionAction(spaceID: "3f9a1c", questionID: "q7", action: "pick")
        )
        XCTAssertEqual(Route(path: "/v1/spaces/3f9a1c/hands"), .hands(spaceID: "3f9a1c"))
        XCTAssertEqual(Route(path: "/v1/spaces/3f9a1c/hands/k2/invite"), .invite(spaceID: "3f9a1c", listenerID: "k2"))
        XCTAssertEqual(Route(path: "/v1/spaces/3f9a1c/invites"), .invites(spaceID: "3f9a1c"))
        XCTAssertEqual(Route(path: "/v1/spaces/3f9a1c/invites").spaceID, "3f9a1c")
        XCTAssertEqual(Route(path: "/"), .home)
        XCTAssertEqual(Route(path: "/s/3f9a1c"), .spacePage(spaceID: "3f9a1c"))
        XCTAssertEqual(Route(path: "/web/listener.js"), .asset(name: "listener.js"))
    }

    func testNearMissesOfTheConversationRoutes() {
        XCTAssertEqual(Route(path: "/v1/spaces/abc/questions/q1"), .notFound)
        XCTAssertEqual(Route(path: "/v1/spaces/abc/hands/k2/kick"), .notFound)
        XCTAssertEqual(Route(path: "/v1/spaces/abc/hands/k2"), .notFound)
        XCTAssertEqual(Route(path: "/s"), .notFound)
        XCTAssertEqual(Route(path: "/s/abc/extra"), .notFound)
        XCTAssertEqual(Route(path: "/web"), .notFound)
    }

    func testTrailingSlashes() {
        XCTAssertEqual(Route(path: "/healthz/"), .health)
        XCTAssertEqual(Route(path: "/metrics/"), .metrics)
        XCTAssertEqual(Route(path: "/v1/spaces/"), .spaces)
        XCTAssertEqual(Route(path: "/v1/spaces/abc/"), .space(id: "abc"))
        XCTAssertEqual(Route(path: "/v1/spaces/abc/listen/"), .listen(spaceID: "abc"))
        XCTAssertEqual(Route(path: "/v1/spaces/abc/publish/"), .publish(spaceID: "abc"))
    }

    func testIdsAreTakenVerbatim() {
        XCTAssertEqual(Route(path: "/v1/spaces/ABC-def_123"), .space(id: "ABC-def_123"))
        // A Space whose id happens to be a keyword is still a Space id in third position.
        XCTAssertEqual(Route(path: "/v1/spaces/listen"), .space(id: "listen"))
        XCTAssertEqual(Route(path: "/v1/spaces/publish/listen"), .listen(spaceID: "publish"))
    }

    func testWrongPrefixes() {
        for path in [
            "/v2/spaces",
            "/V1/spaces",
            "/v1/Spaces",
            "/v1/space",
            "/api/v1/spaces",
            "/spaces",
            "/spaces/abc",
            "/v2/spaces/abc/listen",
            "/x/spaces/abc/listen",
            "/v1/rooms/abc/listen",
            "/HEALTHZ",
            "/health",
            "/metric",
            "/healthz.json",
        ] {
            XCTAssertEqual(Route(path: path), .notFound, path)
        }
    }

    func testExtraOrUnknownSegments() {
        for path in [
            "/healthz/x",
            "/metrics/x",
            "/v1",
            "/v1/spaces/abc/listen/extra",
            "/v1/spaces/abc/publish/extra",
            "/v1/spaces/abc/other",
            "/v1/spaces/abc/Listen",
            "/v1/spaces/abc/listen/x/y",
            "/v1/healthz",
        ] {
            XCTAssertEqual(Route(path: path), .notFound, path)
        }
    }

    func testRootIsTheListenerPageHome() {
        // The empty path (a bare "?query" target) and doubled slashes are the root too.
        XCTAssertEqual(Route(path: "/"), .home)
        XCTAssertEqual(Route(path: ""), .home)
        XCTAssertEqual(Route(path: "//"), .home)
    }

    func testWorksWithRequestTargetPath() {
        let target = RequestTarget("/v1/spaces/abc/listen?token=t")
        XCTAssertEqual(Route(path: target.path), .listen(spaceID: "abc"))
    }
}
