import Foundation
@_spi(Testing) @testable import SpacesServer
import NIOCore
import NIOEmbedded
import SpacesClient
import SpacesCompression
import SpacesCore
import XCTest

/// The fan-out under a slow listener: it costs only itself.
final class ShardTests: XCTestCase {
    /// `count` listeners of `space` on in-memory channels of `loop`, admitted, their welcome
    /// read; those for which `compressed` holds negotiated permessage-deflate.
    private func listeners(
        _ count: Int, of space: LiveSpace, on relay: Relay, loop: EmbeddedEventLoop, compressed: (Int) -> Bool = { _ in false }
    ) throws -> [EmbeddedChannel] {
        try (0..<count).map { index in
            let channel = EmbeddedChannel(loop: loop)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            try relay.attachListener(to: channel, space: space, compressed: compressed(index))
            while try channel.readOutbound(as: ByteBuffer.self) != nil {}
            return channel
        }
    }

    func testListenerThatStopsReadingIsDroppedThenEvictedWhileOthersLoseNothing() async throws {
        let node = try await TestServer.start {
            $0.backpressure.budgetMs = 500
            $0.backpressure.assumedBitrate = 64_000
            $0.backpressure.socketSendBufferBytes = 4096
            $0.backpressure.evictAfterMs = 1500
        }
        let space = try await node.createSpace()
        let url = try node.url("/v1/spaces/\(space.id)/listen")
        let readers = try await withThrowingTaskGroup(of: TestListener.self) { group in
            for _ in 0..<20 { group.addTask { try await TestListener.connect(url) } }
            return try await group.reduce(into: []) { $0.append($1) }
        }
        let stalled = try await TestListener.connect(url, paused: true, receiveBufferSize: 4096)
        try await eventually { try await node.api.space(id: space.id).listeners == 21 }

        // 1,000-byte packets at real time: ~50 KB/s, enough to fill the stalled one's buffers.
        let publisher = try await WebSocketClient.connect(
            try node.url("/v1/spaces/\(space.id)/publish"), headers: [("authorization", "Bearer \(space.hostToken)")]
        )
        let packet: [UInt8] = [0x08] + Array(repeating: 0x55, count: 999)
        let frames = 200
        try await publisher.run { messages, sender in
            _ = try await messages.next()  // publishing
            let start = ContinuousClock.now
            for index in 0..<frames {
                try await Task.sleep(until: start + .milliseconds(20 * index), clock: .continuous)
                try await sender.send(binary: encodedBatch([packet]))
            }
            try await sender.close()
            while try await messages.next() != nil {}
        }
        try await eventually { node.server.relay.handles.reduce(0) { $0 + $1.stats.evictions } >= 1 }
        // Catching up now, it reads what was queued, sees the gap, and the 4008 close.
        stalled.resume()
        try await eventually { stalled.finished }
        XCTAssertEqual(stalled.closeCode, CloseCode.tooSlow.rawValue)
        XCTAssertLessThan(stalled.sequence.received, frames)

        try await eventually { readers.allSatisfy { $0.sequence.received == frames } }
        for reader in readers {
            XCTAssertEqual(reader.sequence.gaps, 0)
            XCTAssertEqual(reader.sequence.outOfOrder, 0)
            XCTAssertEqual(reader.sequence.expected, UInt32(frames))
        }
        let info = try await node.api.space(id: space.id)
        XCTAssertGreaterThan(info.dropped, 0)
        XCTAssertEqual(info.listeners, 20)
        for reader in readers { await reader.close() }
        await node.stop()
    }

