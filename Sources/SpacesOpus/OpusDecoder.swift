import COpus

/// Decodes Opus packets into interleaved 16-bit PCM.
///
/// Holds mutable libopus state: it is not thread-safe and should have a single owner.
public final class OpusDecoder {
    /// Output sample rate in Hz.
    public let sampleRate: Int
    /// Number of interleaved output channels (1 or 2).
    public let channels: Int
    /// Samples per channel in the longest possible packet (120 ms).
    public let maxFrameSamples: Int

    private let state: OpaquePointer

    /// Creates a decoder.
    ///
    /// - Parameters:
    ///   - sampleRate: 8000, 12000, 16000, 24000 or 48000.
    ///   - channels: 1 or 2; packets are up- or down-mixed to this count.
    /// - Throws: ``OpusError`` for unsupported parameters or a libopus failure.
    public init(sampleRate: Int = 48_000, channels: Int) throws {
        guard OpusEncoder.supportedSampleRates.contains(sampleRate) else {
            throw OpusError.unsupportedSampleRate(sampleRate)
        }
        guard (1...2).contains(channels) else {
            throw OpusError.unsupportedChannelCount(channels)
        }
        var code: Int32 = OPUS_OK
        let created = opus_decoder_create(Int32(sampleRate), Int32(channels), &code)
        guard let state = created, code == OPUS_OK else {
            if let created { opus_decoder_destroy(created) }
            throw OpusError.libopus(function: "opus_decoder_create", code: code)
        }
        self.state = state
        self.sampleRate = sampleRate
        self.channels = channels
        self.maxFrameSamples = sampleRate * 120 / 1000
    }

    deinit {
        opus_decoder_destroy(state)
    }

    /// Decodes one packet.
    ///
    /// - Returns: Interleaved samples; the count per channel follows the packet's duration.
    /// - Throws: ``OpusError/emptyPacket`` or a libopus error for a corrupt packet.
    public func decode(_ packet: [UInt8]) throws -> [Int16] {
        guard !packet.isEmpty else { throw OpusError.emptyPacket }
        return try run(frameSamples: maxFrameSamples) { state, output, frames in
            packet.withUnsafeBufferPointer { input in
                opus_decode(state, input.baseAddress, Int32(input.count), output, frames, 0)
            }
        }
    }

    /// Produces concealment audio for a lost packet.
    ///
    /// - Parameter frameSamples: Samples per channel to generate, a multiple of 2.5 ms
    ///   at ``sampleRate`` and at most 120 ms (960 for 20 ms at 48 kHz).
    /// - Returns: `frameSamples * channels` interleaved samples.
    public func decodeLost(frameSamples: Int) throws -> [Int16] {
        guard frameSamples > 0, frameSamples <= maxFrameSamples, (frameSamples * 400) % sampleRate == 0 else {
            throw OpusError.invalidFrameSize(frameSamples)
        }
        return try run(frameSamples: frameSamples) { state, output, frames in
            opus_decode(state, nil, 0, output, frames, 0)
        }
    }

    /// The number of samples per channel `packet` decodes to at `sampleRate`, read from its TOC.
    ///
    /// - Throws: ``OpusError/emptyPacket``, ``OpusError/unsupportedSampleRate(_:)``, or a
    ///   libopus error if the TOC or frame-count byte is invalid.
    public static func sampleCount(of packet: [UInt8], sampleRate: Int = 48_000) throws -> Int {
        guard !packet.isEmpty else { throw OpusError.emptyPacket }
        guard OpusEncoder.supportedSampleRates.contains(sampleRate) else {
            throw OpusError.unsupportedSampleRate(sampleRate)
        }
        let count = packet.withUnsafeBufferPointer { buffer in
            // The packet is non-empty, so the buffer has a base address.
            opus_packet_get_nb_samples(buffer.baseAddress!, Int32(buffer.count), Int32(sampleRate))
        }
        guard count > 0 else {
            throw OpusError.libopus(function: "opus_packet_get_nb_samples", code: count < 0 ? count : OPUS_INVALID_PACKET)
        }
        return Int(count)
    }

    private func run(
        frameSamples: Int,
        _ body: (OpaquePointer, UnsafeMutablePointer<Int16>, Int32) -> Int32
    ) throws -> [Int16] {
        let state = self.state
        var pcm = [Int16](repeating: 0, count: frameSamples * channels)
        let decoded = pcm.withUnsafeMutableBufferPointer { output in
            // frameSamples > 0, so the buffer is never empty.
            body(state, output.baseAddress!, Int32(frameSamples))
        }
        guard decoded >= 0 else {
            throw OpusError.libopus(function: "opus_decode", code: decoded)
        }
        pcm.removeSubrange((Int(decoded) * channels)...)
        return pcm
    }
}
