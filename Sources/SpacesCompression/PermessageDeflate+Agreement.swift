extension PermessageDeflate {
    /// The terms both sides agreed on for one connection.
    public struct Agreement: Sendable, Equatable {
        /// On the server, the value to send in the 101's `Sec-WebSocket-Extensions` header; on
        /// the client, the server's answer as it came.
        public let header: String
        /// The server compresses each message on its own: the client resets its inflater after
        /// each message. Always true for a Spaces server.
        public let serverNoContextTakeover: Bool
        /// The client compresses each message on its own. Always true for a Spaces server.
        public let clientNoContextTakeover: Bool
        /// The server's LZ77 window, 8...15 bits (15 unless the server said less).
        public let serverMaxWindowBits: Int
        /// The client's LZ77 window, 8...15 bits.
        public let clientMaxWindowBits: Int
    }
}
