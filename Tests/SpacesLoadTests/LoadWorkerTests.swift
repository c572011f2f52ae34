import Logging
import NIOCore
import SpacesClient
import SpacesCore
import SpacesLoad
import SpacesServer
import XCTest

/// A small real run against a node in this process: a storm into a small Space while a host
/// streams, with one listener that stops reading.
final class LoadWorkerTests: XCTestCase {
    /// A node on a loopback port with one event loop and the host key `load-key`.
    private func startNode(_ configure: (inout SpacesConfiguration) -> Void = { _ in }) async throws -> (SpacesServer, port: Int) {
        var configuration = SpacesConfiguration()
        configuration.server.port = 0
        configuration.server.hostKey = "load-key"
        configuration.server.eventLoops = 1
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let server = try SpacesServer(configuration: configuration, logger: logger)
        return (server, try await server.start().port!)
    }

    func testStormAgainstSmallCapacityWithAStalledReader() async throws {
        let (server, port) = try await self.startNode {
            $0.admission.tickMs = 50
            $0.backpressure.budgetMs = 200
            $0.backpressure.socketSendBufferBytes = 4096
            $0.backpressure.evictAfterMs = 1000
        }
        let base = "http://127.0.0.1:\(port)"
        let api = try SpacesAPIClient(server: base)
        let space = try await api.createSpace(CreateSpaceRequest(title: "Storm", capacity: 100), hostKey: "load-key")

        // A host at real time: 20 ms frames of 300 bytes.
        let publishing = Task {
            let connection = try await WebSocketClient.connect(
                try ServerURL("\(base)/v1/spaces/\(space.id)/publish"), headers: [("authorization", "Bearer \(space.hostToken)")]
            )
            try await connection.run { messages, sender in
                _ = try await messages.next()
                let start = ContinuousClock.now
                var index = 0
                while !Task.isCancelled {
                    index += 1
                    try await Task.sleep(until: start + .milliseconds(20 * index), clock: .continuous)
                    var batch = ByteBuffer()
                    AudioBatch(firstSequence: 0, captureTimeMicros: 0, frames: [ByteBuffer(bytes: [0x08] + Array(repeating: 0x11, count: 299))])
                        .encode(into: &batch)
                    try await sender.send(binary: batch)
                }
            }
        }

        var plan = LoadPlan(listenURLs: ["ws://127.0.0.1:\(port)/v1/spaces/\(space.id)/listen"], listeners: 300, joinsPerSecond: 300, durationSeconds: 7)
        plan.stallShare = 0.01
        plan.sourceAddresses = ["127.0.0.1", "127.0.0.2"]
        // A seed whose draw puts a stalled reader among the first admitted.
        while !(0..<90).contains(where: { plan.behaviour(of: $0) == .stall }) { plan.seed += 1 }
        let stalled = (0..<90).filter { plan.behaviour(of: $0) == .stall }
        let coordinator = LoadCoordinator(plan: plan, workers: 1, executable: "", servers: [base])
        let report = try await coordinator.run { _ in }
        publishing.cancel()
        _ = try? await publishing.value

        XCTAssertEqual(report.listeners, 300)
        XCTAssertEqual(report.failures, [:], "every join was answered")
        XCTAssertEqual(report.answerMicros.totalCount, 300)
        // 100 get in at once; the rest wait (positions, honest ETA), none is refused.
        XCTAssertGreaterThanOrEqual(report.admitted, 100)
        XCTAssertGreaterThanOrEqual(report.waitingAnswers, 195)
        XCTAssertEqual(report.httpRefusals, [:])
        XCTAssertEqual(report.positionsWentBack, 0)
        // Audio reached the admitted listeners; the ones that read lost nearly nothing.
        XCTAssertGreaterThan(report.framesReceived, 100 * 200)
        XCTAssertGreaterThan(report.latencyMicros.totalCount, 0)
        // The server's own view: the stalled reader was evicted, and it says how many it admitted.
        let evicted = (report.serverAfter["spaces_listeners_evicted_total"] ?? 0) - (report.serverBefore["spaces_listeners_evicted_total"] ?? 0)
        XCTAssertGreaterThanOrEqual(evicted, Double(stalled.count))
        XCTAssertGreaterThanOrEqual(report.serverAfter[#"spaces_admitted_total{kind="fresh"}"#] ?? 0, 100)
        XCTAssertGreaterThan(report.serverAfter["spaces_audio_batches_dropped"] ?? 0, 0)
        XCTAssertFalse(report.timeline.isEmpty)
        XCTAssertGreaterThanOrEqual(report.timeline.map(\.waiting).max() ?? 0, 190, "the line shows in the time series")
        XCTAssertGreaterThanOrEqual(report.timeline.map(\.connected).max() ?? 0, 99)
        await server.stop()
    }

    func testAskersUpvotersAndReactorsAreCountedOnBothSides() async throws {
        let (server, port) = try await self.startNode()
        let base = "http://127.0.0.1:\(port)"
        let space = try await SpacesAPIClient(server: base).createSpace(CreateSpaceRequest(title: "Talk", capacity: 100), hostKey: "load-key")

        var plan = LoadPlan(listenURLs: ["ws://127.0.0.1:\(port)/v1/spaces/\(space.id)/listen"], listeners: 60, joinsPerSecond: 200, durationSeconds: 5)
        plan.questionsPerSecond = 20
        plan.upvotesPerSecond = 20
        plan.reactionsPerSecond = 20
        let report = try await LoadCoordinator(plan: plan, workers: 1, executable: "", servers: [base]).run { _ in }

        XCTAssertEqual(report.admitted, 60)
        let sent = report.conversationSent
        XCTAssertGreaterThan(sent["ask", default: 0], 20, "\(sent)")
        XCTAssertGreaterThan(sent["react", default: 0], 20, "\(sent)")
        XCTAssertGreaterThan(report.conversationAnswers["asked", default: 0], 10, "\(report.conversationAnswers)")
        XCTAssertGreaterThan(report.conversationAnswers["upvoted", default: 0], 0, "\(report.conversationAnswers)")
        // Every listener hears about the queue, at most twice a second per Space.
        XCTAssertGreaterThan(report.questionUpdates, 60)
        XCTAssertLessThanOrEqual(report.questionUpdates, 60 * 2 * 7)
        XCTAssertGreaterThan(report.reactionUpdates, 60)
        // The node counted the same messages; every answer the load saw is one the node sent.
        let after = report.serverAfter
        let accepted = after[#"spaces_conversation_messages_total{outcome="accepted"}"#] ?? 0
        let answered = report.conversationAnswers.values.reduce(0, +)
        XCTAssertGreaterThanOrEqual(accepted, Double(report.conversationAnswers["asked", default: 0]))
        XCTAssertLessThanOrEqual(answered, sent.values.reduce(0, +))
        XCTAssertGreaterThan(after[#"spaces_conversation_updates_total{kind="questions"}"#] ?? 0, 0)
        XCTAssertEqual(report.closeCodes.keys.filter { $0 != "1000" }, [], "nobody was closed for talking")
        await server.stop()
    }
}
