import NIOCore

/// Reads a connection in subscribe mode and hands each event to its subscriber. Owned by its
/// channel's event loop.
final class SubscriberHandler: ChannelInboundHandler {
    typealias InboundIn = RESPValue

    private let receive: (SubscriptionEvent) -> Void

    init(receive: @escaping (SubscriptionEvent) -> Void) {
        self.receive = receive
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.receive(SubscriptionEvent(Self.unwrapInboundIn(data)))
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension SubscriberHandler: Sendable {}
