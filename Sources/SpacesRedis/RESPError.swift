/// What is wrong with bytes that claim to be RESP, or with a value too large to accept.
public enum RESPError: Error, Sendable, Equatable, CustomStringConvertible {
    /// A type byte that RESP does not define.
    case unknownType(UInt8)
    /// A length, an integer or a double that does not parse.
    case invalidNumber(String)
    /// A line (type byte to CRLF) longer than the parser accepts.
    case lineTooLong(limit: Int)
    /// A bulk string longer than the parser accepts.
    case bulkTooLarge(length: Int, limit: Int)
    /// An aggregate with more elements than the parser accepts.
    case tooManyElements(count: Int, limit: Int)
    /// Aggregates nested deeper than the parser accepts.
    case tooDeep(limit: Int)
    /// A bulk string not followed by CRLF, or a bad boolean.
    case malformed(String)

    public var description: String {
        switch self {
        case .unknownType(let byte): "unknown RESP type byte 0x\(String(byte, radix: 16))"
        case .invalidNumber(let text): "invalid RESP number \"\(text.prefix(32))\""
        case .lineTooLong(let limit): "RESP line longer than \(limit) bytes"
        case .bulkTooLarge(let length, let limit): "RESP bulk string of \(length) bytes (limit \(limit))"
        case .tooManyElements(let count, let limit): "RESP aggregate of \(count) elements (limit \(limit))"
        case .tooDeep(let limit): "RESP aggregates nested deeper than \(limit)"
        case .malformed(let what): "malformed RESP: \(what)"
        }
    }
}
