import ArgumentParser
import Foundation
import ServiceLifecycle
import SpacesClient
import SpacesCore
import Synchronization
import UnixSignals

struct HostCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "host",
        abstract: "Start and end Spaces as their host.",
        subcommands: [Start.self, End.self]
    )

    struct Start: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a Space and stream audio to it at real time; end it at end of input or on Ctrl-C."
        )

        @OptionGroup var client: ClientOptions

        @Option(help: "Title of the Space.")
        var title: String

        @Option(help: "Listener capacity (the server's default when omitted).")
        var capacity: Int?

        @Option(help: "talk.wav (PCM, 8/12/16/24/48 kHz, mono or stereo), talk.opus (Ogg Opus, sent as is), or - for raw s16le PCM on stdin.")
        var input: String?

        @Option(help: "Stream a sine tone of this frequency in Hz instead of an input.")
        var tone: Double?

        @Option(help: "Stop after this many seconds.")
        var duration: Double?

        @Option(help: "Opus bitrate in bit/s when encoding.")
        var bitrate = 32_000

        @Option(help: "Sample rate of raw PCM on stdin.")
        var rate = 48_000

        @Option(help: "Channels of raw PCM on stdin.")
        var channels = 1

        @Option(name: .customLong("frames-per-batch"), help: "20 ms frames per message to the server (1…50).")
        var framesPerBatch = 1

        func validate() throws {
            guard (self.input == nil) != (self.tone == nil) else {
                throw ValidationError("give exactly one source: --input FILE|- or --tone HZ")
            }
            if let tone, !(20...20_000).contains(tone) { throw ValidationError("--tone must be within 20…20000 Hz") }
            if let duration, duration <= 0 { throw ValidationError("--duration must be positive") }
            if !(6_000...510_000).contains(self.bitrate) { throw ValidationError("--bitrate must be within 6000…510000") }
            if ![8_000, 12_000, 16_000, 24_000, 48_000].contains(self.rate) {
                throw ValidationError("--rate must be 8000, 12000, 16000, 24000 or 48000")
            }
            if ![1, 2].contains(self.channels) { throw ValidationError("--channels must be 1 or 2") }
            if !(1...50).contains(self.framesPerBatch) { throw ValidationError("--frames-per-batch must be within 1…50") }
        }

        func makeSource() -> @Sendable () throws -> any PacketSource {
            let (input, tone, duration, bitrate, rate, channels) = (self.input, self.tone, self.duration, self.bitrate, self.rate, self.channels)
            return {
                if let tone {
                    return try EncodingPacketSource(pcm: TonePCMSource(frequency: tone, seconds: duration), bitrate: bitrate)
                }
                let path = input!
                if path == "-" {
                    return try EncodingPacketSource(pcm: StdinPCMSource(sampleRate: rate, channels: channels), bitrate: bitrate)
                }
                if path.lowercased().hasSuffix(".opus") || path.lowercased().hasSuffix(".ogg") {
                    return try OggPacketSource(path: path)
                }
                return try EncodingPacketSource(pcm: WAVPCMSource(path: path), bitrate: bitrate)
            }
        }

        func run() async throws {
            lineBufferedOutput()
            let streamer = HostStreamer(
                api: try SpacesAPIClient(server: self.client.server), hostKey: try self.client.requireHostKey(),
                title: self.title, capacity: self.capacity, framesPerBatch: self.framesPerBatch
            )
            let line = LiveLine()
            let tick = Tick()
            let duration = self.duration
            let source = self.makeSource()
            let status = try await withThrowingTaskGroup(of: HostStreamer.Status?.self, returning: HostStreamer.Status?.self) { group in
                group.addTask {
                    try await streamer.run(
                        source: { try DurationLimitedSource(upstream: source(), seconds: duration) },
                        onCreated: { space in
                            print("Space \(space.id) \"\(space.title)\" is live")
                            print("listen: spaces listen \(space.listenURL)")
                            print("end:    spaces host end \(space.id) --token \(space.hostToken)")
                        },
                        onStatus: { status in
                            line.update(
                                "listeners \(status.listeners)  frames relayed \(status.framesRelayed)  invalid \(status.invalidPackets)",
                                tick: tick.next()
                            )
                        }
                    )
                }
                group.addTask {
                    try await waitForTerminationSignal()
                    return nil
                }
                let first = try await group.next()!
                group.cancelAll()
                if let first { return first }
                // A signal: the streamer ends the Space as it unwinds.
                do {
                    if let next = try await group.next() { return next }
                } catch is CancellationError {}
                return nil
            }
            line.finish()
            if let status {
                print("ended Space \(status.space.id): \(status.framesSent) frames sent, \(status.framesRelayed) relayed, peak listeners \(status.listeners)")
            }
        }
    }

    struct End: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "End a Space.")

        @OptionGroup var client: ClientOptions

        @Argument(help: "The Space's id.")
        var id: String

        @Option(help: "The Space's host token (else the host key is used).")
        var token: String?

        func run() async throws {
            let api = try SpacesAPIClient(server: self.client.server)
            let info = try await api.endSpace(id: self.id, token: try self.token ?? self.client.requireHostKey())
            print("Space \(info.id) \"\(info.title)\" is \(info.state.rawValue)")
        }
    }
}

/// Counts status updates for ``LiveLine``.
final class Tick: Sendable {
    private let value = Mutex<Int>(0)
    func next() -> Int { self.value.withLock { $0 += 1; return $0 } }
}

/// Stops a source after a number of seconds of audio.
struct DurationLimitedSource: PacketSource {
    var upstream: any PacketSource
    var remainingMicros: Int?
    var channels: Int { self.upstream.channels }

    init(upstream: any PacketSource, seconds: Double?) {
        self.upstream = upstream
        self.remainingMicros = seconds.map { Int($0 * 1_000_000) }
    }

    mutating func nextPacket() throws -> (packet: [UInt8], durationMicros: Int)? {
        if let remaining = self.remainingMicros, remaining <= 0 { return nil }
        guard let next = try self.upstream.nextPacket() else { return nil }
        self.remainingMicros = self.remainingMicros.map { $0 - next.durationMicros }
        return next
    }
}
