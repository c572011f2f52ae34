import Foundation

/// Where a scenario writes its figures, and how.
public enum ResultFile {
    /// `results/NAME.json` in the bench package when it can be found (the usual case: the
    /// command built and run from its checkout), else `results/NAME.json` under the current
    /// directory.
    public static func defaultPath(name: String) -> String {
        guard let bench = BenchPackage.directory else { return "results/\(name).json" }
        return bench.appendingPathComponent("results").appendingPathComponent("\(name).json").path
    }

    /// Writes `value` as indented JSON with sorted keys, creating the folder.
    public static func write<T: Encodable>(_ value: T, to path: String) throws {
        let url = URL(fileURLWithPath: path)
        try FileManager.default.createDirectory(at: url.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(value).write(to: url)
    }

    /// Today's date, `YYYY-MM-DD` in UTC, and the command line, for the record.
    public static var today: String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(identifier: "UTC")
        formatter.dateFormat = "yyyy-MM-dd"
        return formatter.string(from: Date())
    }

    public static var commandLine: String {
        ([URL(fileURLWithPath: CommandLine.arguments[0]).lastPathComponent] + CommandLine.arguments.dropFirst()).joined(separator: " ")
    }
}
