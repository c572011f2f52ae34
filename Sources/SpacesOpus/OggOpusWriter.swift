/// Writes Opus packets to an Ogg Opus file (RFC 7845).
///
/// The OpusHead and OpusTags headers each get their own page; audio pages carry
/// granule positions in 48 kHz samples, and ``close()`` marks the last page as
/// end of stream. Not thread-safe: keep a single owner.
public final class OggOpusWriter {
    /// The vendor string written in OpusTags.
    public static let vendor = "spaces"

    /// Path of the file being written.
    public let path: String
    /// Channel count declared in OpusHead.
    public let channels: Int
    /// Pre-skip declared in OpusHead, in 48 kHz samples.
    public let preSkip: Int
    /// Original input sample rate declared in OpusHead.
    public let inputSampleRate: Int
    /// Number of audio packets accepted so far.
    public private(set) var packetCount = 0
    /// Total audio duration accepted so far, in 48 kHz samples.
    public private(set) var granulePosition: Int64 = 0

    private let file: OutputFile
    private let stream: OggStreamWriter
    /// The most recent packet, held back so that ``close()`` can flag it as the last.
    private var held: (bytes: [UInt8], granule: Int64, ownPage: Bool)?

    /// Creates the file and writes the OpusHead and OpusTags headers.
    ///
    /// - Parameters:
    ///   - path: Destination file, created or truncated.
    ///   - channels: 1 or 2 (channel mapping family 0).
    ///   - preSkip: Samples at 48 kHz the decoder should drop, usually ``OpusEncoder/lookahead``.
    ///   - inputSampleRate: Sample rate of the original audio, for information.
    ///   - serialNumber: Ogg stream serial number; random when nil.
    /// - Throws: ``OggOpusError`` for invalid parameters, ``AudioFileError`` for I/O failures.
    public init(
        path: String,
        channels: Int,
        preSkip: Int = 312,
        inputSampleRate: Int = 48_000,
        serialNumber: Int32? = nil
    ) throws {
        guard (1...2).contains(channels) else { throw OggOpusError.unsupportedChannelCount(channels) }
        guard (0...Int(UInt16.max)).contains(preSkip) else {
            throw OggOpusError.invalidParameter("pre-skip \(preSkip) is outside 0...65535")
        }
        guard (0...Int(UInt32.max)).contains(inputSampleRate) else {
            throw OggOpusError.invalidParameter("input sample rate \(inputSampleRate) is out of range")
        }
        self.path = path
        self.channels = channels
        self.preSkip = preSkip
        self.inputSampleRate = inputSampleRate
        stream = try OggStreamWriter(serialNumber: serialNumber ?? Int32.random(in: .min ... .max))
        file = try OutputFile(path: path)

        let head = OpusHead(channels: channels, preSkip: preSkip, inputSampleRate: inputSampleRate)
        try file.write(stream.append(head.encoded(), granulePosition: 0, flush: true))
        held = (OpusTags(vendor: Self.vendor).encoded(), 0, true)
    }

    deinit {
        if !file.isClosed { try? finish() }
    }

    /// Appends one Opus packet.
    ///
    /// - Throws: ``OggOpusError/invalidPacket`` if the packet's TOC is invalid,
    ///   ``AudioFileError`` if writing fails.
    public func write(packet: [UInt8]) throws {
        precondition(!file.isClosed, "OggOpusWriter.write after close")
        let samples: Int
        do {
            samples = try OpusDecoder.sampleCount(of: packet, sampleRate: 48_000)
        } catch {
            throw OggOpusError.invalidPacket
        }
        try writeHeld(endOfStream: false)
        granulePosition += Int64(samples)
        packetCount += 1
        held = (packet, granulePosition, false)
    }

    /// Writes the final page with the end-of-stream flag and closes the file.
    /// Calling it again does nothing.
    public func close() throws {
        guard !file.isClosed else { return }
        try finish()
    }

    private func finish() throws {
        defer { try? file.close() }
        try writeHeld(endOfStream: true)
        try file.close()
    }

    private func writeHeld(endOfStream: Bool) throws {
        guard let held else { return }
        self.held = nil
        try file.write(stream.append(
            held.bytes,
            granulePosition: held.granule,
            endOfStream: endOfStream,
            flush: held.ownPage
        ))
    }
}
