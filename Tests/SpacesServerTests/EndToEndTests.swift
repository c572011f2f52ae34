import Foundation
import NIOCore
@testable import SpacesCLI
import SpacesClient
import SpacesCore
import SpacesOpus
import XCTest

/// The whole path: `spaces host start --tone 440` → node → three listeners, over loopback.
final class EndToEndTests: XCTestCase {
    func testToneReachesThreeListenersInOrderAndDecodesAt440Hz() async throws {
        let node = try await TestServer.start()
        let host = try HostCommand.Start.parse([
            "--server", node.base, "--host-key", TestServer.hostKey,
            "--title", "Tone", "--tone", "440", "--duration", "5", "--plain",
        ])
        let hosting = Task { try await host.run() }

        // Join as soon as the Space exists, before most of its audio.
        var spaceID: String?
        try await eventually {
            spaceID = node.server.registry.all().first { $0.title == "Tone" }?.id
            return spaceID != nil
        }
        let listenURL = try XCTUnwrap(node.url("/v1/spaces/\(XCTUnwrap(spaceID))/listen")).description
        let reports = try await withThrowingTaskGroup(of: (ListenReport, [[UInt8]]).self) { group in
            for _ in 0..<3 {
                group.addTask {
                    var packets: [[UInt8]] = []
                    let report = try await Listener(url: listenURL).listen(
                        duration: .seconds(15),
                        onBatch: { batch in packets += batch.frames.map { Array($0.readableBytesView) } }
                    )
                    return (report, packets)
                }
            }
            var all: [(ListenReport, [[UInt8]])] = []
            for try await result in group { all.append(result) }
            return all
        }
        try await hosting.value

        for (report, packets) in reports {
            XCTAssertEqual(report.welcome?.codec, Codec(channels: 1))
            XCTAssertEqual(report.ended?.reason, "ended", "the host ended the Space at end of input")
            XCTAssertEqual(report.closeCode, CloseCode.ended.rawValue)
            XCTAssertEqual(report.sequence.gaps, 0, "no sequence gaps")
            XCTAssertEqual(report.sequence.lost, 0)
            XCTAssertEqual(report.sequence.outOfOrder, 0)
            // 5 s of 20 ms frames is 250; a listener joins a few frames after the Space starts.
            XCTAssertGreaterThan(report.sequence.received, 200)
            XCTAssertLessThanOrEqual(report.sequence.received, 250)
            XCTAssertEqual(report.sequence.expected, 250, "the last frame heard is the last one sent")
            XCTAssertEqual(packets.count, report.sequence.received)

            let decoder = try OpusDecoder(sampleRate: 48_000, channels: 1)
            var pcm: [Int16] = []
            for packet in packets { pcm += try decoder.decode(packet) }
            let tail = Array(pcm.dropFirst(48_000 / 5))  // past the decoder's warm-up
            let frequency = FrequencyEstimator.dominantFrequency(tail, sampleRate: 48_000)
            XCTAssertEqual(frequency, 440, accuracy: 5)
        }
        let info = try await node.api.space(id: XCTUnwrap(spaceID))
        XCTAssertEqual(info.state, .ended)
        XCTAssertEqual(try node.server.registry.space(id: XCTUnwrap(spaceID))?.invalidPackets, 0)
        await node.stop()
    }

    func testListenCommandWritesOggAndWav() async throws {
        let node = try await TestServer.start()
        let host = try HostCommand.Start.parse([
            "--server", node.base, "--host-key", TestServer.hostKey,
            "--title", "Recorded", "--tone", "440", "--duration", "3", "--plain",
        ])
        let hosting = Task { try await host.run() }
        var spaceID: String?
        try await eventually {
            spaceID = node.server.registry.all().first { $0.title == "Recorded" }?.id
            return spaceID != nil
        }
        let url = try node.url("/v1/spaces/\(XCTUnwrap(spaceID))/listen").description
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spaces-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let ogg = directory.appendingPathComponent("heard.ogg").path
        let wav = directory.appendingPathComponent("heard.wav").path
        async let first: Void = ListenCommand.parse([url, "--out", ogg, "--duration", "10"]).run()
        async let second: Void = ListenCommand.parse([url, "--out", wav, "--duration", "10"]).run()
        _ = try await (first, second)
        try await hosting.value

        let reader = try OggOpusReader(path: ogg)
        XCTAssertEqual(reader.channels, 1)
        var packets = 0
        while try reader.nextPacket() != nil { packets += 1 }
        XCTAssertGreaterThan(packets, 100)

        let decoded = try WAVFile.read(path: wav)
        XCTAssertEqual(decoded.sampleRate, 48_000)
        XCTAssertGreaterThan(decoded.duration, 2)
        let frequency = FrequencyEstimator.dominantFrequency(Array(decoded.samples.dropFirst(9_600)), sampleRate: 48_000)
        XCTAssertEqual(frequency, 440, accuracy: 5)
        await node.stop()
    }
}
