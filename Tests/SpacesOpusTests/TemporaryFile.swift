import Foundation

/// A unique path in the temporary directory, removed when the test ends.
func temporaryPath(_ name: String, extension fileExtension: String) -> String {
    FileManager.default.temporaryDirectory
        .appendingPathComponent("spaces-opus-\(name)-\(UUID().uuidString).\(fileExtension)")
        .path
}

func removeFile(_ path: String) {
    try? FileManager.default.removeItem(atPath: path)
}

func readBytes(_ path: String) throws -> [UInt8] {
    try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
}

func writeBytes(_ bytes: [UInt8], to path: String) throws {
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}
