import SpacesClient
import SpacesCore
import SpacesServer
import XCTest

/// The node's lifecycle: what it holds is let go when it stops.
final class SpacesServerTests: XCTestCase {
    /// A node that served a Space and a listener, once stopped and dropped, is freed with its
    /// event loops, relay and registry (nothing it made keeps it alive).
    func testAStoppedNodeIsFreed() async throws {
        weak var weakServer: SpacesServer?
        do {
            let node = try await TestServer.start()
            weakServer = node.server
            try await node.joinAndLeave(try await node.createSpace().id)
            await node.stop()
        }
        try await eventually { weakServer == nil }
    }
}
