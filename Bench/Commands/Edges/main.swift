// Edges: what fan-out across many nodes costs Redis, measured without the nodes.
//
// N simulated edges (each one RedisSubscriber connection, as a node has) subscribe to one
// Space's sharded audio channel; one origin publishes a batch every 20 ms, as a node holding a
// host does. Each edge counts the batches it gets and their delivery time (publish to receipt).
// Reported per phase: delivered/expected, delivery p50/p99/max, and the Redis server's CPU
// (from /proc/PID/stat) as a share of one core. A phase with 1 edge runs first, in the same run,
// as the baseline.
//
// Usage: Edges --redis redis://127.0.0.1:PORT --redis-pid PID [--edges 500] [--seconds 20]
//              [--batch-bytes 190]
import Foundation
import NIOCore
import NIOPosix
import SpacesRedis
import Synchronization

struct Options {
    var redis = ""
    var redisPID: Int32 = 0
    var edges = 500
    var seconds = 20
    var batchBytes = 190  // a one-frame batch at 64 kbit/s: 14 + 2 + 160, plus the envelope

    init(_ arguments: [String]) {
        var iterator = arguments.dropFirst().makeIterator()
        while let flag = iterator.next() {
            let value = iterator.next() ?? ""
            switch flag {
            case "--redis": self.redis = value
            case "--redis-pid": self.redisPID = Int32(value) ?? 0
            case "--edges": self.edges = Int(value) ?? self.edges
            case "--seconds": self.seconds = Int(value) ?? self.seconds
            case "--batch-bytes": self.batchBytes = max(16, Int(value) ?? self.batchBytes)
            default: fatalError("unknown flag \(flag)")
            }
        }
        precondition(!self.redis.isEmpty && self.redisPID > 0, "--redis URL and --redis-pid PID are required")
    }
}

final class Samples: Sendable {
    private let values = Mutex<[UInt64]>([])
    func add(_ micros: UInt64) { self.values.withLock { $0.append(micros) } }
    var all: [UInt64] { self.values.withLock { $0 } }
}

func nowMicros() -> UInt64 {
    var time = timespec()
    clock_gettime(CLOCK_REALTIME, &time)
    return UInt64(time.tv_sec) * 1_000_000 + UInt64(time.tv_nsec) / 1000
}

/// utime + stime of a process, in clock ticks.
func cpuTicks(_ pid: Int32) -> Int {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
    else { return 0 }
    let fields = stat[stat.index(after: close)...].split(separator: " ")
    // After the command: state is field 3, utime 14, stime 15 (1-based in proc(5)).
    return (Int(fields[11]) ?? 0) + (Int(fields[12]) ?? 0)
}

struct Phase {
    let edges: Int
    let delivered: Int
    let expected: Int
    let p50: UInt64
    let p99: UInt64
    let max: UInt64
    let redisCore: Double
}

func run(edges count: Int, options: Options, group: MultiThreadedEventLoopGroup) async throws -> Phase {
    let url = try RedisURL(options.redis)
    let samples = Samples()
    let channel = RedisChannel.sharded("bench:audio:{space}")
    var configuration = RedisConfiguration(url: url)
    configuration.clientName = "bench-edge"
    let edges = (0..<count).map { _ in
        RedisSubscriber(configuration: configuration, eventLoop: group.next()) { message in
            let received = nowMicros()
            guard let sent = message.payload.getInteger(at: message.payload.readerIndex, as: UInt64.self) else { return }
            samples.add(received &- sent)
        }
    }
    for edge in edges { edge.start() }
    for edge in edges { try await edge.subscribe(channel).get() }

    let origin = RedisClient(configuration: RedisConfiguration(url: url), eventLoop: group.next())
    try await origin.connect()
    let batches = options.seconds * 50
    let ticksPerSecond = Double(sysconf(Int32(_SC_CLK_TCK)))
    let cpuBefore = cpuTicks(options.redisPID)
    let started = ContinuousClock.now
    for index in 0..<batches {
        var payload = ByteBuffer()
        payload.writeInteger(nowMicros())
        payload.writeRepeatingByte(0x2A, count: options.batchBytes - 8)
        _ = origin.send(RedisCommand("SPUBLISH", .string(channel.name), .bytes(payload)))
        try await Task.sleep(until: started + .milliseconds(20 * (index + 1)))
    }
    try await Task.sleep(for: .milliseconds(500))
    let elapsed = ContinuousClock.now - started
    let cpuAfter = cpuTicks(options.redisPID)
    let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
    await origin.close()
    for edge in edges { await edge.close() }

    let sorted = samples.all.sorted()
    func quantile(_ q: Double) -> UInt64 { sorted.isEmpty ? 0 : sorted[min(sorted.count - 1, Int(Double(sorted.count) * q))] }
    return Phase(
        edges: count, delivered: sorted.count, expected: batches * count, p50: quantile(0.5), p99: quantile(0.99),
        max: sorted.last ?? 0, redisCore: Double(cpuAfter - cpuBefore) / ticksPerSecond / seconds
    )
}

let options = Options(CommandLine.arguments)
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let baseline = try await run(edges: 1, options: options, group: group)
let measured = try await run(edges: options.edges, options: options, group: group)
for phase in [baseline, measured] {
    print(String(
        format: "edges %5d  delivered %8d/%8d  delivery p50 %6.2f ms  p99 %6.2f ms  max %7.2f ms  redis %5.1f %% of a core",
        phase.edges, phase.delivered, phase.expected, Double(phase.p50) / 1000, Double(phase.p99) / 1000, Double(phase.max) / 1000,
        phase.redisCore * 100
    ))
}
print(String(
    format: "ratio (%d edges / 1): delivery p99 x%.2f, redis CPU x%.1f; messages out of Redis per second: %d",
    measured.edges, Double(measured.p99) / Double(max(1, baseline.p99)), measured.redisCore / max(0.0001, baseline.redisCore),
    measured.edges * 50
))
