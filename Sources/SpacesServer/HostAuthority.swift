import Crypto
import JWTKit
import NIOCore
import NIOHTTP1
import SpacesCore

/// Who is calling the API, from its `Authorization: Bearer` header.
enum Caller: Sendable {
    /// No bearer.
    case anonymous
    /// The node's own key (`server.hostKey`): the operator, who may do everything.
    case operatorKey
    /// A host token that verified.
    case host(HostClaims)
    /// Any other bearer: perhaps a Space's host token (checked against the Space).
    case bearer(String)
    /// A host token that did not verify, with the answer to give.
    case refused(APIError)

    /// A Space's host token, or the operator, or its owner with `right`: may act on `space`.
    func may(_ right: HostClaims.Right, on space: LiveSpace) -> Bool {
        switch self {
        case .operatorKey: true
        case .bearer(let token): space.isHostToken(token)
        case .host(let claims): claims.rights.contains(right) && !space.owner.isEmpty && claims.subject == space.owner
        case .anonymous, .refused: false
        }
    }

    /// The answer for a caller that may not act on `space` (`needs`: what would have worked).
    func refusal(_ right: HostClaims.Right, needs: String) -> APIError {
        switch self {
        case .refused(let error): error
        case .host(let claims) where !claims.rights.contains(right):
            APIError(.forbidden, "this host token may not \(right.rawValue) (it may: \(claims.can.joined(separator: ", ")))")
        case .host: APIError(.forbidden, "this Space is another host's")
        case .anonymous, .bearer, .operatorKey: APIError(.unauthorized, needs)
        }
    }
}

/// Mints host tokens: what `spaces token issue` runs, from the node's key.
public enum HostTokens {
    public static func issue(_ claims: HostClaims, key: String) async throws -> String {
        try await HostAuthority(operatorKey: key).sign(claims)
    }
}

/// Checks host tokens (JWT, HS256) against the node's key, and mints them (`spaces token issue`).
///
/// jwt-kit's key collection is an actor, so a check is asynchronous: it runs only for a bearer
/// that looks like a JWT (three base64url parts), on the host API's requests, never on a join.
struct HostAuthority: Sendable {
    /// Below this the node warns at start: a host token's holder can test guesses of the key
    /// offline (HKDF is fast), so it must be too long to guess (32 hex characters: 128 bits).
    static let minimumKeyBytes = 32

    private let keys: JWTKeyCollection
    private let operatorKey: String

    init(operatorKey: String) async {
        self.operatorKey = operatorKey
        self.keys = JWTKeyCollection()
        // HS256 wants a key of at least 32 bytes; an operator's key may be any length, so the
        // signing key is derived from it (HKDF-SHA256), never the key itself.
        let signing = HKDF<SHA256>.deriveKey(
            inputKeyMaterial: SymmetricKey(data: Array(operatorKey.utf8)), info: Array("spaces host tokens v1".utf8), outputByteCount: 32
        )
        await self.keys.add(hmac: HMACKey(key: signing), digestAlgorithm: .sha256)
    }

    /// A host token for `claims`.
    func sign(_ claims: HostClaims) async throws -> String {
        try await self.keys.sign(claims)
    }

    /// Who `token` is when no signature needs checking (the key, or not a JWT); nil for a JWT.
    private func known(_ token: String) -> Caller? {
        guard !self.operatorKey.isEmpty else { return .bearer(token) }
        if Token.constantTimeEquals(token, self.operatorKey) { return .operatorKey }
        guard Self.looksLikeJWT(token), token.utf8.count <= 4096 else { return .bearer(token) }
        return nil
    }

    /// What `token` says, or why it is refused.
    func caller(token: String) async -> Caller {
        if let known = self.known(token) { return known }
        do {
            let claims = try await self.keys.verify(token, as: HostClaims.self)
            guard !claims.subject.isEmpty, claims.subject.utf8.count <= HostClaims.maxSubjectLength else {
                return .refused(APIError(.unauthorized, "the host token's subject must have 1…\(HostClaims.maxSubjectLength) bytes"))
            }
            return .host(claims)
        } catch is HostClaims.Expired {
            return .refused(APIError(.tokenExpired, "the host token has expired; mint a new one (spaces token issue)"))
        } catch {
            return .refused(APIError(.unauthorized, "the host token does not verify with this node's key"))
        }
    }

    /// Who sent `head`: resolved at once unless its bearer is a JWT to verify.
    func caller(_ head: HTTPRequestHead, on eventLoop: any EventLoop) -> EventLoopFuture<Caller> {
        guard let token = SpacesAPI.bearer(head.headers) else { return eventLoop.makeSucceededFuture(.anonymous) }
        if let known = self.known(token) { return eventLoop.makeSucceededFuture(known) }
        let promise = eventLoop.makePromise(of: Caller.self)
        promise.completeWithTask { await self.caller(token: token) }
        return promise.futureResult
    }

    /// Three non-empty base64url parts: a Space's host token (hex) never is.
    static func looksLikeJWT(_ token: String) -> Bool {
        let parts = token.utf8.split(separator: UInt8(ascii: "."), omittingEmptySubsequences: false)
        return parts.count == 3 && parts.allSatisfy { part in
            !part.isEmpty && part.allSatisfy { byte in
                (byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x5A) || (byte >= 0x61 && byte <= 0x7A) || byte == 0x2D || byte == 0x5F
            }
        }
    }
}
