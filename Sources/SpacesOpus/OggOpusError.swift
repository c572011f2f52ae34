/// Errors raised while reading or writing Ogg Opus files.
public enum OggOpusError: Error, Equatable, CustomStringConvertible {
    /// The input does not start with an Ogg page ("OggS").
    case notOgg
    /// The first packet of the stream is not an OpusHead header.
    case notOpus
    /// The OpusHead header is shorter than required or internally inconsistent.
    case malformedHeader(String)
    /// The OpusHead major version is not one this reader understands.
    case unsupportedVersion(Int)
    /// The channel count is not supported (mapping family 0 allows 1 or 2).
    case unsupportedChannelCount(Int)
    /// Only channel mapping family 0 (mono or stereo) is supported.
    case unsupportedMappingFamily(Int)
    /// The second packet is not a valid OpusTags header.
    case missingTags
    /// The stream is damaged: bad checksum, missing pages, or stray bytes.
    case corruptStream(String)
    /// The input ended before the end-of-stream page.
    case truncated
    /// A packet given to the writer is not a valid Opus packet.
    case invalidPacket
    /// A value given to the writer does not fit the OpusHead fields.
    case invalidParameter(String)
    /// libogg failed in the named function.
    case libogg(function: String)

    public var description: String {
        switch self {
        case .notOgg:
            return "not an Ogg file (missing \"OggS\" capture pattern)"
        case .notOpus:
            return "not an Ogg Opus stream (first packet is not OpusHead)"
        case .malformedHeader(let reason):
            return "malformed OpusHead: \(reason)"
        case .unsupportedVersion(let version):
            return "unsupported OpusHead version \(version)"
        case .unsupportedChannelCount(let channels):
            return "unsupported channel count \(channels) (use 1 or 2)"
        case .unsupportedMappingFamily(let family):
            return "unsupported channel mapping family \(family) (only family 0, mono or stereo, is supported)"
        case .missingTags:
            return "missing or malformed OpusTags header"
        case .corruptStream(let reason):
            return "corrupt Ogg stream: \(reason)"
        case .truncated:
            return "truncated Ogg stream (ended before the end-of-stream page)"
        case .invalidPacket:
            return "invalid Opus packet"
        case .invalidParameter(let reason):
            return "invalid Ogg Opus parameter: \(reason)"
        case .libogg(let function):
            return "\(function) failed"
        }
    }
}
