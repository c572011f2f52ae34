import Foundation
@testable import SpacesCLI
import NIOCore
@testable import SpacesClient
import SpacesCore
import SpacesLoad
import SpacesRedis
@testable import SpacesServer
import SpacesTestSupport
import XCTest
import NIOConcurrencyHelpers

/// Two or three nodes on one real `redis-server`, over loopback.
final class ClusterTests: XCTestCase {
    private var redis: RedisServerProcess!
    private var nodes: [TestServer] = []
    /// `spaces serve` processes started by a test, killed at its end if still running.
    private var processes: [Process] = []

    override func setUp() async throws {
        self.redis = try RedisServerProcess.start()
    }

    override func tearDown() async throws {
        for process in self.processes where process.isRunning { kill(process.processIdentifier, SIGKILL) }
        self.processes = []
        for node in self.nodes { await node.stop() }
        self.nodes = []
        self.redis?.stop()
        self.redis = nil
    }

    private func node(_ id: String, _ configure: @escaping (inout SpacesConfiguration) -> Void = { _ in }) async throws -> TestServer {
        let url = self.redis.url
        let node = try await TestServer.start { configuration in
            configuration.cluster.url = url
            configuration.cluster.nodeID = id
            configuration.cluster.heartbeatMs = 100
            configure(&configuration)
        }
        self.nodes.append(node)
        return node
    }

    /// A cluster node that served a Space, once stopped and dropped, is freed: its Redis
    /// clients' observers (the heartbeat) and the broker's handlers (which hold the registry,
    /// which holds the broker) are let go when it stops. Before, every stopped cluster node
    /// stayed in memory with its event loops.
    func testAStoppedClusterNodeIsFreed() async throws {
        weak var weakServer: SpacesServer?
        weak var weakBroker: RedisBroker?
        do {
            let url = self.redis.url
            let node = try await TestServer.start { configuration in
                configuration.cluster.url = url
                configuration.cluster.nodeID = "freed"
                configuration.cluster.heartbeatMs = 100
            }
            weakServer = node.server
            weakBroker = node.server.broker
            try await node.joinAndLeave(try await node.createSpace().id)
            await node.stop()
        }
        try await eventually { weakServer == nil }
        try await eventually { weakBroker == nil }
    }

    private func subscribed(_ node: TestServer, to id: String) -> Bool {
        guard let broker = node.server.broker else { return false }
        return broker.subscriber.subscribed.contains(.sharded(broker.keys.audio(id)))
    }

    func testASpaceCreatedOnAIsHeardOnBWithAsSequenceNumbersAndEndsEverywhere() async throws {
        let a = try await self.node("a")
        let b = try await self.node("b")
        let space = try await a.createSpace(title: "Across")

        // B knows it from the directory, and says where to listen.
        let info = try await b.api.space(id: space.id)
        XCTAssertEqual(info.title, "Across")
        XCTAssertEqual(info.state, .live)
        let listenURL = try XCTUnwrap(info.listenURL)
        XCTAssertTrue([a, b].contains { listenURL == "ws://127.0.0.1:\($0.port)/v1/spaces/\(space.id)/listen" }, listenURL)
        let listed = try await b.api.spaces()
        XCTAssertEqual(listed.spaces.map(\.id), [space.id])

        let onA = BatchRecorder()
        let onB = BatchRecorder()
        let listeningA = Task { try await onA.listen(a.url("/v1/spaces/\(space.id)/listen"), batches: 12) }
        let listeningB = Task { try await onB.listen(b.url("/v1/spaces/\(space.id)/listen"), batches: 12) }
        try await eventually { self.subscribed(b, to: space.id) && a.server.relay.listenerCount == 1 && b.server.relay.listenerCount == 1 }
        XCTAssertEqual(b.server.registry.space(id: space.id)?.origin, "a")

        try await publish(through: a, space, batches: 12)
        try await listeningA.value
        try await listeningB.value
        XCTAssertEqual(onA.headers.count, 12)
        XCTAssertEqual(onA.headers.map(\.firstSequence), Array(stride(from: 0, to: 24, by: 2)))
        XCTAssertEqual(onB.headers, onA.headers, "B relays A's sequence numbers and capture times, untouched")
        XCTAssertEqual(onB.frames, onA.frames)

        // Both listeners left: the cluster-wide count comes down to 0 with the next heartbeats.
        try await eventually { (try? await b.api.space(id: space.id).listeners) == 0 }

        // Ended through B with the host token (B never saw the token, only its digest).
        let ended = try await b.api.endSpace(id: space.id, token: space.hostToken)
        XCTAssertEqual(ended.state, .ended)
        try await eventually { a.server.registry.space(id: space.id)?.state == .ended }
        let seenFromA = try await a.api.spaces()
        XCTAssertEqual(seenFromA.spaces.first?.state, .ended)
        do {
            _ = try await b.api.endSpace(id: space.id, token: "not-the-token")
            XCTFail("a wrong token ended a Space")
        } catch let error as HTTPStatusError {
            XCTAssertEqual(error.status, 401)
        }
    }

