import Benchmark
import BenchSupport

// Names carry the size after an underscore, not a slash: benchmark 1.38.1 writes a threshold
// file with '/' replaced by '_' but looks it up with the '/' left in, so a name with a slash
// never finds its thresholds.
//
// One iteration sends one audio batch to every one of N listeners, and N is in the name: every
// figure the tool prints is for the whole fan-out, in nanoseconds, so a time divided by N is the
// time per listener (`Fanout.broadcast_10k` at 10,000,000 ns is 1,000 ns per listener). The
// harness's `scalingFactor` cannot express this: it only scales by powers of 1000.
//
// The channels are `EmbeddedChannel`s: a write ends in an in-memory queue, not in a socket, so
// these figures are the user-space cost of the fan-out without the kernel's send path (about
// three quarters of the server's CPU on loopback). Compare the paths with each other, within one
// run, as ratios; absolute times drift between machines and runs.
//
// Setup (making N channels) happens in the first, unmeasured warmup iteration, and reading
// the channels' queues after each send happens outside the measured region.
//
// CPU is the fan-out thread's own CPU clock (see ThreadCPUTime), not the harness's `cpuTotal`:
// that one reads /proc around every measured region, which counts 16 to 18 mallocs of its own
// into `mallocCountTotal` and ticks in 10 ms steps on Linux.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, ThreadCPUTime.metric, .mallocCountTotal],
        timeUnits: .nanoseconds,
        units: [ThreadCPUTime.metric: .count],
        warmupIterations: 1,
        maxDuration: .seconds(2)
    )

    let sizes: [(name: String, listeners: Int, maxIterations: Int)] = [
        ("1k", 1_000, 2_000),
        ("10k", 10_000, 300),
        ("100k", 100_000, 40),
    ]

    for size in sizes {
        fanout("Fanout.broadcast_\(size.name)", .relay, listeners: size.listeners, frames: 1, maxIterations: size.maxIterations)
        fanout("Fanout.baseline-direct-write_\(size.name)", .directWrite, listeners: size.listeners, frames: 1, maxIterations: size.maxIterations)
        fanout(
            "Fanout.per-listener-frame-encoding_\(size.name)", .frameEncoding, listeners: size.listeners, frames: 1,
            maxIterations: size.maxIterations
        )
    }
    // Five 20 ms frames in one batch: the same number of writes carries five times the audio.
    fanout("Fanout.broadcast-5-frames_10k", .relay, listeners: 10_000, frames: 5, maxIterations: 300)
}

/// Registers a benchmark that sends one batch of `frames` frames to `listeners` listeners over
/// `path` per iteration.
private func fanout(_ name: String, _ path: FanoutPath, listeners: Int, frames: Int, maxIterations: Int) {
    var configuration = Benchmark.defaultConfiguration
    configuration.maxIterations = maxIterations
    // Built inside the closure, on the thread that runs the iterations (see FanoutFixture).
    var fixture: FanoutFixture?
    Benchmark(name, configuration: configuration) { benchmark in
        let current = try fixture ?? FanoutFixture(path: path, listeners: listeners, batch: SampleBatch.make(frames: frames))
        fixture = current
        benchmark.startMeasurement()
        let cpuStart = ThreadCPUTime.now()
        current.send()
        let cpuEnd = ThreadCPUTime.now()
        benchmark.stopMeasurement()
        benchmark.measurement(ThreadCPUTime.metric, cpuEnd - cpuStart)
        try current.drain()
    }
}
