/// The OpusHead identification header that starts every Ogg Opus stream (RFC 7845, section 5.1).
struct OpusHead: Equatable {
    static let magic = "OpusHead"
    static let minimumSize = 19

    /// Version byte; 1 for streams this module writes.
    var version: Int = 1
    /// Output channel count.
    var channels: Int
    /// Samples at 48 kHz to discard from the start of decoded audio.
    var preSkip: Int
    /// Sample rate of the original input, informational only (0 if unknown).
    var inputSampleRate: Int
    /// Output gain in Q7.8 dB.
    var outputGain: Int = 0
    /// Channel mapping family; only 0 is supported.
    var mappingFamily: Int = 0

    init(channels: Int, preSkip: Int, inputSampleRate: Int) {
        self.channels = channels
        self.preSkip = preSkip
        self.inputSampleRate = inputSampleRate
    }

    /// Parses and validates a header packet.
    init(parsing packet: [UInt8]) throws {
        guard packet.matches(Self.magic, at: 0) else { throw OggOpusError.notOpus }
        guard packet.count >= Self.minimumSize,
              let preSkip = packet.uint16LE(at: 10),
              let rate = packet.uint32LE(at: 12),
              let gain = packet.uint16LE(at: 16)
        else {
            throw OggOpusError.malformedHeader("\(packet.count) bytes, need at least \(Self.minimumSize)")
        }
        let version = Int(packet[8])
        // RFC 7845: versions sharing the major (upper four bits) version 0 stay compatible.
        guard version >> 4 == 0 else { throw OggOpusError.unsupportedVersion(version) }
        let channels = Int(packet[9])
        let family = Int(packet[18])
        guard family == 0 else { throw OggOpusError.unsupportedMappingFamily(family) }
        guard (1...2).contains(channels) else { throw OggOpusError.unsupportedChannelCount(channels) }
        self.version = version
        self.channels = channels
        self.preSkip = Int(preSkip)
        self.inputSampleRate = Int(rate)
        self.outputGain = Int(Int16(bitPattern: gain))
        self.mappingFamily = family
    }

    /// The 19-byte header packet for mapping family 0.
    func encoded() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.appendASCII(Self.magic)
        bytes.append(UInt8(version))
        bytes.append(UInt8(channels))
        bytes.appendUInt16LE(UInt16(preSkip))
        bytes.appendUInt32LE(UInt32(inputSampleRate))
        bytes.appendUInt16LE(UInt16(bitPattern: Int16(outputGain)))
        bytes.append(UInt8(mappingFamily))
        return bytes
    }
}
