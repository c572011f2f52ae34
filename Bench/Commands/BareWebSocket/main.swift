// BareWebSocket: the baseline for the joins scenario. The least a SwiftNIO WebSocket server does
// per join: NIO's HTTP server pipeline with its WebSocket upgrader (any path), then one text
// message of the size of a Spaces welcome, and a close frame answered with a close frame. No
// admission, no routes, no relay. One event loop; prints "listening on PORT".
//
//   BareWebSocket [--port P] [--message-bytes N]

import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Sends the welcome-sized message when added; answers a close and closes.
final class BareListener: ChannelInboundHandler {
    typealias InboundIn = WebSocketFrame
    typealias OutboundOut = WebSocketFrame

    private let message: ByteBuffer

    init(message: ByteBuffer) {
        self.message = message
    }

    func handlerAdded(context: ChannelHandlerContext) {
        context.writeAndFlush(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .text, data: self.message)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let frame = Self.unwrapInboundIn(data)
        guard frame.opcode == .connectionClose else { return }
        var payload = context.channel.allocator.buffer(capacity: 2)
        payload.writeInteger(UInt16(1000))
        context.writeAndFlush(Self.wrapOutboundOut(WebSocketFrame(fin: true, opcode: .connectionClose, data: payload)))
            .whenComplete { _ in context.close(promise: nil) }
    }
}

var port = 0
var messageBytes = 320
var arguments = CommandLine.arguments.dropFirst().makeIterator()
while let argument = arguments.next() {
    switch argument {
    case "--port": port = Int(arguments.next() ?? "") ?? 0
    case "--message-bytes": messageBytes = Int(arguments.next() ?? "") ?? messageBytes
    default:
        print("usage: BareWebSocket [--port P] [--message-bytes N]")
        exit(2)
    }
}

let message = ByteBuffer(string: "{\"type\":\"welcome\"," + String(repeating: "x", count: max(0, messageBytes - 20)) + "}")
let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
let channel = try await ServerBootstrap(group: group)
    .serverChannelOption(.backlog, value: 4096)
    .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
    .serverChannelOption(.maxMessagesPerRead, value: 256)
    .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
    .childChannelInitializer { channel in
        let upgrader = NIOWebSocketServerUpgrader(
            shouldUpgrade: { channel, _ in channel.eventLoop.makeSucceededFuture(HTTPHeaders()) },
            upgradePipelineHandler: { channel, _ in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(BareListener(message: message))
                }
            }
        )
        return channel.eventLoop.makeCompletedFuture {
            try channel.pipeline.syncOperations.configureHTTPServerPipeline(
                withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in })
            )
        }
    }
    .bind(host: "127.0.0.1", port: port)
    .get()
print("listening on \(channel.localAddress?.port ?? 0)")
try await channel.closeFuture.get()