    func testAHostMovingToAnotherNodeGoesOnWithoutAGap() async throws {
        let a = try await self.node("a")
        let b = try await self.node("b")
        let space = try await a.createSpace()
        let onA = BatchRecorder()
        let onB = BatchRecorder()
        let listeningA = Task { try await onA.listen(a.url("/v1/spaces/\(space.id)/listen"), batches: 10) }
        let listeningB = Task { try await onB.listen(b.url("/v1/spaces/\(space.id)/listen"), batches: 10) }
        try await eventually { self.subscribed(a, to: space.id) && self.subscribed(b, to: space.id) }

        try await publish(through: a, space, batches: 5)
        try await eventually { onB.headers.count == 5 }
        // The host's node goes away; the host comes back through B with its token.
        try await publish(through: b, space, batches: 5)
        try await listeningA.value
        try await listeningB.value
        let expected = Array(stride(from: UInt32(0), to: 20, by: 2))
        XCTAssertEqual(onA.headers.map(\.firstSequence), expected, "A hears B's batches, numbered on from A's")
        XCTAssertEqual(onB.headers.map(\.firstSequence), expected)
    }

    func testListenURLsPointAtTheLighterNode() async throws {
        let a = try await self.node("a")
        let b = try await self.node("b")
        let space = try await a.createSpace()
        let recorders = (0..<3).map { _ in BatchRecorder() }
        let listening = recorders.map { recorder in Task { try await recorder.listen(a.url("/v1/spaces/\(space.id)/listen"), batches: 1) } }
        try await eventually { a.server.relay.listenerCount == 3 }
        // A heartbeat or two later, the cluster knows A holds 3 and B none.
        try await eventually {
            let info = try await a.api.space(id: space.id)
            return info.listeners == 3 && info.listenURL == "ws://127.0.0.1:\(b.port)/v1/spaces/\(space.id)/listen"
        }
        for _ in 0..<5 {
            let info = try await a.api.space(id: space.id)
            XCTAssertEqual(info.listenURL, "ws://127.0.0.1:\(b.port)/v1/spaces/\(space.id)/listen", "two choices of two: the lighter always wins")
        }
        try await publish(through: a, space, batches: 1)
        for task in listening { try await task.value }
    }

    func testTicketsAndResumeTokensOfOneNodeVerifyOnAnother() async throws {
        let a = try await self.node("a")
        let b = try await self.node("b")
        let space = try await a.createSpace()
        _ = try await b.api.space(id: space.id)
        let onA = try XCTUnwrap(a.server.registry.space(id: space.id))
        let onB = try XCTUnwrap(b.server.registry.space(id: space.id))
        let arrival = WallClock.nowMicros() - 5_000_000
        let ticket = a.server.gate.ticket(space: onA, arrivalMicros: arrival)
        let resume = a.server.gate.resumeToken(space: onA, listenerID: 42)
        let plan = try b.server.gate.plan(space: onB, query: ["ticket": ticket, "resume": resume]).get()
        XCTAssertEqual(plan.arrivalMicros, arrival, "the ticket keeps its place on B")
        XCTAssertEqual(plan.resumeListenerID, 42)
        // A node on its own has its own secret: the same ticket is refused there.
        let alone = try await TestServer.start()
        self.nodes.append(alone)
        let otherID = try await alone.createSpace().id
        let other = try XCTUnwrap(alone.server.registry.space(id: otherID))
        let foreign = a.server.gate.ticket(space: other, arrivalMicros: arrival)
        XCTAssertThrowsError(try alone.server.gate.plan(space: other, query: ["ticket": foreign]).get())
        XCTAssertNoThrow(try alone.server.gate.plan(space: other, query: ["ticket": alone.server.gate.ticket(space: other, arrivalMicros: arrival)]).get())
    }

    func testASpacesCapacityHoldsAcrossNodes() async throws {
        let a = try await self.node("a") { $0.cluster.slotSpare = 1 }
        let b = try await self.node("b") { $0.cluster.slotSpare = 1 }
        let space = try await a.createSpace(capacity: 6)
        let onA = try a.url("/v1/spaces/\(space.id)/listen")
        let onB = try b.url("/v1/spaces/\(space.id)/listen")
        func admitted() -> Int { a.server.relay.listenerCount + b.server.relay.listenerCount }
        func waiting() -> Int { (a.server.registry.space(id: space.id)?.waiting ?? 0) + (b.server.registry.space(id: space.id)?.waiting ?? 0) }

        // Two on A that leave after 4 s, then two more on A and four on B that stay: 8 for 6 places.
        var tasks = (0..<2).map { _ in Task { try await BatchRecorder().listen(onA, until: .seconds(4)) } }
        try await eventually { a.server.relay.listenerCount == 2 }
        tasks += (0..<2).map { _ in Task { try await BatchRecorder().listen(onA, until: .seconds(9)) } }
        try await eventually { a.server.relay.listenerCount == 4 }
        tasks += (0..<4).map { _ in Task { try await BatchRecorder().listen(onB, until: .seconds(9)) } }
        try await eventually { admitted() == 6 && waiting() == 2 }
        // And it stays so: no node admits past its lease.
        for _ in 0..<10 {
            try await Task.sleep(for: .milliseconds(100))
            XCTAssertEqual(admitted(), 6)
            XCTAssertEqual(waiting(), 2)
        }
        // Two leave A: the two waiting on B get their places.
        try await eventually(timeout: .seconds(5)) { a.server.relay.listenerCount == 2 && b.server.relay.listenerCount == 4 && waiting() == 0 }
        XCTAssertEqual(admitted(), 6)
        for task in tasks { try await task.value }
    }

