import NIOCore
import NIOPosix
import SpacesRedis
import SpacesTestSupport
import XCTest
import NIOConcurrencyHelpers

final class RedisSubscriberTests: XCTestCase {
    private var redis: RedisServerProcess!
    private var client: RedisClient!

    override func setUp() async throws {
        self.redis = try RedisServerProcess.start()
        self.client = try RedisClientTests.client(self.redis)
        try await self.client.connect()
    }

    override func tearDown() async throws {
        await self.client?.close()
        self.redis?.stop()
    }

    private func subscriber(_ inbox: Inbox) throws -> RedisSubscriber {
        var configuration = RedisConfiguration(url: try RedisURL(self.redis.url))
        configuration.backoff = Backoff(baseMillis: 20, capMillis: 200)
        return RedisSubscriber(configuration: configuration, eventLoop: MultiThreadedEventLoopGroup.singleton.next()) { inbox.append($0) }
    }

    func testShardedAndClassicMessagesArriveWithTheirExactBytes() async throws {
        let inbox = Inbox()
        let subscriber = try self.subscriber(inbox)
        subscriber.start()
        try await subscriber.subscribe(.sharded("audio:{a}")).get()
        try await subscriber.subscribe(.classic("events")).get()
        let binary = ByteBuffer(bytes: [1, 0, 13, 10, 255, 0x2A])
        let reply1 = try await self.client.send("SPUBLISH", "audio:{a}", .bytes(binary)).integer
        XCTAssertEqual(reply1, 1)
        let reply2 = try await self.client.send("PUBLISH", "events", "hello").integer
        XCTAssertEqual(reply2, 1)
        let reply3 = try await self.client.send("SPUBLISH", "other", "x").integer
        XCTAssertEqual(reply3, 0, "nobody listens there")
        try await waitUntil { inbox.values.count == 2 }
        XCTAssertEqual(inbox.values, [
            RedisMessage(channel: .sharded("audio:{a}"), payload: binary),
            RedisMessage(channel: .classic("events"), payload: ByteBuffer(string: "hello")),
        ])
        subscriber.unsubscribe(.sharded("audio:{a}"))
        try await waitUntil { (try await self.client.send("PUBSUB", "SHARDNUMSUB", "audio:{a}").elements?.last?.integer) == 0 }
        await subscriber.close()
    }

    func testMessagesComeInTheOrderTheyWerePublished() async throws {
        let inbox = Inbox()
        let subscriber = try self.subscriber(inbox)
        subscriber.start()
        try await subscriber.subscribe(.sharded("seq")).get()
        let commands = (0..<2000).map { RedisCommand("SPUBLISH", "seq", RedisArgument($0)) }
        _ = try await EventLoopFuture.whenAllSucceed(self.client.send(commands), on: self.client.eventLoop).get()
        try await waitUntil { inbox.values.count == 2000 }
        XCTAssertEqual(inbox.values.map { String(buffer: $0.payload) }, (0..<2000).map(String.init))
        await subscriber.close()
    }

    func testSubscriptionsComeBackAfterRedisRestarts() async throws {
        let inbox = Inbox()
        let subscriber = try self.subscriber(inbox)
        subscriber.start()
        try await subscriber.subscribe(.sharded("audio:{b}")).get()
        self.redis.kill()
        try await waitUntil { subscriber.subscribed.isEmpty }
        // Subscribed while down: it waits for the connection.
        let later = subscriber.subscribe(.classic("late"))
        try self.redis.restart()
        try await later.get()
        try await waitUntil { subscriber.subscribed == [.sharded("audio:{b}"), .classic("late")] }
        try await waitUntil { self.client.isConnected }
        _ = try await self.client.send("SPUBLISH", "audio:{b}", "back")
        try await waitUntil { inbox.values.count == 1 }
        XCTAssertEqual(inbox.values.first.map { String(buffer: $0.payload) }, "back")
        await subscriber.close()
    }
}

/// Messages received, in order, from any thread.
final class Inbox: Sendable {
    private let storage = NIOLockedValueBox<[RedisMessage]>([])
    func append(_ message: RedisMessage) { self.storage.withLockedValue { $0.append(message) } }
    var values: [RedisMessage] { self.storage.withLockedValue { $0 } }
}