    func testFramesPerWriteGrowsWithListeners() throws {
        var configuration = SpacesConfiguration()
        configuration.relay.writesPerSecondPerCore = 100  // two listeners at 50 frames/s fill it
        configuration.relay.maxBatchLatencyMs = 100
        let loop = EmbeddedEventLoop()
        let relay = Relay(onLoops: [loop], configuration: configuration)
        let space = Relay.makeSpace()
        var channels: [EmbeddedChannel] = []
        for count in 1...12 {
            let channel = EmbeddedChannel(loop: loop)
            try channel.connect(to: SocketAddress(ipAddress: "127.0.0.1", port: 1)).wait()
            try relay.attachListener(to: channel, space: space)
            channels.append(channel)
            // ceil(count × 50 / 100), at most 100 ms / 20 ms = 5.
            XCTAssertEqual(relay.handles[0].stats.framesPerWrite, min(5, (count * 50 + 99) / 100), "\(count) listeners")
        }
        // With 5 frames per write, four single-frame batches are held, the fifth sends all five.
        for channel in channels { while try channel.readOutbound(as: ByteBuffer.self) != nil {} }
        for index in 0..<5 {
            relay.broadcast(AudioBatch(firstSequence: UInt32(index), captureTimeMicros: WallClock.nowMicros(), frames: [ByteBuffer(bytes: validPacket)]), to: space)
            let written = try channels[0].readOutbound(as: ByteBuffer.self)
            if index < 4 {
                XCTAssertNil(written, "held back")
            } else {
                var frame = try XCTUnwrap(written)
                frame.moveReaderIndex(forwardBy: 2)  // the 2-byte frame header of a short payload
                let batch = try AudioBatch.decode(frame)
                XCTAssertEqual(batch.firstSequence, 0)
                XCTAssertEqual(batch.frames.count, 5)
            }
        }
        for channel in channels { _ = try? channel.finish() }
    }

    /// A shard whose deliveries start late (its loop short of time) widens its batches before
    /// it sheds anything, and narrows them again once it keeps up.
    func testAShardBehindWidensItsBatches() throws {
        var configuration = SpacesConfiguration()
        configuration.relay.writesPerSecondPerCore = 1_000  // 20 listeners × 50 frames/s: one frame per write
        configuration.relay.maxBatchLatencyMs = 200
        configuration.relay.writesPerSlice = 1  // slices too short to be timed: only the lag counts
        configuration.relay.maxLagMs = 0
        let loop = EmbeddedEventLoop()
        let relay = Relay(onLoops: [loop], configuration: configuration)
        let space = Relay.makeSpace()
        let channels = try self.listeners(20, of: space, on: relay, loop: loop)
        let stats = relay.handles[0].stats
        XCTAssertEqual(stats.framesPerWrite, 1)
        let packet = ByteBuffer(bytes: validPacket)
        func send(_ sequence: UInt32) {
            relay.broadcast(AudioBatch(firstSequence: sequence, captureTimeMicros: WallClock.nowMicros(), frames: [packet]), to: space)
        }
        func drain() {
            for _ in 0..<200 { loop.advanceTime(by: .milliseconds(1)) }
        }
        // The second batch waits behind the first while the loop does something else for 150 ms.
        send(0)
        send(1)
        Thread.sleep(forTimeInterval: 0.15)
        drain()
        // At least 1.5 × the pressure: ceil(20 × 50 / 667) = 2 (more if the loop was slower still).
        XCTAssertGreaterThanOrEqual(stats.framesPerWrite, 2)
        XCTAssertEqual(stats.shedBatches + stats.staleBatches, 0)
        // On time again: back to one frame per write after enough deliveries.
        for sequence in 2..<80 {
            send(UInt32(sequence))
            drain()
        }
        XCTAssertEqual(stats.framesPerWrite, 1)
        for channel in channels { _ = try? channel.finish() }
    }

    /// A shard of one frame per write and one listener per slice, so that a queue builds up
    /// behind the first batch: `count` listeners on it, and a way to send it a batch.
    private func slowShard(
        _ count: Int, _ configure: (inout SpacesConfiguration.Relay) -> Void
    ) throws -> (relay: Relay, space: LiveSpace, loop: EmbeddedEventLoop, channels: [EmbeddedChannel], batch: (UInt32) -> Void) {
        var configuration = SpacesConfiguration()
        configuration.relay.maxBatchLatencyMs = 20  // one frame per write
        configuration.relay.writesPerSlice = 1  // every listener is a slice of its own
        configure(&configuration.relay)
        let loop = EmbeddedEventLoop()
        let relay = Relay(onLoops: [loop], configuration: configuration)
        let space = Relay.makeSpace()
        let channels = try self.listeners(count, of: space, on: relay, loop: loop)
        let batch = { (sequence: UInt32) in
            relay.broadcast(AudioBatch(firstSequence: sequence, captureTimeMicros: WallClock.nowMicros(), frames: [ByteBuffer(bytes: validPacket)]), to: space)
        }
        return (relay, space, loop, channels, batch)
    }

