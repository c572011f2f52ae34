// ShardExecutors: "Dispatch or event loops". One shard of the fan-out run on a serial
// DispatchQueue, against the same shard on its NIO event loop (the project's Relay), over the
// same real loopback connections and the same batches. See SCENARIOS.md.

#if canImport(Glibc)
import Glibc
#endif
import Dispatch
import NIOCore
import NIOPosix
import ScenarioSupport
import SpacesCore
@_spi(Testing) import SpacesServer

let usage = """
    Usage: ShardExecutors [--connections N] [--batches M] [--rounds R] [--frame-bytes B] [--json PATH]

    Opens N loopback connections (a 1-thread server group accepts, a 1-thread client group reads
    and counts), then sends M one-frame audio batches to all of them through each shard in turn,
    R rounds alternating, and reports the median CPU per write of each.

      --connections  listeners, default 2000
      --batches      batches per run, default 100
      --rounds       runs of each shard, default 3 (medians are reported)
      --frame-bytes  Opus packet size, default 80 (20 ms at 32 kbit/s)
      --json         where to write the figures, default Bench/results/ShardExecutors.json
    """
let options = Options(known: ["connections", "batches", "rounds", "frame-bytes", "json"], usage: usage)
let connections = options.int("connections", default: 2_000)
let batchCount = options.int("batches", default: 100)
let rounds = options.int("rounds", default: 3)
let frameBytes = options.int("frame-bytes", default: 80)
let jsonPath = options.string("json", default: ResultFile.defaultPath(name: "ShardExecutors"))
guard connections > 0, batchCount > 0, rounds > 0, (1...1275).contains(frameBytes) else {
    Options.fail("connections, batches and rounds must be positive, frame-bytes within 1…1275")
}

func fail(_ message: String) -> Never {
    printError("ShardExecutors: FAILED: \(message)")
    exit(1)
}

/// Polls `condition` every 10 ms for up to `seconds`.
func waitUntil(seconds: Double, _ condition: () throws -> Bool) rethrows -> Bool {
    let deadline = CPUClock.wall() + Int(seconds * 1e9)
    while CPUClock.wall() < deadline {
        if try condition() { return true }
        usleep(10_000)
    }
    return try condition()
}

// MARK: Connections

let serverGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let clientGroup = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let serverLoop = serverGroup.next()
let clientLoop = clientGroup.next()
let tally = ByteTally()

let accepted = try serverLoop.submit { NIOLoopBoundBox([any Channel](), eventLoop: serverLoop) }.wait()
let handlers = try clientLoop.submit { NIOLoopBoundBox([CountingHandler](), eventLoop: clientLoop) }.wait()

let server = try ServerBootstrap(group: serverGroup)
    .serverChannelOption(.backlog, value: 4096)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .serverChannelOption(.maxMessagesPerRead, value: 256)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    // Well above what one run queues per connection: no write is refused or dropped for
    // backpressure, so both shards make exactly the same writes.
    .childChannelOption(.writeBufferWaterMark, value: .init(low: 8 << 20, high: 16 << 20))
    .childChannelInitializer { channel in
        accepted.value.append(channel)
        return channel.eventLoop.makeSucceededVoidFuture()
    }
    .bind(host: "127.0.0.1", port: 0)
    .wait()
let serverAddress = server.localAddress!

var clients: [any Channel] = []
clients.reserveCapacity(connections)
var next = 0
while next < connections {
    let wave = next..<min(connections, next + 250)
    let futures = try wave.map { index in
        try ClientBootstrap(group: clientGroup)
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
            // Spread over four source addresses, as the load tester does.
            .bind(to: SocketAddress(ipAddress: "127.0.0.\(1 + index % 4)", port: 0))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let handler = CountingHandler(tally: tally)
                    try channel.pipeline.syncOperations.addHandler(handler)
                    handlers.value.append(handler)
                }
            }
            .connect(to: serverAddress)
    }
    clients += try EventLoopFuture.whenAllSucceed(futures, on: clientLoop).wait()
    next = wave.upperBound
}
guard try waitUntil(seconds: 30, { try serverLoop.submit { accepted.value.count }.wait() == connections }) else {
    fail("the server accepted fewer than \(connections) connections")
}
let channels = try serverLoop.submit { accepted.value }.wait()

// MARK: Shards