    func testOneLineAcrossNodesFirstInFirstOutWithPositionsThatNeverGoBack() async throws {
        let a = try await self.node("a") { $0.admission.waitingRoomSize = 4 }
        let b = try await self.node("b") { $0.admission.waitingRoomSize = 4 }
        let space = try await a.createSpace(capacity: 2)
        let onA = try a.url("/v1/spaces/\(space.id)/listen")
        let onB = try b.url("/v1/spaces/\(space.id)/listen")
        let seated = [try await TestListener.connect(onA), try await TestListener.connect(onA)]
        try await eventually { seated.allSatisfy { $0.welcome != nil } }
        // Four arrivals, alternating nodes, each a tick or more after the last.
        var waiting: [TestListener] = []
        for url in [onB, onA, onB, onA] {
            waiting.append(try await TestListener.connect(url))
            try await Task.sleep(for: .milliseconds(400))
        }
        try await eventually(timeout: .seconds(8)) { waiting.map { $0.positions.last } == [1, 2, 3, 4] }
        XCTAssertTrue(waiting.allSatisfy { $0.welcome == nil })
        // The line is full across the cluster (4): B, holding two of it, has no room for a fifth.
        do {
            _ = try await TestListener.connect(onB)
            XCTFail("a fifth place in a line of four")
        } catch {}

        // A slot frees on A: it goes to the first in line, who waits on B.
        await seated[0].close()
        try await eventually(timeout: .seconds(5)) { waiting[0].welcome != nil }
        XCTAssertNil(waiting[1].welcome, "the second in line waits, though it stands on the node with the free slot")
        try await eventually(timeout: .seconds(5)) { waiting[1].positions.last == 1 && waiting[3].positions.last == 3 }
        await seated[1].close()
        try await eventually(timeout: .seconds(5)) { waiting[1].welcome != nil }
        XCTAssertNil(waiting[2].welcome)
        for (index, listener) in waiting.enumerated() {
            let positions = listener.positions
            XCTAssertEqual(positions, positions.sorted(by: >), "listener \(index + 1) went back in line: \(positions)")
        }
        for listener in waiting { await listener.close() }
    }

