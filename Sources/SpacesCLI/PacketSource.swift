import SpacesCore
import SpacesOpus

/// Opus packets to publish, each with its duration for pacing.
protocol PacketSource {
    var channels: Int { get }
    /// The next packet and its duration in µs; nil at the end.
    mutating func nextPacket() throws -> (packet: [UInt8], durationMicros: Int)?
}

/// Encodes PCM with libopus in 20 ms frames (voice tuning).
struct EncodingPacketSource: PacketSource {
    private var pcm: any PCMSource
    private let encoder: OpusEncoder
    var channels: Int { self.pcm.channels }

    init(pcm: any PCMSource, bitrate: Int) throws {
        self.pcm = pcm
        self.encoder = try OpusEncoder(sampleRate: pcm.sampleRate, channels: pcm.channels, bitrate: bitrate, application: .voip)
    }

    mutating func nextPacket() throws -> (packet: [UInt8], durationMicros: Int)? {
        let wanted = self.encoder.frameSamples * self.pcm.channels
        guard var samples = try self.pcm.next(frameSamples: self.encoder.frameSamples), !samples.isEmpty else { return nil }
        if samples.count < wanted { samples += repeatElement(0, count: wanted - samples.count) }
        return (try self.encoder.encode(samples), 20_000)
    }
}

/// Packets of an Ogg Opus file, sent as they are.
struct OggPacketSource: PacketSource {
    private let reader: OggOpusReader
    var channels: Int { self.reader.channels }

    init(path: String) throws {
        self.reader = try OggOpusReader(path: path)
    }

    mutating func nextPacket() throws -> (packet: [UInt8], durationMicros: Int)? {
        guard let packet = try self.reader.nextPacket() else { return nil }
        let samples = (try? OpusDecoder.sampleCount(of: packet)) ?? 960
        return (packet, samples * 1_000_000 / 48_000)
    }
}
