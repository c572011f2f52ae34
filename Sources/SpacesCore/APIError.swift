import Foundation

/// An HTTP error answer: `{"error":{"code":"…","message":"…"}}` with its status.
///
/// Every code the API sends is a ``Kind``, named once here and in docs/PROTOCOL.md.
public struct APIError: Error, Sendable, Equatable, CustomStringConvertible {
    public enum Kind: String, Sendable, CaseIterable {
        case badRequest = "bad_request"
        case unauthorized
        /// A host token past its `exp` (401: mint a new one).
        case tokenExpired = "token_expired"
        /// Valid credentials that do not allow this (another host's Space, a right not granted).
        case forbidden
        /// An invite-only Space, joined without an invite (or with one that does not verify).
        case inviteRequired = "invite_required"
        case notFound = "not_found"
        case methodNotAllowed = "method_not_allowed"
        case conflict
        case gone
        case payloadTooLarge = "payload_too_large"
        case upgradeRequired = "upgrade_required"
        case badTicket = "bad_ticket"
        case waitingRoomFull = "waiting_room_full"
        /// The client's address holds its whole share of the line (`limits.linePlacesPerAddress`).
        case addressShare = "address_share"
        /// The cluster's Redis is unreachable for the moment (503 with Retry-After).
        case unavailable
        /// The client's address is over its handshakes per second
        /// (`limits.handshakesPerSecondPerAddress`; 429 with Retry-After).
        case rateLimited = "rate_limited"

        /// The HTTP status that goes with the code.
        public var status: Int {
            switch self {
            case .badRequest, .badTicket: 400
            case .unauthorized, .tokenExpired: 401
            case .forbidden, .inviteRequired: 403
            case .notFound: 404
            case .methodNotAllowed: 405
            case .conflict: 409
            case .gone: 410
            case .payloadTooLarge: 413
            case .upgradeRequired: 426
            case .rateLimited: 429
            case .waitingRoomFull, .addressShare, .unavailable: 503
            }
        }
    }

    public var kind: Kind
    public var message: String
    /// Seconds after which a retry may succeed (`Retry-After`), for 503 and 429 answers.
    public var retryAfterSeconds: Int?
    /// A signed ticket that keeps the client's place in line when it comes back with `?ticket=`.
    public var ticket: String?

    public init(_ kind: Kind, _ message: String, retryAfterSeconds: Int? = nil, ticket: String? = nil) {
        self.kind = kind
        self.message = message
        self.retryAfterSeconds = retryAfterSeconds
        self.ticket = ticket
    }

    public var status: Int { self.kind.status }
    public var description: String { "\(self.status) \(self.kind.rawValue): \(self.message)" }

    /// The JSON body.
    public func json() -> String {
        Self.json(Body(
            error: .init(code: self.kind.rawValue, message: self.message), retryAfterSeconds: self.retryAfterSeconds,
            ticket: self.ticket
        ))
    }

    /// The JSON body of an error whose code is not one of ``Kind`` (a refused host action
    /// carries the conversation's code, e.g. `not_open`).
    public static func json(code: String, message: String) -> String {
        Self.json(Body(error: .init(code: code, message: message)))
    }

    private static func json(_ body: Body) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: try! encoder.encode(body), as: UTF8.self)
    }

    /// The wire shape of an error answer.
    public struct Body: Codable, Sendable, Equatable {
        public struct Detail: Codable, Sendable, Equatable {
            public var code: String
            public var message: String
            public init(code: String, message: String) {
                self.code = code
                self.message = message
            }
        }
        public var error: Detail
        public var retryAfterSeconds: Int?
        public var ticket: String?

        public init(error: Detail, retryAfterSeconds: Int? = nil, ticket: String? = nil) {
            self.error = error
            self.retryAfterSeconds = retryAfterSeconds
            self.ticket = ticket
        }
    }
}
