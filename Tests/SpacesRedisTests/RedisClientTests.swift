import NIOCore
import NIOPosix
import SpacesRedis
import SpacesTestSupport
import XCTest
import NIOConcurrencyHelpers

/// The client against a real `redis-server` started for each test.
final class RedisClientTests: XCTestCase {
    private var redis: RedisServerProcess!
    private var client: RedisClient!

    override func setUp() async throws {
        self.redis = try RedisServerProcess.start()
        self.client = try Self.client(self.redis)
        try await self.client.connect()
    }

    override func tearDown() async throws {
        await self.client?.close()
        self.redis?.stop()
    }

    static func client(_ redis: RedisServerProcess, configure: (inout RedisConfiguration) -> Void = { _ in }) throws -> RedisClient {
        var configuration = RedisConfiguration(url: try RedisURL(redis.url))
        configuration.backoff = Backoff(baseMillis: 20, capMillis: 200)
        configure(&configuration)
        return RedisClient(configuration: configuration, eventLoop: MultiThreadedEventLoopGroup.singleton.next())
    }

    func testCommandsGetTheirReplies() async throws {
        let reply1 = try await self.client.send("SET", "k", "v")
        XCTAssertEqual(reply1, .simpleString("OK"))
        let reply2 = try await self.client.send("GET", "k").string
        XCTAssertEqual(reply2, "v")
        let reply3 = try await self.client.send("GET", "missing")
        XCTAssertEqual(reply3, .null)
        let reply4 = try await self.client.send("HSET", "h", "a", "1", "b", "2").integer
        XCTAssertEqual(reply4, 2)
        let reply5 = try await self.client.send("HGETALL", "h").elements?.compactMap(\.string).sorted()
        XCTAssertEqual(reply5, ["1", "2", "a", "b"])
    }

    func testPipelinedRepliesComeBackInOrder() async throws {
        let commands = (0..<1000).map { _ in RedisCommand("INCR", "counter") }
        let replies = try await EventLoopFuture.whenAllSucceed(self.client.send(commands), on: self.client.eventLoop).get()
        XCTAssertEqual(replies.compactMap(\.integer), Array(1...1000))
    }

    func testAnErrorReplyIsAServerError() async throws {
        _ = try await self.client.send("SET", "s", "text")
        do {
            _ = try await self.client.send("INCR", "s")
            XCTFail("INCR of text succeeded")
        } catch let error as RedisError {
            XCTAssertEqual(error.serverCode, "ERR")
        }
        // The connection is still in step after an error.
        let reply6 = try await self.client.send("PING")
        XCTAssertEqual(reply6, .simpleString("PONG"))
    }

    func testScriptsAreLoadedWhenRedisDoesNotKnowThem() async throws {
        let script = RedisScript("return redis.call('INCRBY', KEYS[1], ARGV[1])")
        _ = try await self.client.send("SCRIPT", "FLUSH")
        let reply7 = try await self.client.evaluate(script, keys: ["n"], arguments: [5]).integer
        XCTAssertEqual(reply7, 5)
        let reply8 = try await self.client.send("SCRIPT", "EXISTS", .string(script.sha1))
        XCTAssertEqual(reply8, .array([.integer(1)]))
        let reply9 = try await self.client.evaluate(script, keys: ["n"], arguments: [2]).integer
        XCTAssertEqual(reply9, 7)
        // A script error is reported, not mistaken for NOSCRIPT.
        let broken = RedisScript("return redis.call('NOSUCHCOMMAND')")
        do {
            _ = try await self.client.evaluate(broken, keys: [], arguments: [])
            XCTFail("a broken script succeeded")
        } catch let error as RedisError {
            XCTAssertNotEqual(error.serverCode, "NOSCRIPT")
        }
    }

    func testCommandsInFlightAreBounded() async throws {
        let bounded = try Self.client(self.redis) { $0.maxPendingCommands = 2 }
        try await bounded.connect()
        defer { Task { await bounded.close() } }
        // BLPOP holds the connection's replies for 300 ms: what follows stays in flight.
        let blocked = bounded.send(RedisCommand("BLPOP", "nothing", "0.3"))
        let second = bounded.send(RedisCommand("PING"))
        let third = bounded.send(RedisCommand("PING"))
        do {
            _ = try await third.get()
            XCTFail("a third command was queued past the bound")
        } catch let error as RedisError {
            XCTAssertEqual(error, .tooManyPending(limit: 2))
        }
        let reply10 = try await blocked.get()
        XCTAssertEqual(reply10, .null)
        let reply11 = try await second.get()
        XCTAssertEqual(reply11, .simpleString("PONG"))
    }

    func testARestartedRedisIsFoundAgainAndCommandsFailFastMeanwhile() async throws {
        let changes = ChangeLog()
        self.client.onConnectionChange { changes.append($0) }
        self.redis.kill()
        try await waitUntil { !self.client.isConnected }
        let started = ContinuousClock.now
        do {
            _ = try await self.client.send("PING")
            XCTFail("a command succeeded with Redis down")
        } catch let error as RedisError {
            XCTAssertEqual(error, .unavailable)
        }
        XCTAssertLessThan(ContinuousClock.now - started, .milliseconds(100), "no waiting on an outage")
        try self.redis.restart()
        let restarted = ContinuousClock.now
        try await waitUntil { self.client.isConnected }
        XCTAssertLessThan(ContinuousClock.now - restarted, .seconds(2), "found again within the backoff cap")
        let reply12 = try await self.client.send("PING")
        XCTAssertEqual(reply12, .simpleString("PONG"))
        XCTAssertEqual(changes.values, [false, true])
    }

    func testAPasswordAndADatabaseAreUsed() async throws {
        _ = try await self.client.send("CONFIG", "SET", "requirepass", "pw")
        let authed = try Self.client(self.redis) { $0.url = try! RedisURL("redis://:pw@127.0.0.1:\(self.redis.port)/3") }
        try await authed.connect()
        let reply13 = try await authed.send("SET", "in3", "yes")
        XCTAssertEqual(reply13, .simpleString("OK"))
        let reply14 = try await authed.send("CLIENT", "INFO").string?.contains("db=3")
        XCTAssertEqual(reply14, true)
        await authed.close()
        let wrong = try Self.client(self.redis) { $0.url = try! RedisURL("redis://:nope@127.0.0.1:\(self.redis.port)") }
        do {
            try await wrong.connect(timeout: .milliseconds(500))
            XCTFail("a wrong password connected")
        } catch {
            XCTAssertEqual(error as? RedisError, .unavailable)
        }
        await wrong.close()
        _ = try await self.client.send("AUTH", "pw")
        _ = try await self.client.send("CONFIG", "SET", "requirepass", "")
    }
}

/// Values appended from any thread.
final class ChangeLog: Sendable {
    private let storage = NIOLockedValueBox<[Bool]>([])
    func append(_ value: Bool) { self.storage.withLockedValue { $0.append(value) } }
    var values: [Bool] { self.storage.withLockedValue { $0 } }
}

func waitUntil(timeout: Duration = .seconds(5), file: StaticString = #filePath, line: UInt = #line, _ condition: () async throws -> Bool) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(10))
    }
    XCTFail("condition not met within \(timeout)", file: file, line: line)
    throw CancellationError()
}
