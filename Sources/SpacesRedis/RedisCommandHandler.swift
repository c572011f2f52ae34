import NIOCore

/// A command on its way to Redis with the promise its reply completes.
public struct RedisRequest: Sendable {
    public var command: RedisCommand
    public var promise: EventLoopPromise<RESPValue>

    public init(command: RedisCommand, promise: EventLoopPromise<RESPValue>) {
        self.command = command
        self.promise = promise
    }
}

/// Writes commands and completes their promises with the replies, in order (pipelining).
///
/// Redis answers the commands of one connection in the order it received them, so a FIFO of
/// promises is all the bookkeeping pipelining needs. The FIFO is bounded: past
/// `maxPending` a command fails at once with ``RedisError/tooManyPending(limit:)`` instead of
/// queueing behind a Redis that does not keep up. Owned by its channel's event loop.
final class RedisCommandHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = RESPValue
    typealias OutboundIn = RedisRequest
    typealias OutboundOut = ByteBuffer

    private var pending = CircularBuffer<EventLoopPromise<RESPValue>>()
    private let maxPending: Int

    init(maxPending: Int) {
        self.maxPending = maxPending
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let request = Self.unwrapOutboundIn(data)
        guard self.pending.count < self.maxPending else {
            request.promise.fail(RedisError.tooManyPending(limit: self.maxPending))
            promise?.fail(RedisError.tooManyPending(limit: self.maxPending))
            return
        }
        var buffer = context.channel.allocator.buffer(capacity: 64)
        request.command.encode(into: &buffer)
        self.pending.append(request.promise)
        context.write(Self.wrapOutboundOut(buffer), promise: promise)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let value = Self.unwrapInboundIn(data)
        if case .push = value { return }  // RESP3 out-of-band data: not a reply.
        guard let promise = self.pending.popFirst() else {
            context.fireErrorCaught(RedisError.unexpectedReply("a reply to no command"))
            return
        }
        if case .error(let message) = value {
            promise.fail(RedisError.server(message))
        } else {
            promise.succeed(value)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.failAll(error as? RedisError ?? .connectionClosed)
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.failAll(.connectionClosed)
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.failAll(.connectionClosed)
    }

    private func failAll(_ error: RedisError) {
        while let promise = self.pending.popFirst() { promise.fail(error) }
    }
}

@available(*, unavailable)
extension RedisCommandHandler: Sendable {}
