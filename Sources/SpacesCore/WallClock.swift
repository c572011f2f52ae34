import Foundation

/// Wall-clock time as the protocol carries it: Unix microseconds.
public enum WallClock {
    public static func nowMicros() -> UInt64 {
        UInt64((Date().timeIntervalSince1970 * 1_000_000).rounded())
    }

    /// ISO 8601 in UTC, as `createdAt` carries it.
    public static func iso8601(_ date: Date) -> String {
        date.formatted(.iso8601)
    }
}
