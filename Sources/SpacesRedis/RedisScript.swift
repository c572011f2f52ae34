import Crypto

/// A Lua script run with `EVALSHA`, loaded with `SCRIPT LOAD` when Redis does not have it.
public struct RedisScript: Sendable, Equatable {
    public let source: String
    /// The SHA-1 Redis names the script by, hex.
    public let sha1: String

    public init(_ source: String) {
        self.source = source
        self.sha1 = Insecure.SHA1.hash(data: Array(source.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
