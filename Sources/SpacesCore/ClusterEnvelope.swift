import NIOCore

/// An audio batch on a Space's cluster channel, as the node holding the host's socket
/// publishes it once for every other node. Big-endian, versioned:
///
/// ```
/// u8  version = 1
/// u8  kind = 1              an audio batch (the only kind of version 1)
/// u8  originLength          1…64
/// originLength bytes        the publishing node's id, UTF-8
/// …                         the AudioBatch exactly as listeners receive it (origin's sequence
///                           numbers and capture time included)
/// ```
///
/// A node skips what it published itself (its own listeners were served directly).
public struct ClusterEnvelope: Sendable, Equatable {
    public static let version: UInt8 = 1
    public static let audioKind: UInt8 = 1
    public static let maximumOriginLength = 64

    public var origin: String
    /// The encoded ``AudioBatch``: a slice of the message, not a copy.
    public var batch: ByteBuffer

    public init(origin: String, batch: ByteBuffer) {
        precondition((1...Self.maximumOriginLength).contains(origin.utf8.count), "an origin of 1…64 bytes")
        self.origin = origin
        self.batch = batch
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(Self.version)
        buffer.writeInteger(Self.audioKind)
        buffer.writeInteger(UInt8(self.origin.utf8.count))
        buffer.writeString(self.origin)
        buffer.writeImmutableBuffer(self.batch)
    }

    public enum DecodingError: Error, Equatable {
        case truncated
        case unsupportedVersion(UInt8)
        case unknownKind(UInt8)
        case badOrigin
    }

    /// Reads an envelope; the batch inside is not validated here (``AudioBatch/decode(_:limit:)`` does).
    public static func decode(_ message: ByteBuffer) throws(DecodingError) -> ClusterEnvelope {
        var reader = message
        guard let version = reader.readInteger(as: UInt8.self), let kind = reader.readInteger(as: UInt8.self),
            let length = reader.readInteger(as: UInt8.self)
        else { throw .truncated }
        guard version == Self.version else { throw .unsupportedVersion(version) }
        guard kind == Self.audioKind else { throw .unknownKind(kind) }
        guard (1...Self.maximumOriginLength).contains(Int(length)) else { throw .badOrigin }
        guard let bytes = reader.readSlice(length: Int(length)) else { throw .truncated }
        guard let origin = String(validating: bytes.readableBytesView, as: UTF8.self) else { throw .badOrigin }
        return ClusterEnvelope(origin: origin, batch: reader)
    }
}