    /// A real `spaces serve` process in the cluster (nodeTTLSeconds 1): one that can be killed.
    private func processNode(_ id: String) throws -> (Process, Int) {
        let spaces = ListenerPageBrowserTests.productsDirectory().appendingPathComponent("spaces")
        let port = try RedisServerProcess.freePort()
        let process = Process()
        process.executableURL = spaces
        process.arguments = [
            "serve", "--port", String(port), "--host-key", TestServer.hostKey, "--cluster", self.redis.url, "--node-id", id,
            "--log-level", "error",
        ]
        let config = FileManager.default.temporaryDirectory.appendingPathComponent("spaces-\(id)-\(UUID().uuidString).yaml")
        try "cluster:\n  nodeTTLSeconds: 1\n  heartbeatMs: 100\n".write(to: config, atomically: true, encoding: .utf8)
        process.arguments! += ["--config", config.path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        self.processes.append(process)
        // The node has read its configuration once it beats; the file may go then.
        Task {
            try? await Task.sleep(for: .seconds(5))
            try? FileManager.default.removeItem(at: config)
        }
        return (process, port)
    }

    /// Node "a" in this process (configured with `configure`, nodeTTLSeconds 1) and a real
    /// `spaces serve` ("doomed") to kill, once both are live in the cluster.
    private func nodeBesideADoomedOne(
        _ configure: @escaping (inout SpacesConfiguration) -> Void
    ) async throws -> (TestServer, Process, Int, RedisBroker) {
        let a = try await self.node("a", configure)
        let (process, port) = try self.processNode("doomed")
        let broker = try XCTUnwrap(a.server.broker)
        try await eventually(timeout: .seconds(10)) { (try? await broker.liveNodes().get().map(\.id).sorted()) == ["a", "doomed"] }
        return (a, process, port, broker)
    }

    /// Resumes on `url` with `token`, asking again while the answer is 503 (the slot is still
    /// held by a node that is not yet known dead).
    private func resume(_ url: String, token: String, within: Duration = .seconds(10)) async throws -> TestListener {
        let deadline = ContinuousClock.now + within
        while true {
            do {
                return try await TestListener.connect(ServerURL("\(url)?resume=\(token)"))
            } catch let refused as WebSocketClient.Refused where refused.status == 503 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(200))
            }
        }
    }

    func testListenersOfAKilledNodeResumeOnAnotherWithoutQueueing() async throws {
        let (a, process, port, _) = try await self.nodeBesideADoomedOne { $0.cluster.nodeTTLSeconds = 1 }
        let space = try await a.createSpace(capacity: 3)
        let onDoomed = try ServerURL("ws://127.0.0.1:\(port)/v1/spaces/\(space.id)/listen")
        var doomed: [TestListener] = []
        for _ in 0..<3 { doomed.append(try await TestListener.connect(onDoomed)) }
        try await eventually(timeout: .seconds(5)) { doomed.allSatisfy { $0.welcome != nil } }
        // The Space is full: one more, on A, waits.
        let latecomer = try await TestListener.connect(a.url("/v1/spaces/\(space.id)/listen"))
        try await eventually(timeout: .seconds(5)) { latecomer.positions.last == 1 }

        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try await eventually(timeout: .seconds(5)) { doomed.allSatisfy(\.finished) }
        let onA = "ws://127.0.0.1:\(a.port)/v1/spaces/\(space.id)/listen"
        for listener in doomed {
            let before = try XCTUnwrap(listener.welcome)
            let resumed = try await self.resume(onA, token: try XCTUnwrap(before.resumeToken))
            try await eventually(timeout: .seconds(5)) { resumed.welcome != nil || resumed.finished }
            XCTAssertEqual(resumed.welcome?.listenerId, before.listenerId, "resumed as the same listener")
            XCTAssertTrue(resumed.positions.isEmpty, "never queued: \(resumed.positions)")
        }
        try await eventually { a.server.relay.listenerCount == 3 }
        XCTAssertNil(latecomer.welcome, "the dead node's slots were kept for its listeners, not given to the line")
        let replayed = try await TestListener.connect(ServerURL("\(onA)?resume=\(try XCTUnwrap(doomed[0].welcome?.resumeToken))"))
        try await eventually(timeout: .seconds(5)) { replayed.welcome != nil }
        try await eventually(timeout: .seconds(5)) { a.server.relay.listenerCount == 3 }
        XCTAssertEqual(a.server.gate.occupied(spaceID: space.id), 3, "a token shown twice replaces its own connection, it takes no second slot")
    }

    func testTheCLIListenerOfAKilledNodeFindsAnotherAndResumesThere() async throws {
        let (a, process, port, _) = try await self.nodeBesideADoomedOne { $0.cluster.nodeTTLSeconds = 1 }
        let space = try await a.createSpace(capacity: 1)
        let command = try ListenCommand.parse(["ws://127.0.0.1:\(port)/v1/spaces/\(space.id)/listen", "--duration", "8"])
        let listening = Task { try await command.run() }
        try await eventually(timeout: .seconds(5)) { (try? await a.api.space(id: space.id).listeners) == 1 }
        // Its welcome named the nodes to go to; the Space is full, so a newcomer on A waits.
        let latecomer = try await TestListener.connect(a.url("/v1/spaces/\(space.id)/listen"))
        try await eventually(timeout: .seconds(5)) { latecomer.positions.last == 1 }
        let audio = Task { try await publish(through: a, space, batches: 800, every: .milliseconds(10)) }

        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try await eventually(timeout: .seconds(10)) { a.server.relay.listenerCount == 1 }
        XCTAssertNil(latecomer.welcome, "the CLI listener resumed into its own slot, ahead of the line")
        try await listening.value
        audio.cancel()
        await latecomer.close()
    }

    func testAHostWhoseNodeIsKilledPublishesAgainThroughAnotherAndTheSpaceGoesOn() async throws {
        let (a, process, port, _) = try await self.nodeBesideADoomedOne { $0.cluster.nodeTTLSeconds = 1 }
        let streamer = HostStreamer(
            api: try SpacesAPIClient(server: "http://127.0.0.1:\(port)"), hostKey: TestServer.hostKey, title: "Moving",
            capacity: 10, framesPerBatch: 5
        )
        let created = AsyncStream.makeStream(of: CreateSpaceResponse.self)
        let moved = NIOLockedValueBox<[String]>([])
        let hosting = Task {
            try await streamer.run(
                source: { try EncodingPacketSource(pcm: TonePCMSource(frequency: 440, seconds: 8), bitrate: 24_000) },
                onCreated: { space, _ in created.continuation.yield(space) },
                onFailover: { node in moved.withLockedValue { $0.append(node.hostHeader) } }
            )
        }
        guard let space = await created.stream.first(where: { _ in true }) else { return XCTFail("no Space") }
        let listener = try await TestListener.connect(a.url("/v1/spaces/\(space.id)/listen"))
        try await eventually(timeout: .seconds(5)) { listener.sequence.received > 20 }
        // The publishing event named the nodes; the doomed one goes.
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let before = listener.sequence.received
        try await eventually(timeout: .seconds(8)) { listener.sequence.received > before + 50 }
        XCTAssertEqual(moved.withLockedValue { $0 }, ["127.0.0.1:\(a.port)"], "the host publishes through A now")
        let info = try await a.api.space(id: space.id)
        XCTAssertEqual(info.state, .live, "the Space survived its host's node")
        XCTAssertEqual(listener.sequence.outOfOrder, 0)
        let status = try await hosting.value
        XCTAssertGreaterThan(status.framesSent, 200)
        try await eventually(timeout: .seconds(5)) { (try? await a.api.space(id: space.id).state) == .ended }
        await listener.close()
    }

    func testTheLoadTestersListenersOfAKilledNodeFailOverWithoutQueueing() async throws {
        let (a, process, port, _) = try await self.nodeBesideADoomedOne { $0.cluster.nodeTTLSeconds = 1 }
        let space = try await a.createSpace(capacity: 20)
        var plan = LoadPlan(
            listenURLs: ["ws://127.0.0.1:\(port)/v1/spaces/\(space.id)/listen"], listeners: 20, joinsPerSecond: 100, durationSeconds: 9
        )
        plan.honorRetry = false
        let audio = Task { try await publish(through: a, space, batches: 1000, every: .milliseconds(10)) }
        let running = Task { try await LoadWorker(plan: plan).run() }
        try await eventually(timeout: .seconds(5)) { (try? await a.api.space(id: space.id).listeners) == 20 }
        // Full: one more, on A, waits.
        let latecomer = try await TestListener.connect(a.url("/v1/spaces/\(space.id)/listen"))
        try await eventually(timeout: .seconds(5)) { latecomer.positions.last == 1 }

        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try await eventually(timeout: .seconds(6)) { a.server.relay.listenerCount == 20 }
        try await Task.sleep(for: .milliseconds(600))
        XCTAssertNil(latecomer.welcome, "they resumed into their own slots: none went to the line")
        XCTAssertEqual(a.server.gate.occupied(spaceID: space.id), 20)
        let report = try await running.value
        audio.cancel()
        XCTAssertEqual(report.failovers, 20, "\(report.failures) \(report.httpRefusals) \(report.closeCodes)")
        XCTAssertEqual(report.resumed, 20, "every one resumed into its own slot")
        let onA = try XCTUnwrap(report.nodes["127.0.0.1:\(a.port)"])
        XCTAssertEqual(onA.admitted, 20)
        XCTAssertEqual(onA.connectedAtEnd, 20)
        XCTAssertGreaterThan(onA.framesReceived, 0, "audio was heard on the new node")
        XCTAssertEqual(report.nodes["127.0.0.1:\(port)"]?.admitted, 20)
        await latecomer.close()
    }

    /// `ended <id>` is a plain PUBLISH: a node whose subscriber was away when it went out never
    /// hears it. When the subscriber is back, the node reads the records of the Spaces it
    /// follows and ends those that ended meanwhile.
    func testAnEndMissedWhileTheSubscriberWasAwayIsFoundWhenItReconnects() async throws {
        let a = try await self.node("a")
        let b = try await self.node("b")
        let space = try await a.createSpace()
        let listener = try await TestListener.connect(b.url("/v1/spaces/\(space.id)/listen"))
        try await eventually { listener.welcome != nil }
        let broker = try XCTUnwrap(b.server.broker)
        try await eventually { self.subscribed(b, to: space.id) }
        // Ended in the directory, its announcement never heard (no PUBLISH).
        _ = try await broker.client.send(RedisCommand("HSET", .string(broker.keys.space(space.id)), "state", "ended")).get()
        try await Task.sleep(for: .milliseconds(300))
        XCTAssertEqual(b.server.registry.space(id: space.id)?.state, .live, "nothing told B yet")
        // The subscriber's connection drops (every pub/sub client's) and comes back.
        _ = try await broker.client.send(RedisCommand("CLIENT", "KILL", "TYPE", "pubsub")).get()
        try await eventually(timeout: .seconds(5)) { b.server.registry.space(id: space.id)?.state == .ended }
        try await eventually { listener.finished }
        XCTAssertTrue(listener.events.contains { if case .ended = $0 { true } else { false } }, "its listener was told")
    }

    func testADeadNodesSlotsAreReleasedAfterTheGracePeriod() async throws {
        let (a, process, port, _) = try await self.nodeBesideADoomedOne { $0.cluster.nodeTTLSeconds = 1; $0.admission.resumeGraceSeconds = 2 }
        let space = try await a.createSpace(capacity: 1)
        let gone = try await TestListener.connect(ServerURL("ws://127.0.0.1:\(port)/v1/spaces/\(space.id)/listen"))
        try await eventually(timeout: .seconds(5)) { gone.welcome != nil }
        let latecomer = try await TestListener.connect(a.url("/v1/spaces/\(space.id)/listen"))
        try await eventually(timeout: .seconds(5)) { latecomer.positions.last == 1 }
        let killed = ContinuousClock.now
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // Nobody resumes: after the node's timeout (1 s) and the grace period (2 s) the slot is the line's.
        try await eventually(timeout: .seconds(8)) { latecomer.welcome != nil }
        let waited = ContinuousClock.now - killed
        XCTAssertGreaterThan(waited, .seconds(2), "the slot was kept for the grace period")
    }

    func testADroppedListenerTakesItsHeldSlotToAnotherNode() async throws {
        let a = try await self.node("a")
        let b = try await self.node("b")
        let space = try await a.createSpace(capacity: 1)
        let first = try await TestListener.connect(a.url("/v1/spaces/\(space.id)/listen"))
        try await eventually { first.welcome != nil }
        let welcome = try XCTUnwrap(first.welcome)
        await first.drop()
        try await eventually { a.server.relay.listenerCount == 0 }
        // Its slot is held on A: a newcomer on B waits.
        let newcomer = try await TestListener.connect(b.url("/v1/spaces/\(space.id)/listen"))
        try await eventually(timeout: .seconds(5)) { newcomer.positions.last == 1 }
        let resumed = try await self.resume("ws://127.0.0.1:\(b.port)/v1/spaces/\(space.id)/listen", token: try XCTUnwrap(welcome.resumeToken))
        try await eventually(timeout: .seconds(5)) { resumed.welcome != nil }
        XCTAssertEqual(resumed.welcome?.listenerId, welcome.listenerId)
        XCTAssertTrue(resumed.positions.isEmpty)
        // A learns that the slot left: it holds nothing for the Space any more.
        try await eventually(timeout: .seconds(5)) { a.server.gate.occupied(spaceID: space.id) == 0 }
        try await Task.sleep(for: .milliseconds(600))
        XCTAssertNil(newcomer.welcome, "one slot, one listener")
        await resumed.close()
        try await eventually(timeout: .seconds(5)) { newcomer.welcome != nil }
    }

    func testAKilledNodeDropsOutOfTheClusterByItself() async throws {
        let (a, process, port, broker) = try await self.nodeBesideADoomedOne { $0.cluster.nodeTTLSeconds = 1 }
        let space = try await a.createSpace()
        // The doomed node is the lighter one (A gets a listener): it is where listeners are sent.
        let recorder = BatchRecorder()
        let listening = Task { try await recorder.listen(a.url("/v1/spaces/\(space.id)/listen"), batches: 1) }
        try await eventually { (try? await a.api.space(id: space.id).listenURL) == "ws://127.0.0.1:\(port)/v1/spaces/\(space.id)/listen" }

        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // No goodbye was said: its heartbeat key expires, and it is no longer chosen.
        try await eventually(timeout: .seconds(5)) { (try? await broker.liveNodes().get().map(\.id)) == ["a"] }
        let info = try await a.api.space(id: space.id)
        XCTAssertEqual(info.listenURL, "ws://127.0.0.1:\(a.port)/v1/spaces/\(space.id)/listen")
        let members = try await broker.client.send("SMEMBERS", .string(broker.keys.nodes)).elements?.compactMap(\.string)
        XCTAssertEqual(members, ["a"], "the dead node's id was pruned")
        try await publish(through: a, space, batches: 1)
        try await listening.value
    }

    func testAQuestionAskedOnBUpvotedOnCAndPickedOnAIsSeenByListenersOfAllThree() async throws {
        let a = try await self.node("a") { $0.conversation.questionsIntervalMs = 100 }
        let b = try await self.node("b") { $0.conversation.questionsIntervalMs = 100 }
        let c = try await self.node("c") { $0.conversation.questionsIntervalMs = 100 }
        let space = try await a.createSpace()
        let path = "/v1/spaces/\(space.id)/listen"
        let onA = try await TestListener.connect(a.url(path))
        let onB = try await TestListener.connect(b.url(path))
        let onC = try await TestListener.connect(c.url(path))
        let everyone = [onA, onB, onC]
        try await eventually { everyone.allSatisfy { $0.welcome != nil } }

        // Asked on B: B's listener has its id at once.
        try await onB.send(#"{"type":"ask","text":"  One queue for every node?  "}"#)
        try await eventually { onB.events.contains { if case .asked = $0 { true } else { false } } }
        let id = try XCTUnwrap(onB.events.lazy.compactMap { if case .asked(let asked) = $0 { asked.id } else { nil } }.first)

        // Upvoted on C; a second vote of the same listener is refused (one per listener per
        // question, decided in Redis), and so is the asker's own.
        try await onC.send(#"{"type":"upvote","id":"\#(id)"}"#)
        try await eventually { onC.events.contains(.upvoted(.init(id: id))) }
        try await onC.send(#"{"type":"upvote","id":"\#(id)"}"#)
        try await onB.send(#"{"type":"upvote","id":"\#(id)"}"#)
        try await eventually { onC.errorCodes == ["already_voted"] && onB.errorCodes == ["own_question"] }

        // Every node's listeners see it with its one vote, and the asker hears its rank.
        try await eventually {
            everyone.allSatisfy { $0.questionUpdates.last?.0.top == [.init(id: id, text: "One queue for every node?", votes: 1, state: "open", pinned: false)] }
        }
        try await eventually { onB.ownQuestions.last == .init(id: id, state: "open", rank: 1, votes: 1) }
        XCTAssertTrue(onA.ownQuestions.isEmpty && onC.ownQuestions.isEmpty, "only the asker is told of its question")

        // Picked on A, by the host over HTTP: on air for everyone, and the asker is told.
        let picked = try await a.api.act(.pick(questionID: id), spaceID: space.id, token: space.hostToken)
        XCTAssertEqual(picked.questions.map(\.state), ["on_air"])
        try await eventually { everyone.allSatisfy { $0.questionUpdates.last?.0.onAir?.id == id && $0.questionUpdates.last?.0.total == 0 } }
        try await eventually { onB.ownQuestions.last == .init(id: id, state: "on_air", rank: nil, votes: 1) }
        let fromC = try await c.api.questions(spaceID: space.id, token: space.hostToken)
        XCTAssertEqual(fromC.onAir?.id, id, "the host's view is the same on any node")
        // Versions never go back, whichever node led when.
        for listener in everyone {
            let versions = listener.questionUpdates.map(\.0.version)
            XCTAssertEqual(versions, versions.sorted(), "versions in order")
        }

        // A hand raised on C, invited from B's HTTP API: C's listener is told.
        try await onC.send(#"{"type":"hand","raised":true}"#)
        try await eventually { onC.events.contains(.hand(.init(raised: true, position: 1))) }
        let hands = try await b.api.hands(spaceID: space.id, token: space.hostToken)
        let listenerC = try XCTUnwrap(onC.welcome?.listenerId)
        XCTAssertEqual(hands.hands.map(\.listenerId), [listenerC])
        try await b.api.act(.invite(listenerID: listenerC), spaceID: space.id, token: space.hostToken)
        try await eventually { onC.events.contains(.invited) }
        XCTAssertFalse(onA.events.contains(.invited) || onB.events.contains(.invited))

        // Reactions are counted on each node and reach everyone as one sum.
        try await onA.send(#"{"type":"react","emoji":"👏"}"#)
        try await onB.send(#"{"type":"react","emoji":"👏"}"#)
        try await onC.send(#"{"type":"react","emoji":"🔥"}"#)
        try await eventually(timeout: .seconds(10)) {
            everyone.allSatisfy { listener in
                let counts = listener.events.compactMap { if case .reactions(let r) = $0 { r.counts } else { nil } }
                return counts.reduce(into: [String: Int]()) { $0.merge($1, uniquingKeysWith: +) } == ["👏": 2, "🔥": 1]
            }
        }
        for listener in everyone { await listener.close() }
    }

    func testTheConversationOutlivesTheNodeThatLedItAndAHostOnAnotherNodeSeesTheQueue() async throws {
        let (a, process, port, broker) = try await self.nodeBesideADoomedOne {
            $0.cluster.nodeTTLSeconds = 1
            $0.conversation.questionsIntervalMs = 100
        }
        // Created on the doomed node, which alone holds it at first, so it leads the conversation.
        let space = try await SpacesAPIClient(server: "http://127.0.0.1:\(port)").createSpace(.init(title: "Led"), hostKey: TestServer.hostKey)
        let asker = try await TestListener.connect(ServerURL("ws://127.0.0.1:\(port)/v1/spaces/\(space.id)/listen"))
        try await eventually { asker.welcome != nil }
        try await asker.send(#"{"type":"ask","text":"Who leads now?"}"#)
        try await eventually { asker.questionUpdates.last?.0.total == 1 }
        let id = try XCTUnwrap(asker.questionUpdates.last?.0.top.first?.id)
        let leader = { try await broker.client.send(RedisCommand("GET", .string(broker.keys.leader(space.id)))).get().string }
        let led = try await leader()
        XCTAssertEqual(led, "doomed")

        // A listener arriving on A sees the queue so far at once (the latest view in Redis).
        let voter = try await TestListener.connect(a.url("/v1/spaces/\(space.id)/listen"))
        try await eventually { voter.questionUpdates.last?.0.top.map(\.id) == [id] }

        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        // The lease runs out; A leads, and a vote cast on A reaches A's listeners.
        try await voter.send(#"{"type":"upvote","id":"\#(id)"}"#)
        try await eventually { voter.events.contains(.upvoted(.init(id: id))) }
        try await eventually(timeout: .seconds(6)) { voter.questionUpdates.last?.0.top.first?.votes == 1 }
        let leads = try await leader()
        XCTAssertEqual(leads, "a")
        // The asker resumes on A and is told where its question stands.
        let resumed = try await self.resume(
            "ws://127.0.0.1:\(a.port)/v1/spaces/\(space.id)/listen", token: try XCTUnwrap(asker.welcome?.resumeToken)
        )
        try await eventually { resumed.ownQuestions.last == .init(id: id, state: "open", rank: 1, votes: 1) }
        await resumed.close()

        // The host comes back through A: its first view is the queue as it stands.
        let host = try await WebSocketClient.connect(
            try a.url("/v1/spaces/\(space.id)/publish"), headers: [("authorization", "Bearer \(space.hostToken)")]
        )
        try await host.run { messages, sender in
            var seen: ServerEvent.Questions?
            while seen == nil, case .text(let text) = try await messages.next() {
                if case .questions(let questions) = try ServerEvent.parse(text) { seen = questions }
            }
            XCTAssertEqual(seen?.top.map(\.id), [id])
            XCTAssertEqual(seen?.top.first?.votes, 1)
            try await sender.close()
            _ = try await drain(&messages)
        }
        await voter.close()
    }

    func testAfterRedisRestartsWithoutItsDataNewQuestionsReachEveryNode() async throws {
        let quick = { (settings: inout SpacesConfiguration) in
            settings.conversation.questionsIntervalMs = 100
            settings.conversation.secondsBetweenAsks = 1
        }
        let a = try await self.node("a", quick)
        let b = try await self.node("b", quick)
        let space = try await a.createSpace()
        let path = "/v1/spaces/\(space.id)/listen"
        let onA = try await TestListener.connect(a.url(path))
        let onB = try await TestListener.connect(b.url(path))
        try await eventually { onA.welcome != nil && onB.welcome != nil }
        // A few changes first, so the versions delivered before the restart are ahead of those after.
        try await onB.send(#"{"type":"ask","text":"First?"}"#)
        try await eventually { onA.questionUpdates.last?.0.total == 1 }
        let first = try XCTUnwrap(onA.questionUpdates.last?.0.top.first?.id)
        try await onB.send(#"{"type":"withdraw","id":"\#(first)"}"#)
        try await eventually { onA.questionUpdates.last?.0.total == 0 }
        try await Task.sleep(for: .seconds(1))
        try await onB.send(#"{"type":"ask","text":"Second?"}"#)
        try await onA.send(#"{"type":"ask","text":"Third?"}"#)
        try await eventually { onA.questionUpdates.last?.0.total == 2 && onB.questionUpdates.last?.0.total == 2 }
        let before = try XCTUnwrap(onA.questionUpdates.last?.0.version)
        XCTAssertGreaterThan(before, 2)

        // Redis comes back empty (the test server saves nothing): its versions count from 0 again.
        self.redis.kill()
        try self.redis.restart()
        try await eventually(timeout: .seconds(5)) { self.subscribed(a, to: space.id) && self.subscribed(b, to: space.id) }
        let asked = WallClock.nowMicros()
        let askedBefore = onA.events.count { if case .asked = $0 { true } else { false } }
        try await eventually(timeout: .seconds(5)) {
            try? await onA.send(#"{"type":"ask","text":"Still there?"}"#)
            try? await Task.sleep(for: .milliseconds(300))
            return onA.events.count { if case .asked = $0 { true } else { false } } > askedBefore
        }
        for listener in [onA, onB] {
            try await eventually(timeout: .seconds(5)) { listener.questionUpdates.last?.0.top.map(\.text) == ["Still there?"] }
            XCTAssertLessThan(try XCTUnwrap(listener.questionUpdates.last?.0.version), before, "a view counted anew is shown, not held back")
        }
        XCTAssertLessThan(WallClock.nowMicros() - asked, 10_000_000)
        await onA.close()
        await onB.close()
    }

    func testRedisRestartedDuringABroadcastDropsNoListenerAndAudioReturnsWithinTwoSeconds() async throws {
        let a = try await self.node("a")
        let b = try await self.node("b")
        let space = try await a.createSpace()
        let onA = BatchRecorder()
        let onB = BatchRecorder()
        let listeningA = Task { try await onA.listen(a.url("/v1/spaces/\(space.id)/listen"), until: .seconds(6)) }
        let listeningB = Task { try await onB.listen(b.url("/v1/spaces/\(space.id)/listen"), until: .seconds(6)) }
        try await eventually { self.subscribed(b, to: space.id) && a.server.relay.listenerCount == 1 }

        let publishing = Task { try await publish(through: a, space, batches: 200, every: .milliseconds(20)) }
        try await eventually { onB.headers.count >= 10 }
        self.redis.kill()
        // Meanwhile a new Space gets an honest 503, not a hang.
        do {
            _ = try await a.createSpace()
            XCTFail("a Space was created with no directory")
        } catch let error as HTTPStatusError {
            XCTAssertEqual(error.status, 503)
            XCTAssertEqual(error.response.headers.first(name: "retry-after"), "2")
        }
        try await Task.sleep(for: .seconds(1))
        try self.redis.restart()
        let restarted = WallClock.nowMicros()
        try await publishing.value
        try await listeningA.value
        try await listeningB.value

        XCTAssertNil(onA.closeCode, "A's listener stayed")
        XCTAssertNil(onB.closeCode, "B's listener stayed")
        let firstAfter = try XCTUnwrap(onB.arrivals.first { $0 > restarted }, "B hears audio again")
        XCTAssertLessThan(firstAfter - restarted, 2_000_000, "within 2 s of Redis's return")
        // A's own listener never depended on Redis.
        XCTAssertEqual(onA.headers.map(\.firstSequence), onA.headers.indices.map { UInt32($0 * 2) }, "A heard every frame")
    }
}

/// One listener's batches, with when each arrived.
final class BatchRecorder: Sendable {
    private struct State {
        var headers: [AudioBatchHeader] = []
        var frames: [[UInt8]] = []
        var arrivals: [UInt64] = []
        var closeCode: UInt16?
    }

    private let state = NIOLockedValueBox(State())
    var headers: [AudioBatchHeader] { self.state.withLockedValue { $0.headers } }
    var frames: [[UInt8]] { self.state.withLockedValue { $0.frames } }
    var arrivals: [UInt64] { self.state.withLockedValue { $0.arrivals } }
    var closeCode: UInt16? { self.state.withLockedValue { $0.closeCode } }

    /// Listens until `batches` batches came, or for `until`, then closes.
    func listen(_ url: ServerURL, batches: Int = .max, until: Duration = .seconds(15)) async throws {
        let client = try await WebSocketClient.connect(url)
        let deadline = ContinuousClock.now + until
        try await client.run { messages, sender in
            let closer = Task {
                try await Task.sleep(until: deadline)
                try await sender.close()
            }
            defer { closer.cancel() }
            while self.headers.count < batches, let message = try await messages.next() {
                switch message {
                case .binary(let buffer):
                    let batch = try AudioBatch.decode(buffer)
                    self.state.withLockedValue { state in
                        state.headers.append(try! AudioBatchHeader.decode(buffer))
                        state.frames += batch.frames.map { Array($0.readableBytesView) }
                        state.arrivals.append(WallClock.nowMicros())
                    }
                case .close(let code, _):
                    if ContinuousClock.now < deadline { self.state.withLockedValue { $0.closeCode = code } }
                    return
                case .text:
                    break
                }
            }
            try await sender.close()
        }
    }
}

/// Publishes `batches` batches of two frames through `node` with the Space's host token.
func publish(through node: TestServer, _ space: CreateSpaceResponse, batches: Int, every pause: Duration = .milliseconds(10)) async throws {
    let publisher = try await WebSocketClient.connect(
        try node.url("/v1/spaces/\(space.id)/publish"), headers: [("authorization", "Bearer \(space.hostToken)")]
    )
    try await publisher.run { messages, sender in
        guard case .text(let text) = try await messages.next(), case .publishing = try ServerEvent.parse(text) else {
            XCTFail("no publishing event")
            return
        }
        for index in 0..<batches {
            try await sender.send(binary: encodedBatch([validPacket, validPacket + [UInt8(index % 256)]]))
            try await Task.sleep(for: pause)
        }
        try await sender.close()
        _ = try await drain(&messages)
    }
}
