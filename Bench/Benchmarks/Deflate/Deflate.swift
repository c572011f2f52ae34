import Benchmark
import BenchSupport
import NIOCore
// SpacesCompression is not a product of the main package; it comes with SpacesClient's.
import SpacesCompression
import SpacesCore

// One question-queue update (SampleQuestions, ~1.6 KB of JSON) framed for listeners: plain, as
// every listener gets it today, or compressed once for all who agreed to permessage-deflate.
// Each iteration does it 1000 times (`scalingFactor: .kilo`); times and mallocs are printed per
// update. The bytes metrics are the framed sizes (header + payload) of one update.

let benchmarks: @Sendable () -> Void = {
    let framedBytes = BenchmarkMetric.custom("Framed bytes", polarity: .prefersSmaller, useScalingFactor: false)
    let payloadBytes = BenchmarkMetric.custom("Payload bytes", polarity: .prefersSmaller, useScalingFactor: false)
    Benchmark.defaultConfiguration = .init(
        metrics: [.wallClock, ThreadCPUTime.metric, .mallocCountTotal, framedBytes, payloadBytes],
        warmupIterations: 5,
        scalingFactor: .kilo,
        maxDuration: .seconds(2),
        maxIterations: 500
    )

    let json = SampleQuestions.json()
    let plain = PreframedMessage.text(json)

    // What every update costs today: frame the JSON text once.
    Benchmark("Deflate.frame-plain_questions") { benchmark in
        let cpuStart = ThreadCPUTime.now()
        for _ in benchmark.scaledIterations {
            blackHole(PreframedMessage.text(json))
        }
        benchmark.measurement(ThreadCPUTime.metric, ThreadCPUTime.now() - cpuStart)
        benchmark.measurement(framedBytes, plain.bytes.readableBytes)
        benchmark.measurement(payloadBytes, json.utf8.count)
    }

    // What a compressed update costs: deflate the text (no context takeover) and frame it.
    for level in [6, 1] {
        let deflater = Deflater(level: level)
        let compressed = PreframedMessage.deflatedText(json, deflater: deflater)
        let payload = deflater.compress(json.utf8)
        Benchmark("Deflate.deflate-and-frame_questions-level-\(level)") { benchmark in
            let cpuStart = ThreadCPUTime.now()
            for _ in benchmark.scaledIterations {
                blackHole(PreframedMessage.deflatedText(json, deflater: deflater))
            }
            benchmark.measurement(ThreadCPUTime.metric, ThreadCPUTime.now() - cpuStart)
            benchmark.measurement(framedBytes, compressed.bytes.readableBytes)
            benchmark.measurement(payloadBytes, payload.readableBytes)
        } setup: {
            let inflated = try Inflater().inflate(payload, limit: 1 << 20)
            precondition(String(buffer: inflated) == json, "the compressed update does not inflate to the update")
            precondition(compressed.bytes.readableBytesView.first == 0xC1, "not a final text frame with RSV1")
        }
    }

    // What a listener (or the load tester) pays to read it back.
    let payload = Deflater().compress(json.utf8)
    let inflater = Inflater()
    Benchmark("Deflate.inflate_questions") { benchmark in
        let cpuStart = ThreadCPUTime.now()
        for _ in benchmark.scaledIterations {
            blackHole(try inflater.inflate(payload, limit: 1 << 20))
        }
        benchmark.measurement(ThreadCPUTime.metric, ThreadCPUTime.now() - cpuStart)
        benchmark.measurement(payloadBytes, payload.readableBytes)
    }
}
