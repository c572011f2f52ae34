@testable import SpacesCLI
import SpacesClient
import SpacesCore
import XCTest

/// `spaces listen` comes back with its ticket when the waiting room is full.
final class ListenCommandTests: XCTestCase {
    func testTicketReplacesAnyEarlierOne() {
        XCTAssertEqual(ListenCommand.url("ws://h/v1/spaces/a/listen", ticket: "T1"), "ws://h/v1/spaces/a/listen?ticket=T1")
        XCTAssertEqual(
            ListenCommand.url("ws://h/v1/spaces/a/listen?x=1&ticket=T0", ticket: "T1"), "ws://h/v1/spaces/a/listen?x=1&ticket=T1"
        )
    }

    func testRetriesWithTheTicketUntilAPlaceFrees() async throws {
        let node = try await TestServer.start {
            $0.admission.waitingRoomSize = 0
            $0.admission.retryAfterSeconds = 1
            $0.admission.tickMs = 50
        }
        let space = try await node.createSpace(capacity: 1)
        let url = try node.url("/v1/spaces/\(space.id)/listen")
        let first = try await TestListener.connect(url)
        try await eventually { first.welcome != nil }

        let command = try ListenCommand.parse([url.description, "--duration", "1", "--retries", "5"])
        let listening = Task { try await command.run() }
        try await Task.sleep(for: .milliseconds(1500))
        let during = try await node.api.space(id: space.id)
        XCTAssertEqual(during.listeners, 1, "still refused while the Space is full")
        await first.close()
        // run() returns normally only once it got in and listened for its duration; it throws
        // when it gives up.
        try await listening.value
        await node.stop()
    }
}