var configuration = SpacesConfiguration()
// One frame per write whatever the listener count (adaptive batching off), and no shedding (by
// queue length or by lateness): both shards make one write per listener per batch.
configuration.relay.writesPerSecondPerCore = 1_000_000_000
configuration.relay.maxQueuedBatches = 1_000_000
configuration.relay.maxLagMs = 0
let relay = try Relay(eventLoops: [serverLoop], configuration: configuration, metrics: nil)
let space = Relay.makeSpace(title: "ShardExecutors", capacity: .max)
try serverLoop.submit {
    for channel in accepted.value {
        try relay.attachListener(to: channel, space: space)
    }
}.wait()
guard relay.handles[0].stats.listeners == connections, relay.handles[0].stats.framesPerWrite == 1 else {
    fail("the relay shard holds \(relay.handles[0].stats.listeners) listeners at \(relay.handles[0].stats.framesPerWrite) frames per write")
}
// Every client gets its welcome before anything is measured.
guard try waitUntil(seconds: 30, { try clientLoop.submit { handlers.value.allSatisfy { $0.counter.textFrames == 1 } }.wait() }) else {
    fail("not every client received its welcome")
}

let shards: [any FanoutShard] = [
    EventLoopShard(relay: relay, space: space),
    DispatchShard(channels: channels),
    PlainLoopShard(eventLoop: serverLoop, channels: channels),
]

let packet = ByteBuffer(bytes: [0x08] + (1..<frameBytes).map { UInt8(truncatingIfNeeded: $0 &* 7) })
let batches = (0..<batchCount).map { PreparedBatch(sequence: $0, packet: packet) }
let messageBytes = batches[0].framed.readableBytes
let payloadBytes = batches[0].batch.encodedSize

// MARK: Runs

struct Run: Codable {
    var shard: String
    var round: Int
    var writes: Int
    var wallMs: Double
    var processCPUMicrosPerWrite: Double
    var serverLoopCPUMicrosPerWrite: Double
    var clientLoopCPUMicrosPerWrite: Double
    /// Process CPU less the two loops: the Dispatch queue's worker threads, and the caller.
    var otherCPUMicrosPerWrite: Double
}

func threadCPU(_ loop: any EventLoop) throws -> Int {
    try loop.submit { CPUClock.thread() }.wait()
}

func measure(_ shard: any FanoutShard, batches: ArraySlice<PreparedBatch>, round: Int) throws -> Run {
    let writes = connections * batches.count
    tally.expect(writes * messageBytes)
    let server0 = try threadCPU(serverLoop)
    let client0 = try threadCPU(clientLoop)
    let process0 = CPUClock.process()
    let wall0 = CPUClock.wall()
    for batch in batches {
        shard.deliver(batch)
    }
    guard tally.wait(seconds: 120) else {
        fail("\(shard.name): the clients did not receive all \(writes) messages within 120 s")
    }
    let wall1 = CPUClock.wall()
    let process1 = CPUClock.process()
    let server1 = try threadCPU(serverLoop)
    let client1 = try threadCPU(clientLoop)
    let perWrite = { (nanoseconds: Int) in Double(nanoseconds) / 1_000 / Double(writes) }
    return Run(
        shard: shard.name, round: round, writes: writes, wallMs: Double(wall1 - wall0) / 1e6,
        processCPUMicrosPerWrite: perWrite(process1 - process0),
        serverLoopCPUMicrosPerWrite: perWrite(server1 - server0),
        clientLoopCPUMicrosPerWrite: perWrite(client1 - client0),
        otherCPUMicrosPerWrite: perWrite((process1 - process0) - (server1 - server0) - (client1 - client0))
    )
}

printError("ShardExecutors: \(grouped(connections)) connections, \(grouped(batchCount)) batches of one \(frameBytes)-byte frame (\(messageBytes) bytes on the wire) per run, \(rounds) rounds")
// A warm-up of each shard, not recorded: allocator pools, the Dispatch worker, socket buffers.
let warmUp = batches.prefix(max(1, batchCount / 5))
for shard in shards {
    _ = try measure(shard, batches: warmUp, round: 0)
}
var runs: [Run] = []
for round in 1...rounds {
    // Alternate, and rotate who goes first, so that drift on a shared machine is spread evenly.
    for offset in 0..<shards.count {
        let shard = shards[(round - 1 + offset) % shards.count]
        let run = try measure(shard, batches: batches[...], round: round)
        runs.append(run)
        printError("  round \(round)  \(run.shard.padding(toLength: 22, withPad: " ", startingAt: 0))  \(fixed(run.processCPUMicrosPerWrite, 2)) µs CPU/write  \(fixed(run.wallMs, 0)) ms")
    }
}

// MARK: Every byte, exactly

let sentBatches = warmUp.count * shards.count + batchCount * shards.count * rounds
let counters = try clientLoop.submit { handlers.value.map(\.counter) }.wait()
for (index, counter) in counters.enumerated() {
    guard counter.textFrames == 1, counter.binaryFrames == sentBatches, counter.binaryPayloadBytes == sentBatches * payloadBytes,
        counter.audioFrames == sentBatches, counter.closeFrames == 0, counter.otherFrames == 0
    else {
        fail("client \(index) received \(counter.textFrames) text and \(counter.binaryFrames) binary frames (\(counter.binaryPayloadBytes) payload bytes); expected 1 and \(sentBatches) (\(sentBatches * payloadBytes) bytes)")
    }
}
let stats = relay.handles[0].stats
guard stats.droppedBatches == 0, stats.shedBatches == 0 else {
    fail("the relay dropped \(stats.droppedBatches) and shed \(stats.shedBatches) batches")
}

