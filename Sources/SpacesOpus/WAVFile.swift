/// A 16-bit PCM WAV file (RIFF/WAVE), mono or stereo.
public struct WAVFile: Sendable, Equatable {
    /// Samples per second per channel.
    public var sampleRate: Int
    /// Number of interleaved channels (1 or 2).
    public var channels: Int
    /// Interleaved samples.
    public var samples: [Int16]

    private static let formatPCM = 1
    private static let formatExtensible = 0xFFFE
    /// Bytes 2...15 of KSDATAFORMAT_SUBTYPE_PCM; bytes 0...1 hold the format tag.
    private static let extensibleGUIDTail: [UInt8] = [
        0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x80, 0x00, 0x00, 0xAA, 0x00, 0x38, 0x9B, 0x71,
    ]

    /// Creates a file from interleaved samples.
    ///
    /// - Precondition: `sampleRate > 0`, `channels` is 1 or 2, and
    ///   `samples.count` is a multiple of `channels`.
    public init(sampleRate: Int, channels: Int, samples: [Int16]) {
        precondition(sampleRate > 0 && sampleRate <= Int(UInt32.max) / 4, "invalid sample rate \(sampleRate)")
        precondition((1...2).contains(channels), "channels must be 1 or 2")
        precondition(samples.count % channels == 0, "sample count is not a multiple of the channel count")
        self.sampleRate = sampleRate
        self.channels = channels
        self.samples = samples
    }

    /// Number of sample frames (samples per channel).
    public var frameCount: Int { samples.count / channels }

    /// Duration in seconds.
    public var duration: Double { Double(frameCount) / Double(sampleRate) }

    /// Reads and parses the WAV file at `path`.
    ///
    /// - Throws: ``AudioFileError`` if the file cannot be read, ``WAVError`` if it is not 16-bit PCM WAV.
    public static func read(path: String) throws -> WAVFile {
        try parse(BinaryFile.read(path: path))
    }

    /// Writes a 16-bit PCM WAV file.
    ///
    /// - Throws: ``WAVError/tooLarge`` or ``AudioFileError``.
    public static func write(path: String, sampleRate: Int, channels: Int, samples: [Int16]) throws {
        try WAVFile(sampleRate: sampleRate, channels: channels, samples: samples).write(path: path)
    }

    /// Writes this file to `path`.
    ///
    /// - Throws: ``WAVError/tooLarge`` or ``AudioFileError``.
    public func write(path: String) throws {
        guard samples.count * 2 <= Int(UInt32.max) - 36 else { throw WAVError.tooLarge }
        try BinaryFile.write(encoded(), path: path)
    }

    /// Parses a RIFF/WAVE file holding 16-bit little-endian PCM.
    ///
    /// Accepts format tag 1 and WAVE_FORMAT_EXTENSIBLE with the PCM subformat,
    /// skips unknown chunks (LIST, fact, ...) including their pad bytes.
    ///
    /// - Throws: ``WAVError`` describing the first problem found.
    public static func parse(_ bytes: [UInt8]) throws -> WAVFile {
        guard bytes.matches("RIFF", at: 0) else { throw WAVError.notRIFF }
        guard bytes.count >= 12 else { throw WAVError.truncated("RIFF header") }
        guard bytes.matches("WAVE", at: 8) else { throw WAVError.notWAVE }

        var format: (rate: Int, channels: Int)?
        var data: Range<Int>?
        var offset = 12
        while offset + 8 <= bytes.count, format == nil || data == nil {
            let id = String(decoding: bytes[offset..<offset + 4], as: UTF8.self)
            let size = Int(bytes.uint32LE(at: offset + 4)!)
            let body = offset + 8
            guard size <= bytes.count - body else { throw WAVError.truncated("\"\(id)\" chunk") }
            switch id {
            case "fmt " where format == nil:
                format = try parseFormat(Array(bytes[body..<body + size]))
            case "data" where data == nil:
                data = body..<body + size
            default:
                break
            }
            offset = body + size + (size & 1)
        }
        guard let format else { throw WAVError.missingChunk("fmt ") }
        guard let data else { throw WAVError.missingChunk("data") }

        let frameBytes = 2 * format.channels
        guard data.count % frameBytes == 0 else { throw WAVError.partialFrame(data.count) }
        var samples = [Int16](repeating: 0, count: data.count / 2)
        var index = data.lowerBound
        for sample in samples.indices {
            samples[sample] = Int16(bitPattern: UInt16(bytes[index]) | UInt16(bytes[index + 1]) << 8)
            index += 2
        }
        return WAVFile(sampleRate: format.rate, channels: format.channels, samples: samples)
    }

    private static func parseFormat(_ chunk: [UInt8]) throws -> (rate: Int, channels: Int) {
        guard chunk.count >= 16,
              let tag = chunk.uint16LE(at: 0),
              let channels = chunk.uint16LE(at: 2),
              let rate = chunk.uint32LE(at: 4),
              let blockAlign = chunk.uint16LE(at: 12),
              let bits = chunk.uint16LE(at: 14)
        else { throw WAVError.truncated("\"fmt \" chunk") }

        switch Int(tag) {
        case formatPCM:
            break
        case formatExtensible:
            guard chunk.count >= 40, let subformat = chunk.uint16LE(at: 24) else {
                throw WAVError.truncated("extensible \"fmt \" chunk")
            }
            guard Int(subformat) == formatPCM, Array(chunk[26..<40]) == extensibleGUIDTail else {
                throw WAVError.unsupportedFormat(Int(subformat))
            }
        default:
            throw WAVError.unsupportedFormat(Int(tag))
        }
        guard bits == 16 else { throw WAVError.unsupportedBitsPerSample(Int(bits)) }
        guard (1...2).contains(Int(channels)) else { throw WAVError.unsupportedChannelCount(Int(channels)) }
        guard rate > 0, rate <= UInt32.max / 4 else { throw WAVError.invalidSampleRate(Int(rate)) }
        guard Int(blockAlign) == 2 * Int(channels) else { throw WAVError.invalidBlockAlign(Int(blockAlign)) }
        return (Int(rate), Int(channels))
    }

    /// The complete file contents: RIFF header, a 16-byte PCM "fmt " chunk and the "data" chunk.
    public func encoded() -> [UInt8] {
        let dataBytes = samples.count * 2
        var bytes: [UInt8] = []
        bytes.reserveCapacity(44 + dataBytes)
        bytes.appendASCII("RIFF")
        bytes.appendUInt32LE(UInt32(truncatingIfNeeded: 36 + dataBytes))
        bytes.appendASCII("WAVE")
        bytes.appendASCII("fmt ")
        bytes.appendUInt32LE(16)
        bytes.appendUInt16LE(UInt16(Self.formatPCM))
        bytes.appendUInt16LE(UInt16(channels))
        bytes.appendUInt32LE(UInt32(sampleRate))
        bytes.appendUInt32LE(UInt32(sampleRate * channels * 2))
        bytes.appendUInt16LE(UInt16(channels * 2))
        bytes.appendUInt16LE(16)
        bytes.appendASCII("data")
        bytes.appendUInt32LE(UInt32(truncatingIfNeeded: dataBytes))
        for sample in samples {
            bytes.appendUInt16LE(UInt16(bitPattern: sample))
        }
        return bytes
    }
}