    /// Steps on a ``slowShard(_:_:)``, each run on its loop at once: a batch, a `state` update.
    /// Then the start both update-order tests share: batch 0 begins; the audio pauses, so update
    /// 1 is queued on its own; batch 1; update 2, which rides with batch 2.
    private func aloneThenRiding(
        _ relay: Relay, _ space: LiveSpace, _ loop: EmbeddedEventLoop, _ send: @escaping (UInt32) -> Void
    ) -> (batch: (UInt32) -> Void, state: (Int) -> Void) {
        let batch = { (sequence: UInt32) in
            send(sequence)
            loop.run()
        }
        let state = { (listeners: Int) in
            relay.broadcast(SharedUpdate(kind: .state, event: .state(.init(listeners: listeners))), to: space)
            loop.run()
        }
        batch(0)
        Thread.sleep(forTimeInterval: 0.2)
        state(1)
        batch(1)
        state(2)
        batch(2)
        return (batch, state)
    }

    /// What a listener was sent, in order: `audio N` (first sequence), `listeners N` (`state`).
    private func timeline(_ channel: EmbeddedChannel) throws -> [String] {
        var events: [String] = []
        while var frame = try channel.readOutbound(as: ByteBuffer.self) {
            frame.moveReaderIndex(forwardBy: 2)
            if let batch = try? AudioBatch.decode(frame) {
                events.append("audio \(batch.firstSequence)")
            } else if case .state(let state) = try ServerEvent.parse(String(buffer: frame)) {
                events.append("listeners \(state.listeners)")
            }
        }
        return events
    }

    func testAnOverloadedShardShedsTheOldestAudioNotYetStarted() throws {
        let (relay, _, loop, channels, batch) = try self.slowShard(3) { $0.maxQueuedBatches = 2 }
        // Batch 0 starts (one listener written), 1…5 arrive behind it; the queue holds 2
        // deliveries, the half-written one included, so each newcomer sheds the one before.
        for sequence in 0..<6 { batch(UInt32(sequence)) }
        for _ in 0..<40 { loop.advanceTime(by: .milliseconds(1)) }
        XCTAssertEqual(relay.handles[0].stats.shedBatches, 4)
        for channel in channels {
            var sequences: [UInt32] = []
            while var frame = try channel.readOutbound(as: ByteBuffer.self) {
                frame.moveReaderIndex(forwardBy: 2)
                sequences.append(try AudioBatch.decode(frame).firstSequence)
            }
            // The half-written batch 0 is finished, then the newest: the live edge.
            XCTAssertEqual(sequences, [0, 5])
        }
        for channel in channels { _ = try? channel.finish() }
    }

    func testAShedBatchsUpdateIsNotLostToAnOlderOneQueuedBeforeIt() throws {
        let (relay, space, loop, channels, send) = try self.slowShard(2) { $0.maxQueuedBatches = 4 }
        let (batch, _) = self.aloneThenRiding(relay, space, loop, send)
        // Batches 3 and 4 shed 1 and then 2: the update batch 2 carried must go on, not lose to
        // the older one queued before it.
        batch(3)
        batch(4)
        for _ in 0..<40 { loop.advanceTime(by: .milliseconds(1)) }
        XCTAssertEqual(relay.handles[0].stats.shedBatches, 2)
        for channel in channels {
            XCTAssertEqual(try self.timeline(channel), ["audio 0", "listeners 1", "listeners 2", "audio 3", "audio 4"])
        }
        for channel in channels { _ = try? channel.finish() }
    }

    func testAnUpdateQueuedAloneDoesNotOvertakeAnOlderOneRidingWithABatch() throws {
        let (relay, space, loop, channels, send) = try self.slowShard(2) { $0.maxQueuedBatches = 8 }
        let (_, state) = self.aloneThenRiding(relay, space, loop, send)
        // The audio pauses again and update 3 comes: it must not take update 1's place, ahead
        // of the older update 2.
        Thread.sleep(forTimeInterval: 0.2)
        state(3)
        for _ in 0..<40 { loop.advanceTime(by: .milliseconds(1)) }
        for channel in channels {
            let states = try self.timeline(channel).filter { $0.hasPrefix("listeners") }
            XCTAssertEqual(states, ["listeners 1", "listeners 2", "listeners 3"], "never an older state after a newer one")
        }
        for channel in channels { _ = try? channel.finish() }
    }

