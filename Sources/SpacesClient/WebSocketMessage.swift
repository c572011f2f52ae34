import NIOCore

/// A whole message received on a WebSocket.
public enum WebSocketMessage: Sendable, Equatable {
    case text(String)
    case binary(ByteBuffer)
    /// The peer closed, with its close code if it sent one.
    case close(code: UInt16?, reason: String)
}
