/// Why a binary audio batch was refused. Every case is something a peer can send, so each one
/// is thrown, never trapped.
public enum AudioBatchError: Error, Equatable, Sendable, CustomStringConvertible {
    /// Fewer bytes than the 14-byte header.
    case truncatedHeader(available: Int)
    /// The first byte is not a known message kind.
    case unknownKind(UInt8)
    /// `frameCount` was 0.
    case noFrames
    /// A frame's length prefix or packet ran past the end of the message.
    case truncatedFrame(index: Int)
    /// A frame claimed a length outside 1…1275 bytes.
    case invalidPacketLength(index: Int, length: Int)
    /// Bytes were left after the last frame.
    case trailingBytes(count: Int)
    /// The batch is larger than the route allows.
    case tooLarge(size: Int, limit: Int)

    public var description: String {
        switch self {
        case .truncatedHeader(let available):
            "batch header truncated: \(available) of \(AudioBatch.headerSize) bytes"
        case .unknownKind(let kind):
            "unknown message kind \(kind) (expected \(AudioBatch.kind))"
        case .noFrames:
            "frameCount is 0"
        case .truncatedFrame(let index):
            "frame \(index) runs past the end of the batch"
        case .invalidPacketLength(let index, let length):
            "frame \(index) has length \(length), outside 1…\(OpusPacket.maximumLength)"
        case .trailingBytes(let count):
            "\(count) bytes after the last frame"
        case .tooLarge(let size, let limit):
            "batch of \(size) bytes exceeds the limit of \(limit)"
        }
    }
}
