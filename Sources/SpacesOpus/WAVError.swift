/// Errors raised while reading or writing WAV files.
public enum WAVError: Error, Equatable, CustomStringConvertible {
    /// The data does not start with a RIFF header.
    case notRIFF
    /// The RIFF form type is not WAVE.
    case notWAVE
    /// The file ends inside the named chunk or header.
    case truncated(String)
    /// A required chunk ("fmt " or "data") is absent.
    case missingChunk(String)
    /// The format tag is not PCM (1), or an extensible format whose subformat is not PCM.
    case unsupportedFormat(Int)
    /// Only 16-bit samples are supported.
    case unsupportedBitsPerSample(Int)
    /// Only mono and stereo are supported.
    case unsupportedChannelCount(Int)
    /// The header declares a sample rate of zero.
    case invalidSampleRate(Int)
    /// The block alignment does not match 16-bit samples for the channel count.
    case invalidBlockAlign(Int)
    /// The data chunk size is not a whole number of sample frames.
    case partialFrame(Int)
    /// The samples do not fit in a WAV file (4 GiB limit).
    case tooLarge

    public var description: String {
        switch self {
        case .notRIFF:
            return "not a WAV file (missing RIFF header)"
        case .notWAVE:
            return "not a WAV file (RIFF form type is not WAVE)"
        case .truncated(let what):
            return "truncated WAV file (ends inside \(what))"
        case .missingChunk(let id):
            return "WAV file has no \"\(id)\" chunk"
        case .unsupportedFormat(let tag):
            return "unsupported WAV format tag \(tag) (only 16-bit integer PCM is supported)"
        case .unsupportedBitsPerSample(let bits):
            return "unsupported WAV sample size \(bits) bits (only 16-bit PCM is supported)"
        case .unsupportedChannelCount(let channels):
            return "unsupported WAV channel count \(channels) (use 1 or 2)"
        case .invalidSampleRate(let rate):
            return "invalid WAV sample rate \(rate)"
        case .invalidBlockAlign(let align):
            return "invalid WAV block alignment \(align)"
        case .partialFrame(let bytes):
            return "WAV data chunk of \(bytes) bytes is not a whole number of sample frames"
        case .tooLarge:
            return "audio too large for a WAV file"
        }
    }
}