// MARK: Report

struct Summary: Codable {
    var shard: String
    var runs: Int
    var wallMs: Double
    var writesPerSecond: Double
    var processCPUMicrosPerWrite: Double
    var serverLoopCPUMicrosPerWrite: Double
    var clientLoopCPUMicrosPerWrite: Double
    var otherCPUMicrosPerWrite: Double
}

func summarize(_ name: String, runs: [Run]) -> Summary {
    let mine = runs.filter { $0.shard == name }
    let wall = median(mine.map(\.wallMs))
    return Summary(
        shard: name, runs: mine.count, wallMs: wall, writesPerSecond: Double(connections * batchCount) / (wall / 1_000),
        processCPUMicrosPerWrite: median(mine.map(\.processCPUMicrosPerWrite)),
        serverLoopCPUMicrosPerWrite: median(mine.map(\.serverLoopCPUMicrosPerWrite)),
        clientLoopCPUMicrosPerWrite: median(mine.map(\.clientLoopCPUMicrosPerWrite)),
        otherCPUMicrosPerWrite: median(mine.map(\.otherCPUMicrosPerWrite))
    )
}

let summaries = shards.map { summarize($0.name, runs: runs) }
let eventLoop = summaries[0]
let dispatch = summaries[1]
let plain = summaries[2]
/// Sending side only: the process less the client loop that reads.
func sending(_ summary: Summary) -> Double { summary.processCPUMicrosPerWrite - summary.clientLoopCPUMicrosPerWrite }
let ratio = dispatch.processCPUMicrosPerWrite / eventLoop.processCPUMicrosPerWrite
let sendingRatio = sending(dispatch) / sending(eventLoop)

print("ShardExecutors: Dispatch/EventLoop = \(fixed(ratio, 2))× process CPU per write (\(fixed(dispatch.processCPUMicrosPerWrite, 2)) vs \(fixed(eventLoop.processCPUMicrosPerWrite, 2)) µs; sending side alone \(fixed(sendingRatio, 2))×), medians of \(rounds); \(grouped(connections)) clients each received exactly \(grouped(sentBatches)) batches")
var table = TextTable(["shard", "wall ms", "writes/s", "CPU µs/write", "server loop", "client loop", "other threads", "vs event-loop"])
for summary in summaries {
    table.add([
        summary.shard, fixed(summary.wallMs, 0), grouped(Int(summary.writesPerSecond)), fixed(summary.processCPUMicrosPerWrite, 2),
        fixed(summary.serverLoopCPUMicrosPerWrite, 2), fixed(summary.clientLoopCPUMicrosPerWrite, 2), fixed(summary.otherCPUMicrosPerWrite, 2),
        fixed(summary.processCPUMicrosPerWrite / eventLoop.processCPUMicrosPerWrite, 2) + "×",
    ])
}
print(table.rendered)

struct Report: Codable {
    var benchmark = "ShardExecutors"
    var date: String
    var command: String
    var cores: Int
    var connections: Int
    var batchesPerRun: Int
    var rounds: Int
    var frameBytes: Int
    var messageBytes: Int
    var baseline: String
    var dispatchOverEventLoopCPU: Double
    var dispatchOverEventLoopSendingCPU: Double
    var plainNIOOverEventLoopCPU: Double
    var exactBytesVerified: Bool
    var shards: [Summary]
    var runs: [Run]
}
try ResultFile.write(
    Report(
        date: ResultFile.today, command: ResultFile.commandLine, cores: System.coreCount, connections: connections, batchesPerRun: batchCount,
        rounds: rounds, frameBytes: frameBytes, messageBytes: messageBytes,
        baseline: "event-loop (Relay): the project's shard on its NIO event loop, same connections, same run",
        dispatchOverEventLoopCPU: ratio, dispatchOverEventLoopSendingCPU: sendingRatio,
        plainNIOOverEventLoopCPU: plain.processCPUMicrosPerWrite / eventLoop.processCPUMicrosPerWrite,
        exactBytesVerified: true, shards: summaries, runs: runs
    ),
    to: jsonPath
)
printError("figures written to \(jsonPath)")

// MARK: Stop everything started here

for client in clients {
    client.close(promise: nil)
}
try? server.close().wait()
try serverGroup.syncShutdownGracefully()
try clientGroup.syncShutdownGracefully()
