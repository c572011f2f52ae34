/// Why a compressed message could not be inflated. Both come from the peer, so both close the
/// connection rather than trap: the server maps them to 1007 and 1009.
public enum InflaterError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The payload is not a raw deflate stream, or it stops in the middle of a block.
    case corrupt(String)
    /// The message inflates to more than `limit` bytes. Inflation stopped there: no more than
    /// `limit + 1` bytes were ever allocated for it.
    case tooLarge(limit: Int)

    public var description: String {
        switch self {
        case .corrupt(let detail): "corrupt compressed message: \(detail)"
        case .tooLarge(let limit): "compressed message inflates to more than \(limit) bytes"
        }
    }
}
