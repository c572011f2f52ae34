/// Errors raised when a file cannot be opened, read or written.
public enum AudioFileError: Error, Equatable, CustomStringConvertible {
    /// The file could not be opened; `reason` is the system error text.
    case cannotOpen(path: String, reason: String)
    /// Reading from the file failed.
    case readFailed(path: String, reason: String)
    /// Writing to (or closing) the file failed.
    case writeFailed(path: String, reason: String)

    public var description: String {
        switch self {
        case .cannotOpen(let path, let reason):
            return "cannot open \(path): \(reason)"
        case .readFailed(let path, let reason):
            return "cannot read \(path): \(reason)"
        case .writeFailed(let path, let reason):
            return "cannot write \(path): \(reason)"
        }
    }
}
