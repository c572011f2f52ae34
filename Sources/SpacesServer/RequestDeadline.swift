import NIOCore
import NIOHTTP1

/// Closes an HTTP connection whose request does not arrive in time, and a keep-alive one idle
/// too long (`limits.requestSeconds`, `limits.idleSeconds`).
///
/// Sits after the HTTP decoder: a request counts as arrived at its `.end`. The clock starts
/// when the connection opens (the request must be whole within `requestSeconds`), when a
/// request's head comes after an idle spell (`requestSeconds` for the rest of it), and when an
/// answer ends (the next request must be whole within the longer of `idleSeconds` and
/// `requestSeconds`: a browser's idle keep-alive is not cut short). A connection that upgrades
/// to a WebSocket has this handler removed with the HTTP ones.
final class RequestDeadline: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private let request: TimeAmount
    private let idle: TimeAmount
    private var timer: Scheduled<Void>?
    /// A request is under way (its head came, its end not yet).
    private var receiving = false

    init(requestSeconds: Int, idleSeconds: Int) {
        self.request = .seconds(Int64(max(1, requestSeconds)))
        self.idle = .seconds(Int64(max(1, max(requestSeconds, idleSeconds))))
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.arm(self.request, context: context) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.arm(self.request, context: context)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.timer?.cancel()
        self.timer = nil
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head:
            if !self.receiving {
                // A new request after an idle spell: it has `requestSeconds` from now.
                self.receiving = true
                self.arm(self.request, context: context)
            }
        case .body:
            break
        case .end:
            // Arrived whole: the answer is the node's to give (in a cluster it may wait on Redis).
            self.receiving = false
            self.timer?.cancel()
            self.timer = nil
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        if case .end = Self.unwrapOutboundIn(data), !self.receiving {
            self.arm(self.idle, context: context)
        }
        context.write(data, promise: promise)
    }

    private func arm(_ delay: TimeAmount, context: ChannelHandlerContext) {
        self.timer?.cancel()
        let channel = context.channel
        self.timer = context.eventLoop.scheduleTask(in: delay) { channel.close(promise: nil) }
    }
}

@available(*, unavailable)
extension RequestDeadline: Sendable {}
