import NIOCore
import SpacesCore
import SpacesRedis
@testable import SpacesServer
import SpacesTestSupport
import XCTest

/// The line sync script's grants, against a real `redis-server`: the same arithmetic as
/// ``SlotLease``, the spare included.
final class RedisBrokerLineTests: XCTestCase {
    private var redis: RedisServerProcess!
    private var nodes: [TestServer] = []

    override func setUp() async throws {
        self.redis = try RedisServerProcess.start()
        let url = self.redis.url
        for id in ["a", "b"] {
            self.nodes.append(try await TestServer.start { configuration in
                configuration.cluster.url = url
                configuration.cluster.nodeID = id
            })
        }
    }

    override func tearDown() async throws {
        for node in self.nodes { await node.stop() }
        self.redis?.stop()
        self.nodes = []
        self.redis = nil
    }

    private func grant(_ node: Int, occupied: Int, spare: Int, arrivals: [UInt64] = [], leaving: [UInt64] = []) async throws -> Int {
        var changes = LineChanges()
        for connection in arrivals { changes.add(connection: connection, arrivalMicros: 1_000 + connection) }
        for connection in leaving { changes.remove(connection: connection) }
        let sync = LineSync(
            occupied: occupied, waiting: arrivals.count, spare: spare, admissionsPerSecond: 0, reset: false, changes: changes, ranks: []
        )
        let broker = try XCTUnwrap(self.nodes[node].server.broker)
        return try await broker.sync(spaceID: "s", capacity: 10, lineSize: 100, epoch: 1, graceSeconds: 30, sync).get().granted
    }

    /// Asserts what the script grants node `node` for this sync.
    private func expectGrant(
        _ expected: Int, _ node: Int, occupied: Int, spare: Int, arrivals: [UInt64] = [], leaving: [UInt64] = [],
        _ message: String = "", line: UInt = #line
    ) async throws {
        let granted = try await self.grant(node, occupied: occupied, spare: spare, arrivals: arrivals, leaving: leaving)
        XCTAssertEqual(granted, expected, message, line: line)
    }

    func testASpareComesOnlyOutOfWhatTheWholeLineLeavesSharedByTheLiveNodes() async throws {
        // Three wait on A: A is granted a slot for each (10 free).
        try await self.expectGrant(3, 0, occupied: 0, spare: 0, arrivals: [1, 2, 3])
        // B asks for 5 spare: 10 − A's 3 − the line's 3 leaves 4, and B's share of it (two live
        // nodes) is 2. A join storm on B goes on while A's line is let in; nobody in it loses a slot.
        try await self.expectGrant(2, 1, occupied: 0, spare: 5)
        try await self.expectGrant(2, 1, occupied: 0, spare: 100, "however much it asks for")
        // A lets its three in: the line is empty; B's share of the 7 left is 3.
        try await self.expectGrant(3, 0, occupied: 3, spare: 0, leaving: [1, 2, 3])
        try await self.expectGrant(3, 1, occupied: 0, spare: 100)
        // Both fill what they hold and ask again: the leases approach the capacity, never pass it.
        try await self.expectGrant(5, 0, occupied: 3, spare: 100, "its 3 and half of the 4 left")
        try await self.expectGrant(4, 1, occupied: 3, spare: 100, "its 3 and half of the 2 left")
        let aLast = try await self.grant(0, occupied: 5, spare: 100)
        let bLast = try await self.grant(1, occupied: 4, spare: 100)
        XCTAssertLessThanOrEqual(aLast + bLast, 10)
        XCTAssertEqual(aLast, 5, "(10 − 4 − 5) ÷ 2 = 0")
    }
}
