import Foundation
import JWTKit

/// What a host token says: who the host is, what it may do, until when. A JWT (RFC 7519),
/// HS256 with a key derived from the node's key (`server.hostKey`, through HKDF-SHA256 with the
/// info `spaces host tokens v1`), minted by `spaces token issue`.
///
/// `{"sub": "alice", "can": ["create", "moderate", "end"], "iat": …, "exp": …}`. `exp` is
/// required: a host token without an end is refused. Rights other than these three are
/// ignored, so a token minted by a later version still works for what this one knows.
public struct HostClaims: JWTPayload, Equatable {
    /// What a host token may allow.
    public enum Right: String, Sendable, CaseIterable {
        /// `POST /v1/spaces`: the Space is then this host's.
        case create
        /// The host's conversation routes, and invites, on this host's Spaces.
        case moderate
        /// `DELETE /v1/spaces/{id}` on this host's Spaces.
        case end
    }

    /// The token's `exp` is past.
    public struct Expired: Error, CustomStringConvertible {
        public var description: String { "the host token has expired" }
    }

    public var sub: SubjectClaim
    public var can: [String]
    public var iat: IssuedAtClaim
    public var exp: ExpirationClaim

    public init(subject: String, rights: [Right], issuedAt: Date = Date(), expiresAt: Date) {
        self.sub = SubjectClaim(value: subject)
        self.can = rights.map(\.rawValue)
        self.iat = IssuedAtClaim(value: issuedAt)
        self.exp = ExpirationClaim(value: expiresAt)
    }

    public var subject: String { self.sub.value }
    public var rights: Set<Right> { Set(self.can.compactMap(Right.init(rawValue:))) }

    public func verify(using algorithm: some JWTAlgorithm) async throws {
        guard Date() < self.exp.value else { throw Expired() }
    }

    /// The longest subject accepted: it is stored with each Space the host creates.
    public static let maxSubjectLength = 128
}
