import COpus

/// Errors raised by ``OpusEncoder`` and ``OpusDecoder``.
public enum OpusError: Error, Equatable, CustomStringConvertible {
    /// libopus only accepts 8000, 12000, 16000, 24000 or 48000 Hz.
    case unsupportedSampleRate(Int)
    /// Only mono and stereo are supported.
    case unsupportedChannelCount(Int)
    /// The requested bitrate is outside 6000...510000 bits per second.
    case invalidBitrate(Int)
    /// `encode` was given the wrong number of interleaved samples.
    case wrongSampleCount(expected: Int, actual: Int)
    /// A zero-length packet was passed where Opus data is required.
    case emptyPacket
    /// A frame size that is not a multiple of 2.5 ms, or longer than 120 ms.
    case invalidFrameSize(Int)
    /// libopus reported an error code from the named function.
    case libopus(function: String, code: Int32)

    public var description: String {
        switch self {
        case .unsupportedSampleRate(let rate):
            return "unsupported Opus sample rate \(rate) Hz (use 8000, 12000, 16000, 24000 or 48000)"
        case .unsupportedChannelCount(let channels):
            return "unsupported channel count \(channels) (use 1 or 2)"
        case .invalidBitrate(let bitrate):
            return "invalid Opus bitrate \(bitrate) bit/s (use 6000...510000)"
        case .wrongSampleCount(let expected, let actual):
            return "expected \(expected) interleaved samples for one frame, got \(actual)"
        case .emptyPacket:
            return "empty Opus packet"
        case .invalidFrameSize(let samples):
            return "invalid frame size \(samples) samples (must be a multiple of 2.5 ms, at most 120 ms)"
        case .libopus(let function, let code):
            let message = opus_strerror(code).map { String(cString: $0) } ?? "unknown error"
            return "\(function) failed: \(message) (\(code))"
        }
    }
}
