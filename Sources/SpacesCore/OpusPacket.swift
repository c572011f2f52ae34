import NIOCore

/// Checks of an Opus packet's framing (RFC 6716 §3), done on host audio before it is relayed.
///
/// The relay never decodes audio; it checks what a broken or hostile publisher could use to
/// break listeners' decoders: the length, the TOC byte and the frame-count byte.
public enum OpusPacket {
    /// RFC 6716 §3.2.1: no packet is longer than 1275 bytes (one 20 ms frame at 510 kbit/s).
    public static let maximumLength = 1275
    /// RFC 6716 §3.2.5: a packet holds at most 120 ms of audio.
    public static let maximumDurationMicros = 120_000

    public enum Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        case length(Int)
        case oddCode1Length
        case missingFrameLength
        case frameLengthPastEnd
        case missingFrameCount
        case frameCount(Int)
        case duration(micros: Int)

        public var description: String {
            switch self {
            case .length(let n): "packet length \(n) outside 1…\(OpusPacket.maximumLength)"
            case .oddCode1Length: "code 1 packet with an odd payload length"
            case .missingFrameLength: "code 2 packet without its first frame's length"
            case .frameLengthPastEnd: "code 2 first frame runs past the end"
            case .missingFrameCount: "code 3 packet without its frame-count byte"
            case .frameCount(let m): "code 3 packet with \(m) frames"
            case .duration(let micros): "packet lasts \(micros) µs, over 120 ms"
            }
        }
    }

    /// Duration in microseconds of one frame of the given TOC configuration (0…31).
    public static func frameDurationMicros(config: Int) -> Int {
        switch config {
        case 0...11: [10_000, 20_000, 40_000, 60_000][config & 3]  // SILK-only
        case 12...15: [10_000, 20_000][config & 1]  // Hybrid
        default: [2_500, 5_000, 10_000, 20_000][config & 3]  // CELT-only
        }
    }

    /// Validates the packet at the readable bytes of `packet` and returns its duration in µs.
    @discardableResult
    public static func validate(_ packet: ByteBuffer) throws(Invalid) -> Int {
        let length = packet.readableBytes
        guard length >= 1 && length <= maximumLength else { throw .length(length) }
        let base = packet.readerIndex
        let toc = Int(packet.getInteger(at: base, as: UInt8.self)!)
        let frame = frameDurationMicros(config: toc >> 3)
        let frames: Int
        switch toc & 3 {
        case 0:
            frames = 1
        case 1:
            guard (length - 1) % 2 == 0 else { throw .oddCode1Length }
            frames = 2
        case 2:
            guard length >= 2 else { throw .missingFrameLength }
            let first = Int(packet.getInteger(at: base + 1, as: UInt8.self)!)
            var size = first
            var used = 1
            if first >= 252 {
                guard length >= 3 else { throw .missingFrameLength }
                size = first + 4 * Int(packet.getInteger(at: base + 2, as: UInt8.self)!)
                used = 2
            }
            guard size <= length - 1 - used else { throw .frameLengthPastEnd }
            frames = 2
        default:
            guard length >= 2 else { throw .missingFrameCount }
            let m = Int(packet.getInteger(at: base + 1, as: UInt8.self)!) & 0x3F
            guard m >= 1 else { throw .frameCount(m) }
            frames = m
        }
        let duration = frames * frame
        guard duration <= maximumDurationMicros else { throw .duration(micros: duration) }
        return duration
    }
}