    func testAudioOlderThanTheLagLimitWhenItsTurnComesIsShedNotSentLate() throws {
        let (relay, space, loop, channels, batch) = try self.slowShard(2) { $0.maxLagMs = 600 }  // at least maxBatchLatencyMs + 500
        // Batch 0 starts (one listener written, then the loop yields); an update waits to ride
        // with the next batch; batches 1 and 2 queue behind while the shard is held up (as a
        // starved node's is) for longer than the limit; batch 3 comes fresh.
        batch(0)
        relay.broadcast(SharedUpdate(kind: .state, event: .state(.init(listeners: 2))), to: space)
        batch(1)
        batch(2)
        Thread.sleep(forTimeInterval: 0.7)
        batch(3)
        for _ in 0..<20 { loop.advanceTime(by: .milliseconds(1)) }
        XCTAssertEqual(relay.handles[0].stats.staleBatches, 2)
        XCTAssertLessThan(relay.handles[0].stats.lagMillis, 600, "the last batch sent was live")
        for channel in channels {
            var events: [String] = []
            while var frame = try channel.readOutbound(as: ByteBuffer.self) {
                frame.moveReaderIndex(forwardBy: 2)
                if let batch = try? AudioBatch.decode(frame) { events.append("audio \(batch.firstSequence)") } else { events.append("text") }
            }
            // Batch 0 was begun, so it is finished; the two stale ones go, and the update they
            // carried rides with the live batch: no backlog, nothing out of order.
            XCTAssertEqual(events, ["audio 0", "text", "audio 3"])
        }
        for channel in channels { _ = try? channel.finish() }
    }

    func testASlowListenerGetsOnlyTheLatestUpdateOfEachKindAndTheSameBuffer() throws {
        let loop = EmbeddedEventLoop()
        let relay = Relay(onLoops: [loop])
        let space = Relay.makeSpace()
        let channels = try self.listeners(2, of: space, on: relay, loop: loop)
        let (reader, slow) = (channels[0], channels[1])
        slow.isWritable = false
        slow.pipeline.fireChannelWritabilityChanged()

        func questions(_ version: UInt64) -> SharedUpdate {
            SharedUpdate(kind: .questions, event: .questions(.init(version: version, total: Int(version), onAir: nil, top: [])))
        }
        let updates = (1...5).map(questions)
        for update in updates { relay.broadcast(update, to: space) }
        relay.broadcast(SharedUpdate(kind: .reactions, event: .reactions(.init(counts: ["👏": 3]))), to: space)
        relay.broadcast(SharedUpdate(kind: .state, event: .state(.init(listeners: 2))), to: space)
        loop.run()

        // The reader got all seven, the very buffers framed once for everyone.
        var read: [ByteBuffer] = []
        while let frame = try reader.readOutbound(as: ByteBuffer.self) { read.append(frame) }
        XCTAssertEqual(read.count, 7)
        XCTAssertEqual(read.first, updates[0].plain)
        XCTAssertTrue(read.first!.withUnsafeReadableBytes { a in updates[0].plain.withUnsafeReadableBytes { a.baseAddress == $0.baseAddress } })
        XCTAssertNil(try slow.readOutbound(as: ByteBuffer.self), "nothing is queued for a listener that cannot take it")

        // Once it can take them again: one of each kind, the newest, no backlog.
        slow.isWritable = true
        slow.pipeline.fireChannelWritabilityChanged()
        var texts: [String] = []
        while var frame = try slow.readOutbound(as: ByteBuffer.self) {
            frame.moveReaderIndex(forwardBy: 2)
            texts.append(frame.readString(length: frame.readableBytes)!)
        }
        XCTAssertEqual(texts.count, 3, "\(texts)")
        XCTAssertEqual(texts.compactMap { try? ServerEvent.parse($0) }, [
            .state(.init(listeners: 2)), .questions(.init(version: 5, total: 5, onAir: nil, top: [])), .reactions(.init(counts: ["👏": 3])),
        ])
        for channel in channels { _ = try? channel.finish() }
    }

