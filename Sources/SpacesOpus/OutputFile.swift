#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// A file opened for writing bytes sequentially through C stdio.
final class OutputFile {
    let path: String
    private var handle: UnsafeMutablePointer<FILE>?

    /// Creates or truncates the file at `path`.
    init(path: String) throws {
        guard let handle = fopen(path, "wb") else {
            throw AudioFileError.cannotOpen(path: path, reason: SystemError.currentMessage())
        }
        self.path = path
        self.handle = handle
    }

    deinit {
        if let handle { fclose(handle) }
    }

    /// Whether ``close()`` has been called.
    var isClosed: Bool { handle == nil }

    /// Appends `bytes` to the file.
    func write(_ bytes: [UInt8]) throws {
        guard let handle else { preconditionFailure("write to closed file \(path)") }
        guard !bytes.isEmpty else { return }
        let written = bytes.withUnsafeBytes { buffer in
            fwrite(buffer.baseAddress, 1, buffer.count, handle)
        }
        guard written == bytes.count else {
            throw AudioFileError.writeFailed(path: path, reason: SystemError.currentMessage())
        }
    }

    /// Flushes and closes the file. Calling it again does nothing.
    func close() throws {
        guard let handle else { return }
        self.handle = nil
        guard fclose(handle) == 0 else {
            throw AudioFileError.writeFailed(path: path, reason: SystemError.currentMessage())
        }
    }
}
