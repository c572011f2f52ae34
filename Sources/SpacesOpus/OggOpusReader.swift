/// Reads Opus packets from an Ogg Opus file (RFC 7845).
///
/// Validates OpusHead (mapping family 0, mono or stereo), skips OpusTags, and then
/// returns the audio packets in order. Not thread-safe: keep a single owner.
public final class OggOpusReader {
    /// Channel count declared in OpusHead (1 or 2).
    public let channels: Int
    /// Samples at 48 kHz to discard from the start of the decoded audio.
    public let preSkip: Int
    /// Original input sample rate declared in OpusHead (0 if unknown).
    public let inputSampleRate: Int
    /// Output gain from OpusHead, in Q7.8 dB.
    public let outputGain: Int
    /// Vendor string from OpusTags.
    public let vendor: String

    private let stream: OggStreamReader

    /// Opens and reads the file at `path`, then parses its headers.
    ///
    /// - Throws: ``AudioFileError`` if the file cannot be read, ``OggOpusError`` if it is not valid Ogg Opus.
    public convenience init(path: String) throws {
        try self.init(data: BinaryFile.read(path: path))
    }

    /// Parses the headers of an in-memory Ogg Opus file.
    ///
    /// - Throws: ``OggOpusError`` if the data is not a valid Ogg Opus stream.
    public init(data: [UInt8]) throws {
        let stream = try OggStreamReader(bytes: data)
        guard let first = try stream.nextPacket() else { throw OggOpusError.notOpus }
        let head = try OpusHead(parsing: first)
        guard let second = try stream.nextPacket() else { throw OggOpusError.missingTags }
        let tags = try OpusTags(parsing: second)
        self.stream = stream
        channels = head.channels
        preSkip = head.preSkip
        inputSampleRate = head.inputSampleRate
        outputGain = head.outputGain
        vendor = tags.vendor
    }

    /// The next audio packet, or nil after the last one.
    ///
    /// - Throws: ``OggOpusError`` if the stream is corrupt or truncated.
    public func nextPacket() throws -> [UInt8]? {
        try stream.nextPacket()
    }
}
