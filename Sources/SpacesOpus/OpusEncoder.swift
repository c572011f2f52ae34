import COpus

/// Encodes interleaved 16-bit PCM into Opus packets, one 20 ms frame per packet.
///
/// Holds mutable libopus state: it is not thread-safe and should have a single owner.
public final class OpusEncoder {
    /// Input sample rates accepted by libopus.
    public static let supportedSampleRates: [Int] = [8000, 12000, 16000, 24000, 48000]
    /// Largest packet produced for one frame.
    public static let maxPacketBytes = 1275
    /// Accepted bitrates, in bits per second.
    public static let bitrateRange = 6_000...510_000

    /// Input sample rate in Hz.
    public let sampleRate: Int
    /// Number of interleaved input channels (1 or 2).
    public let channels: Int
    /// Target bitrate in bits per second.
    public let bitrate: Int
    /// The coding mode.
    public let application: OpusApplication
    /// Samples per channel in one 20 ms frame at ``sampleRate``.
    public let frameSamples: Int
    /// Encoder delay in 48 kHz samples; use it as the Ogg Opus pre-skip.
    public let lookahead: Int

    private let state: OpaquePointer

    /// Creates an encoder.
    ///
    /// - Parameters:
    ///   - sampleRate: 8000, 12000, 16000, 24000 or 48000.
    ///   - channels: 1 or 2.
    ///   - bitrate: Target bitrate in bits per second, 6000...510000.
    ///   - application: Coding mode; `.voip` also marks the signal as voice.
    /// - Throws: ``OpusError`` for unsupported parameters or a libopus failure.
    public init(
        sampleRate: Int,
        channels: Int,
        bitrate: Int = 32_000,
        application: OpusApplication = .voip
    ) throws {
        guard Self.supportedSampleRates.contains(sampleRate) else {
            throw OpusError.unsupportedSampleRate(sampleRate)
        }
        guard (1...2).contains(channels) else {
            throw OpusError.unsupportedChannelCount(channels)
        }
        guard Self.bitrateRange.contains(bitrate) else {
            throw OpusError.invalidBitrate(bitrate)
        }
        var code: Int32 = OPUS_OK
        let created = opus_encoder_create(Int32(sampleRate), Int32(channels), application.libopusValue, &code)
        guard let state = created, code == OPUS_OK else {
            if let created { opus_encoder_destroy(created) }
            throw OpusError.libopus(function: "opus_encoder_create", code: code)
        }
        var delay: Int32 = 0
        do {
            try Self.check(spaces_opus_set_bitrate(state, Int32(bitrate)), "OPUS_SET_BITRATE")
            if application == .voip {
                try Self.check(spaces_opus_set_signal(state, OPUS_SIGNAL_VOICE), "OPUS_SET_SIGNAL")
            }
            try Self.check(spaces_opus_get_lookahead(state, &delay), "OPUS_GET_LOOKAHEAD")
        } catch {
            opus_encoder_destroy(state)
            throw error
        }
        self.state = state
        self.sampleRate = sampleRate
        self.channels = channels
        self.bitrate = bitrate
        self.application = application
        self.frameSamples = sampleRate / 50
        self.lookahead = Int(delay) * (48_000 / sampleRate)
    }

    deinit {
        opus_encoder_destroy(state)
    }

    /// Encodes one 20 ms frame.
    ///
    /// - Parameter pcm: Exactly `frameSamples * channels` interleaved samples.
    /// - Returns: One Opus packet of 1...1275 bytes.
    /// - Throws: ``OpusError/wrongSampleCount(expected:actual:)`` or a libopus failure.
    public func encode(_ pcm: [Int16]) throws -> [UInt8] {
        let expected = frameSamples * channels
        guard pcm.count == expected else {
            throw OpusError.wrongSampleCount(expected: expected, actual: pcm.count)
        }
        let state = self.state
        let frameSamples = Int32(self.frameSamples)
        var packet = [UInt8](repeating: 0, count: Self.maxPacketBytes)
        let length = pcm.withUnsafeBufferPointer { input in
            packet.withUnsafeMutableBufferPointer { output in
                // Both buffers are non-empty: the input count was checked above.
                opus_encode(state, input.baseAddress!, frameSamples, output.baseAddress!, Int32(output.count))
            }
        }
        guard length > 0 else {
            throw OpusError.libopus(function: "opus_encode", code: length)
        }
        packet.removeSubrange(Int(length)...)
        return packet
    }

    private static func check(_ code: Int32, _ request: String) throws {
        guard code == OPUS_OK else {
            throw OpusError.libopus(function: "opus_encoder_ctl(\(request))", code: code)
        }
    }
}
