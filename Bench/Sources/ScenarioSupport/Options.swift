#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// `--name value` options of a scenario command, with defaults and a usage text.
///
/// The scenarios live in the bench package, which depends on nothing but the project, the
/// benchmark harness and SwiftNIO; a few numeric options do not need an argument parser.
public struct Options {
    private var values: [String: String] = [:]

    /// Parses `arguments`; prints `usage` and exits on `--help`, on an option not in `known`, or
    /// on an option without a value.
    public init(_ arguments: [String] = Array(CommandLine.arguments.dropFirst()), known: [String], usage: String) {
        var index = 0
        while index < arguments.count {
            let argument = arguments[index]
            if argument == "--help" || argument == "-h" {
                print(usage)
                exit(0)
            }
            let name = argument.hasPrefix("--") ? String(argument.dropFirst(2)) : ""
            guard known.contains(name), index + 1 < arguments.count else {
                Self.fail("unknown option or missing value: \(argument)\n\n\(usage)")
            }
            self.values[name] = arguments[index + 1]
            index += 2
        }
    }

    public func string(_ name: String, default value: String) -> String {
        self.values[name] ?? value
    }

    public func optionalString(_ name: String) -> String? {
        self.values[name]
    }

    public func int(_ name: String, default value: Int) -> Int {
        guard let text = self.values[name] else { return value }
        guard let number = Int(text.replacingOccurrences(of: "_", with: "")) else { Self.fail("--\(name) takes a whole number, not \(text)") }
        return number
    }

    public func double(_ name: String, default value: Double) -> Double {
        guard let text = self.values[name] else { return value }
        guard let number = Double(text) else { Self.fail("--\(name) takes a number, not \(text)") }
        return number
    }

    /// Prints `message` on standard error and exits with 64 (a usage error).
    public static func fail(_ message: String) -> Never {
        printError(message)
        exit(64)
    }
}

/// Writes `message` and a newline to standard error.
public func printError(_ message: String) {
    let line = message + "\n"
    _ = line.utf8CString.withUnsafeBufferPointer { write(2, $0.baseAddress, $0.count - 1) }
}
