import Benchmark
import BenchSupport
import NIOCore
import SpacesCore

// Each iteration encodes or decodes 1000 batches (`scalingFactor: .kilo`); the tool prints
// figures per batch (marked `*`), so a malloc count of 1 means one allocation per batch.

let benchmarks: @Sendable () -> Void = {
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, ThreadCPUTime.metric, .mallocCountTotal],
        warmupIterations: 10,
        scalingFactor: .kilo,
        maxDuration: .seconds(1),
        maxIterations: 2_000
    )

    for (name, frames) in [("1-frame", 1), ("5-frames", 5)] {
        let batch = SampleBatch.make(frames: frames)
        let encoded = SampleBatch.encoded(batch)

        // What the server does once per batch it relays: frame it as a WebSocket binary message.
        Benchmark("Wire.encode-batch_\(name)") { benchmark in
            let cpuStart = ThreadCPUTime.now()
            for _ in benchmark.scaledIterations {
                blackHole(PreframedMessage(batch: batch))
            }
            benchmark.measurement(ThreadCPUTime.metric, ThreadCPUTime.now() - cpuStart)
        } setup: {
            let framed = PreframedMessage(batch: batch).bytes
            precondition(
                framed.readableBytesView.suffix(encoded.readableBytes).elementsEqual(encoded.readableBytesView),
                "the framed batch does not end with the encoded batch"
            )
        }

        // What the server does with each batch a host publishes: parse it, slicing the frames.
        Benchmark("Wire.decode-batch_\(name)") { benchmark in
            let cpuStart = ThreadCPUTime.now()
            for _ in benchmark.scaledIterations {
                blackHole(try AudioBatch.decode(encoded))
            }
            benchmark.measurement(ThreadCPUTime.metric, ThreadCPUTime.now() - cpuStart)
        } setup: {
            let decoded = try AudioBatch.decode(encoded)
            precondition(decoded == batch, "decoding the sample batch did not give it back")
        }
    }
}
