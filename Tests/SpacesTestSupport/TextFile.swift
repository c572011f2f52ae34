import Foundation

/// Reads a small text file a test wrote (a child process's errors, a page it saved).
///
/// Through `FileHandle` rather than `String(contentsOf:)`: on this toolchain the latter leaks a
/// 4 KiB buffer for an empty file (LeakSanitizer, `readBytesFromFile`), and an empty errors
/// file is the usual case.
public enum TextFile {
    /// The file's text (invalid UTF-8 replaced), or "" if it cannot be read.
    public static func read(_ url: URL) -> String {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return "" }
        defer { try? handle.close() }
        let data = (try? handle.readToEnd()) ?? nil
        return data.map { String(decoding: $0, as: UTF8.self) } ?? ""
    }
}
