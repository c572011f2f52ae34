import Crypto
import Foundation

/// A waiting-room ticket or a resume token: a small signed claim the client hands back.
///
/// Wire form: `base64url(payload) "." base64url(HMAC-SHA256(key, payload))`, where the payload is
/// `u8 kind, u64 value, u64 issuedMicros, u64 expiresMicros, u8 idLength, Space id` (big-endian).
/// For a ticket `value` is the holder's original arrival time (Unix µs), so it keeps its place in
/// line; for a resume token it is the listener id; for an invite (to an invite-only Space) it is
/// a random number naming the invite.
public struct SignedToken: Sendable, Equatable {
    public enum Kind: UInt8, Sendable {
        case ticket = 1
        case resume = 2
        case invite = 3
    }

    public var kind: Kind
    public var spaceID: String
    public var value: UInt64
    public var issuedMicros: UInt64
    public var expiresMicros: UInt64

    public init(kind: Kind, spaceID: String, value: UInt64, issuedMicros: UInt64, expiresMicros: UInt64) {
        self.kind = kind
        self.spaceID = spaceID
        self.value = value
        self.issuedMicros = issuedMicros
        self.expiresMicros = expiresMicros
    }

    public enum Invalid: Error, Equatable, Sendable, CustomStringConvertible {
        case malformed
        case badSignature
        case expired
        case wrongKind
        case wrongSpace

        public var description: String {
            switch self {
            case .malformed: "the token is malformed"
            case .badSignature: "the token's signature does not match"
            case .expired: "the token has expired"
            case .wrongKind: "the token is of another kind"
            case .wrongSpace: "the token belongs to another Space"
            }
        }
    }

    var payload: [UInt8] {
        let id = self.spaceID.utf8.prefix(255)
        var bytes: [UInt8] = []
        bytes.reserveCapacity(26 + id.count)
        bytes.append(self.kind.rawValue)
        withUnsafeBytes(of: self.value.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: self.issuedMicros.bigEndian) { bytes.append(contentsOf: $0) }
        withUnsafeBytes(of: self.expiresMicros.bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(UInt8(id.count))
        bytes.append(contentsOf: id)
        return bytes
    }

    init?(payload bytes: [UInt8]) {
        guard bytes.count >= 26, let kind = Kind(rawValue: bytes[0]) else { return nil }
        func u64(_ at: Int) -> UInt64 { bytes[at..<at + 8].reduce(0) { $0 << 8 | UInt64($1) } }
        let length = Int(bytes[25])
        guard bytes.count == 26 + length, let id = String(validating: bytes[26...], as: UTF8.self) else { return nil }
        self.init(kind: kind, spaceID: id, value: u64(1), issuedMicros: u64(9), expiresMicros: u64(17))
    }
}

/// Signs and verifies ``SignedToken``s with a node secret (HMAC-SHA256).
public struct TokenSigner: Sendable {
    private let key: SymmetricKey
    /// HMAC with the key already mixed in: each token copies it rather than hashing the key
    /// again (a join signs one resume token).
    private let keyed: HMAC<SHA256>

    public init(secret: [UInt8]) {
        precondition(secret.count >= 16, "a signing secret of at least 16 bytes")
        self.key = SymmetricKey(data: secret)
        self.keyed = HMAC<SHA256>(key: self.key)
    }

    public func sign(_ token: SignedToken) -> String {
        let payload = token.payload
        var hmac = self.keyed
        hmac.update(data: payload)
        let mac = hmac.finalize()
        var text = Base64URL.encode(payload)
        text.append(".")
        mac.withUnsafeBytes { text.append(Base64URL.encode($0)) }
        return text
    }

    /// Checks the signature, the kind, the Space and the expiry, in that order.
    public func verify(_ string: String, kind: SignedToken.Kind, spaceID: String, nowMicros: UInt64) throws(SignedToken.Invalid) -> SignedToken {
        let parts = string.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count == 2, string.utf8.count <= 1024,
            let payload = Base64URL.decode(parts[0]), let mac = Base64URL.decode(parts[1]),
            mac.count == SHA256.byteCount, payload.count >= 26
        else { throw .malformed }
        var hmac = self.keyed
        hmac.update(data: payload)
        guard hmac.finalize() == mac else { throw .badSignature }
        guard let token = SignedToken(payload: payload) else { throw .malformed }
        guard token.kind == kind else { throw .wrongKind }
        guard token.spaceID == spaceID else { throw .wrongSpace }
        guard nowMicros <= token.expiresMicros else { throw .expired }
        return token
    }
}
