/// Every WebSocket close code Spaces sends, named once. docs/PROTOCOL.md lists the same table.
///
/// Codes below 4000 are RFC 6455's; 4000–4999 are private to the Spaces protocol. A 4xxx code
/// mirrors the HTTP status of the same meaning where one exists (4001 ↔ 401, 4004 ↔ 404).
public enum CloseCode: UInt16, Sendable, CaseIterable, CustomStringConvertible {
    /// The Space ended (the host ended it, or its publisher finished). Sent after an `ended` event.
    case ended = 1000
    /// The node is shutting down or draining; reconnect (an admitted listener with `?resume=`).
    case goingAway = 1001
    /// The peer broke the WebSocket protocol or the Spaces protocol (a malformed batch, a bad frame).
    case protocolError = 1002
    /// The peer sent the wrong kind of message: a listener sent binary, or a host sent text where
    /// audio was due.
    case unsupportedData = 1003
    /// A text message was not valid UTF-8.
    case invalidPayload = 1007
    /// The peer broke a policy (too many errors, a second publisher, …).
    case policyViolation = 1008
    /// A message was larger than the route allows.
    case messageTooBig = 1009
    /// The server failed internally; the client may retry.
    case internalError = 1011
    /// No place in line after all (the room filled, or an earlier ticket holder took the place);
    /// a `refused` event with a ticket comes first when there is one. Retry later.
    case tryAgainLater = 1013
    /// The credentials were missing or wrong.
    case unauthorized = 4001
    /// The listener stayed over its budget of unsent audio longer than the limit.
    case tooSlow = 4008
    /// Another connection resumed this listener (the same resume token).
    case replaced = 4009
    /// The Space does not exist (or no longer exists).
    case noSuchSpace = 4004
    /// Over a per-listener rate (asks, upvotes, reactions). Never a close: it is the `status`
    /// of an `error` event, and the listener stays connected (a flood of messages is 1008).
    case rateLimited = 4029

    /// The short name used in logs, metrics and docs.
    /// Whether a peer may send `code` in a close frame (RFC 6455 §7.4): 1000–1003, 1007–1014
    /// (the IANA registry's), and 3000–4999 for libraries and applications. 1005, 1006 and 1015
    /// are for reporting, never sent; the rest is reserved.
    public static func peerMaySend(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999: true
        default: false
        }
    }

    public var name: String {
        switch self {
        case .ended: "ended"
        case .goingAway: "going_away"
        case .protocolError: "protocol_error"
        case .unsupportedData: "unsupported_data"
        case .invalidPayload: "invalid_payload"
        case .policyViolation: "policy_violation"
        case .messageTooBig: "message_too_big"
        case .internalError: "internal_error"
        case .tryAgainLater: "try_again_later"
        case .unauthorized: "unauthorized"
        case .tooSlow: "too_slow"
        case .replaced: "replaced"
        case .noSuchSpace: "no_such_space"
        case .rateLimited: "rate_limited"
        }
    }

    public var description: String { "\(self.rawValue) \(self.name)" }
}