    func testAnUpdateIsCompressedOnceAndTheSameFrameGoesToEveryListenerThatNegotiatedIt() throws {
        let loop = EmbeddedEventLoop()
        let relay = Relay(onLoops: [loop])
        let space = Relay.makeSpace()
        let channels = try self.listeners(4, of: space, on: relay, loop: loop) { $0 % 2 == 1 }
        let top = (1...10).map {
            ServerEvent.QuestionItem(id: "q\($0)", text: "What is the plan for question number \($0) of the evening?", votes: 10 - $0, state: "open", pinned: false)
        }
        let event = ServerEvent.questions(.init(version: 4, total: 10, onAir: nil, top: top))
        let update = SharedUpdate(kind: .questions, event: event, deflate: relay.deflate)
        let deflated = try XCTUnwrap(update.deflated)
        XCTAssertLessThan(deflated.readableBytes, update.plain.readableBytes / 2)
        relay.broadcast(update, to: space)
        loop.run()

        let inflater = Inflater()
        for (index, channel) in channels.enumerated() {
            var frame = try XCTUnwrap(channel.readOutbound(as: ByteBuffer.self))
            if index % 2 == 1 {
                XCTAssertEqual(frame, deflated, "the one compressed frame")
                XCTAssertEqual(frame.readInteger(as: UInt8.self), 0xC1, "FIN, RSV1, text")
            } else {
                XCTAssertEqual(frame, update.plain)
                XCTAssertEqual(frame.readInteger(as: UInt8.self), 0x81, "FIN, text")
            }
            let length = Int(try XCTUnwrap(frame.readInteger(as: UInt8.self)) & 0x7F)
            if length == 126 { frame.moveReaderIndex(forwardBy: 2) }
            let payload = index % 2 == 1 ? try inflater.inflate(frame, limit: 1 << 16) : frame
            XCTAssertEqual(try ServerEvent.parse(String(buffer: payload)), event)
        }
        for channel in channels { _ = try? channel.finish() }
    }

    func testUpdatesRideWithTheNextBatchOrGoAloneWhenAudioPauses() throws {
        let loop = EmbeddedEventLoop()
        var configuration = SpacesConfiguration()
        configuration.relay.maxBatchLatencyMs = 20  // one frame per write: every batch goes at once
        let relay = Relay(onLoops: [loop], configuration: configuration)
        let space = Relay.makeSpace()
        let channels = try self.listeners(2, of: space, on: relay, loop: loop)
        func batch(_ sequence: UInt32) -> AudioBatch {
            AudioBatch(firstSequence: sequence, captureTimeMicros: WallClock.nowMicros(), frames: [ByteBuffer(bytes: validPacket)])
        }
        func outbound(_ channel: EmbeddedChannel) throws -> [String] {
            var kinds: [String] = []
            while var frame = try channel.readOutbound(as: ByteBuffer.self) {
                let opcode = frame.readInteger(as: UInt8.self)! & 0x0F
                frame.moveReaderIndex(forwardBy: 1)
                kinds.append(opcode == 2 ? "audio \(try AudioBatch.decode(frame).firstSequence)" : (try ServerEvent.parse(String(buffer: frame))?.type ?? "?"))
            }
            return kinds
        }
        relay.broadcast(batch(0), to: space)
        loop.run()
        for channel in channels { XCTAssertEqual(try outbound(channel), ["audio 0"]) }

        // Audio flows: the updates wait for the next batch, the latest of each kind only.
        relay.broadcast(SharedUpdate(kind: .questions, event: .questions(.init(version: 1, total: 1, onAir: nil, top: []))), to: space)
        relay.broadcast(SharedUpdate(kind: .questions, event: .questions(.init(version: 2, total: 2, onAir: nil, top: []))), to: space)
        relay.broadcast(SharedUpdate(kind: .reactions, event: .reactions(.init(counts: ["🔥": 1]))), to: space)
        loop.run()
        XCTAssertEqual(try outbound(channels[0]), [], "waiting for the batch")
        relay.broadcast(batch(1), to: space)
        loop.run()
        for channel in channels {
            XCTAssertEqual(try outbound(channel), ["questions", "reactions", "audio 1"])
        }

        // The host pauses: an update goes on its own after one batch's worth of waiting.
        relay.broadcast(SharedUpdate(kind: .questions, event: .questions(.init(version: 3, total: 3, onAir: nil, top: []))), to: space)
        loop.run()
        XCTAssertEqual(try outbound(channels[1]), [])
        loop.advanceTime(by: .milliseconds(150))
        for channel in channels {
            XCTAssertEqual(try outbound(channel), ["questions"])
        }
        for channel in channels { _ = try? channel.finish() }
    }
}
