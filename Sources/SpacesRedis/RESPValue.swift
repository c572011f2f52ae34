import NIOCore

/// One value of the Redis serialization protocol, RESP2 or RESP3.
///
/// RESP2 replies use the first five cases; RESP3 adds the rest. Maps keep their pairs as a flat
/// array (key, value, key, value…) so that the type stays `Equatable` and order is kept.
public enum RESPValue: Sendable, Equatable {
    case simpleString(String)
    case error(String)
    case integer(Int64)
    case bulkString(ByteBuffer)
    /// RESP2's null bulk string and null array, and RESP3's `_`.
    case null
    case array([RESPValue])
    case double(Double)
    case boolean(Bool)
    case bigNumber(String)
    case verbatimString(String)
    /// Flat pairs: `[key0, value0, key1, value1, …]`.
    case map([RESPValue])
    case set([RESPValue])
    case push([RESPValue])

    /// The text of a simple, bulk or verbatim string (bulk strings read as UTF-8).
    public var string: String? {
        switch self {
        case .simpleString(let text), .verbatimString(let text), .bigNumber(let text): text
        case .bulkString(let buffer): String(buffer: buffer)
        default: nil
        }
    }

    /// The bytes of a bulk string, or of a simple string.
    public var bytes: ByteBuffer? {
        switch self {
        case .bulkString(let buffer): buffer
        case .simpleString(let text): ByteBuffer(string: text)
        default: nil
        }
    }

    /// An integer reply, or a string that holds one (Redis often answers numbers as strings).
    public var integer: Int64? {
        switch self {
        case .integer(let value): value
        case .simpleString, .bulkString: self.string.flatMap { Int64($0) }
        default: nil
        }
    }

    /// The elements of an array, set or push (and of a map, flattened).
    public var elements: [RESPValue]? {
        switch self {
        case .array(let values), .set(let values), .push(let values), .map(let values): values
        default: nil
        }
    }

    public var isNull: Bool { self == .null }
}
