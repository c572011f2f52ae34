/// Random identifiers and secrets, and their comparison.
public enum Token {
    /// `count` random bytes from the system's CSPRNG as lowercase hex.
    public static func random(bytes count: Int) -> String {
        var generator = SystemRandom()
        var out = ""
        out.reserveCapacity(count * 2)
        for _ in 0..<count {
            let byte = UInt8.random(in: .min ... .max, using: &generator)
            out.append(hexDigits[Int(byte >> 4)])
            out.append(hexDigits[Int(byte & 0xF)])
        }
        return out
    }

    /// Compares two secrets in time that depends only on their lengths.
    public static func constantTimeEquals(_ a: String, _ b: String) -> Bool {
        let x = Array(a.utf8)
        let y = Array(b.utf8)
        guard x.count == y.count else { return false }
        var difference: UInt8 = 0
        for i in 0..<x.count { difference |= x[i] ^ y[i] }
        return difference == 0
    }

    private static let hexDigits = Array("0123456789abcdef")
}

import Crypto

extension Token {
    /// SHA-256 of a secret, lowercase hex: what the cluster's directory keeps of a host token.
    public static func digest(_ secret: String) -> String {
        SHA256.hash(data: Array(secret.utf8)).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }
}
