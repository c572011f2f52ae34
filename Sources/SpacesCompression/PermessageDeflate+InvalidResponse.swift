extension PermessageDeflate {
    /// The server's `Sec-WebSocket-Extensions` answer is not one the client can accept; the
    /// client must fail the connection (RFC 6455 §9.1, RFC 7692 §7).
    public struct InvalidResponse: Error, Sendable, Equatable, CustomStringConvertible {
        /// The header value as the server sent it.
        public let response: String
        /// What is wrong with it.
        public let reason: String

        public init(response: String, reason: String) {
            self.response = response
            self.reason = reason
        }

        public var description: String {
            "invalid Sec-WebSocket-Extensions answer \"\(self.response)\": \(self.reason)"
        }
    }
}
