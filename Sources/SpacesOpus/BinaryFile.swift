#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Whole-file reads and writes of raw bytes.
enum BinaryFile {
    /// Reads every byte of the file at `path`.
    static func read(path: String) throws -> [UInt8] {
        guard let handle = fopen(path, "rb") else {
            throw AudioFileError.cannotOpen(path: path, reason: SystemError.currentMessage())
        }
        defer { fclose(handle) }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65_536)
        while true {
            let count = chunk.withUnsafeMutableBytes { buffer in
                fread(buffer.baseAddress, 1, buffer.count, handle)
            }
            bytes.append(contentsOf: chunk[0..<count])
            if count < chunk.count {
                if ferror(handle) != 0 {
                    throw AudioFileError.readFailed(path: path, reason: SystemError.currentMessage())
                }
                return bytes
            }
        }
    }

    /// Replaces the file at `path` with `bytes`.
    static func write(_ bytes: [UInt8], path: String) throws {
        let file = try OutputFile(path: path)
        try file.write(bytes)
        try file.close()
    }
}
