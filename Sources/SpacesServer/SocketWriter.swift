import NIOCore

/// An outbound pass-through placed first in a WebSocket pipeline, next to the socket.
///
/// Everything the server sends a WebSocket peer is a pre-framed `ByteBuffer`
/// (``PreframedMessage``); writing it from this handler's context skips the `WebSocketFrame`
/// encoder that NIO's upgrader installs. Touched on its channel's event loop only.
final class SocketWriter: ChannelOutboundHandler {
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private var context: ChannelHandlerContext?

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Writes and flushes one pre-framed message. No promise: nobody awaits a listener.
    @inline(__always)
    func send(_ bytes: ByteBuffer) {
        self.context?.writeAndFlush(NIOAny(bytes), promise: nil)
    }

    /// Writes without flushing: the next ``send(_:)`` flushes both in one system call.
    @inline(__always)
    func write(_ bytes: ByteBuffer) {
        self.context?.write(NIOAny(bytes), promise: nil)
    }

    /// Writes and flushes, completing `promise` when the bytes reached the socket.
    func send(_ bytes: ByteBuffer, promise: EventLoopPromise<Void>?) {
        guard let context = self.context else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        context.writeAndFlush(NIOAny(bytes), promise: promise)
    }
}

@available(*, unavailable)
extension SocketWriter: Sendable {}
