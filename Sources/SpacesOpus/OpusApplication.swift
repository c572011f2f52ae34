import COpus

/// The libopus coding mode, chosen when an ``OpusEncoder`` is created.
public enum OpusApplication: Sendable, Equatable, CaseIterable {
    /// Best quality for speech; the encoder is also told the signal is voice.
    case voip
    /// Best quality for music and general audio.
    case audio
    /// Lowest algorithmic delay (CELT only).
    case lowDelay

    var libopusValue: Int32 {
        switch self {
        case .voip: return OPUS_APPLICATION_VOIP
        case .audio: return OPUS_APPLICATION_AUDIO
        case .lowDelay: return OPUS_APPLICATION_RESTRICTED_LOWDELAY
        }
    }
}
