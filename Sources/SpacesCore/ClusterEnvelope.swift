import NIOCore

/// A message on a Space's cluster channel, as one node publishes it once for every other
/// node. Big-endian, versioned:
///
/// ```
/// u8  version = 1
/// u8  kind                  1 = an audio batch, 2 = conversation updates
/// u8  originLength          1…64
/// originLength bytes        the publishing node's id, UTF-8
/// …                         kind 1: the AudioBatch exactly as listeners receive it (origin's
///                           sequence numbers and capture time included);
///                           kind 2: a ConversationBroadcast, JSON
/// ```
///
/// A node skips audio it published itself (its own listeners were served directly); it takes
/// conversation updates from anyone, itself included (they are fanned out only from here).
public struct ClusterEnvelope: Sendable, Equatable {
    public static let version: UInt8 = 1
    public static let maximumOriginLength = 64

    public enum Kind: UInt8, Sendable {
        case audio = 1
        case conversation = 2
    }

    public var kind: Kind
    public var origin: String
    /// What the envelope carries: a slice of the message, not a copy.
    public var payload: ByteBuffer

    public init(_ kind: Kind = .audio, origin: String, payload: ByteBuffer) {
        precondition((1...Self.maximumOriginLength).contains(origin.utf8.count), "an origin of 1…64 bytes")
        self.kind = kind
        self.origin = origin
        self.payload = payload
    }

    public func encode(into buffer: inout ByteBuffer) {
        buffer.writeInteger(Self.version)
        buffer.writeInteger(self.kind.rawValue)
        buffer.writeInteger(UInt8(self.origin.utf8.count))
        buffer.writeString(self.origin)
        buffer.writeImmutableBuffer(self.payload)
    }

    public enum DecodingError: Error, Equatable {
        case truncated
        case unsupportedVersion(UInt8)
        case unknownKind(UInt8)
        case badOrigin
    }

    /// Reads an envelope; what it carries is not validated here (``AudioBatch/decode(_:limit:)``
    /// and ``ConversationBroadcast/decode(_:)`` do).
    public static func decode(_ message: ByteBuffer) throws(DecodingError) -> ClusterEnvelope {
        var reader = message
        guard let version = reader.readInteger(as: UInt8.self), let kindByte = reader.readInteger(as: UInt8.self),
            let length = reader.readInteger(as: UInt8.self)
        else { throw .truncated }
        guard version == Self.version else { throw .unsupportedVersion(version) }
        guard let kind = Kind(rawValue: kindByte) else { throw .unknownKind(kindByte) }
        guard (1...Self.maximumOriginLength).contains(Int(length)) else { throw .badOrigin }
        guard let bytes = reader.readSlice(length: Int(length)) else { throw .truncated }
        guard let origin = String(validating: bytes.readableBytesView, as: UTF8.self) else { throw .badOrigin }
        return ClusterEnvelope(kind, origin: origin, payload: reader)
    }
}
