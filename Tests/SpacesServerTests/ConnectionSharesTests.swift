import NIOCore
import SpacesClient
import SpacesCore
import XCTest

@testable import SpacesServer

final class ConnectionSharesTests: XCTestCase {
    func testOneAddressHoldsAtMostItsShareOfConnectionsAndGetsThemBackAsTheyClose() async throws {
        let node = try await TestServer.start {
            $0.limits.connectionsPerAddress = 2
            $0.server.trustedProxies = []
        }
        let space = try await node.createSpace()
        let url = try node.url("/v1/spaces/\(space.id)/listen")
        let first = try await TestListener.connect(url, from: "127.0.0.2")
        let second = try await TestListener.connect(url, from: "127.0.0.2")
        try await eventually { first.welcome != nil && second.welcome != nil }
        let source = try XCTUnwrap(SourceAddress(bytes: [127, 0, 0, 2]))
        XCTAssertEqual(node.server.connectionShares.withLockedValue { $0 }?.count(source), 2)

        // A third from the same address is closed on accept, before any answer.
        do {
            let third = try await TestListener.connect(url, from: "127.0.0.2")
            try await eventually { third.finished }
            XCTAssertNil(third.welcome)
        } catch {
            // Refused before the upgrade completed: what a client sees of a closed socket.
        }
        let metrics = String(decoding: try await node.api.call(.GET, "/metrics").body, as: UTF8.self)
        XCTAssertTrue(metrics.contains("spaces_connections_refused_total 1"), metrics)
        // Another address is not held back.
        let other = try await TestListener.connect(url, from: "127.0.0.3")
        try await eventually { other.welcome != nil }

        // One closes: its place comes back.
        await first.close()
        try await eventually { node.server.connectionShares.withLockedValue { $0 }?.count(source) == 1 }
        let again = try await TestListener.connect(url, from: "127.0.0.2")
        try await eventually { again.welcome != nil }
        for listener in [second, other, again] { await listener.close() }
        await node.stop()
    }

    func testTrustedProxiesAreNotCounted() async throws {
        let node = try await TestServer.start {
            $0.limits.connectionsPerAddress = 1
            $0.server.trustedProxies = ["127.0.0.4"]
        }
        let space = try await node.createSpace()
        let url = try node.url("/v1/spaces/\(space.id)/listen")
        let listeners = [try await TestListener.connect(url, from: "127.0.0.4"), try await TestListener.connect(url, from: "127.0.0.4")]
        try await eventually { listeners.allSatisfy { $0.welcome != nil } }
        for listener in listeners { await listener.close() }
        await node.stop()
    }
}
