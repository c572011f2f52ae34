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
            let space = try await node.createSpace()
            let connection = try await WebSocketClient.connect(try node.url("/v1/spaces/\(space.id)/listen"))
            try await connection.run { messages, sender in
                _ = try await messages.next()
                try await sender.close(code: 1000)
            }
            await node.stop()
        }
        try await eventually { weakServer == nil }
    }
}
