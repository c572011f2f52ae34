import NIOCore
import NIOPosix
import ScenarioSupport
import Synchronization

/// The listeners of the saturating broadcast: raw TCP clients that send the WebSocket upgrade
/// request and then only count what arrives (no HTTP or WebSocket decoder), so that this
/// process's core does as little as possible per message while the node does all of its work.
final class Audience: Sendable {
    let joined = Atomic<Int>(0)
    let refused = Atomic<Int>(0)
    let audioFrames = Atomic<Int>(0)
    let messages = Atomic<Int>(0)
    private let channels = Mutex<[any Channel]>([])
    let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)

    /// Opens `count` listeners to `target` on `port`, spread over `sources`, a wave at a time;
    /// returns once every connection is open (answers arrive after).
    func join(count: Int, port: Int, target: String, sources: [String]) async throws {
        let request = ByteBuffer(string: [
            "GET \(target) HTTP/1.1",
            "Host: 127.0.0.1:\(port)",
            "Upgrade: websocket",
            "Connection: Upgrade",
            "Sec-WebSocket-Key: c3BhY2VzLWJlbmNoLWtleQ==",
            "Sec-WebSocket-Version: 13",
            "", "",
        ].joined(separator: "\r\n"))
        let server = try SocketAddress(ipAddress: "127.0.0.1", port: port)
        var next = 0
        while next < count {
            let wave = next..<min(count, next + 500)
            let futures = try wave.map { index in
                try ClientBootstrap(group: self.group)
                    .channelOption(.socketOption(.tcp_nodelay), value: 1)
                    .bind(to: SocketAddress(ipAddress: sources[index % sources.count], port: 0))
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try channel.pipeline.syncOperations.addHandler(RawListener(request: request, audience: self))
                        }
                    }
                    .connect(to: server)
            }
            let opened = try await EventLoopFuture.whenAllSucceed(futures, on: self.group.next()).get()
            self.channels.withLock { $0 += opened }
            next = wave.upperBound
        }
    }

    /// Closes every listener (without a close frame: the node is stopped right after).
    func leave() async {
        let channels = self.channels.withLock { $0 }
        for channel in channels {
            channel.close(promise: nil)
        }
        try? await self.group.shutdownGracefully()
    }
}

/// One listener: writes the upgrade request, skips the HTTP answer's head, then counts frames.
/// Owned by its channel's event loop.
final class RawListener: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let request: ByteBuffer
    private let audience: Audience
    private var head: [UInt8] = []
    private var upgraded = false
    private var counter = WebSocketFrameCounter()

    init(request: ByteBuffer, audience: Audience) {
        self.request = request
        self.audience = audience
    }

    func channelActive(context: ChannelHandlerContext) {
        context.writeAndFlush(Self.wrapOutboundOut(self.request), promise: nil)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        var buffer = Self.unwrapInboundIn(data)
        if !self.upgraded {
            // The answer's head ends with an empty line; frames may follow in the same read.
            while !self.upgraded, let byte = buffer.readInteger(as: UInt8.self) {
                self.head.append(byte)
                if self.head.count >= 4 && self.head.suffix(4).elementsEqual([13, 10, 13, 10]) {
                    self.upgraded = true
                    if !self.head.starts(with: Array("HTTP/1.1 101".utf8)) {
                        self.audience.refused.add(1, ordering: .relaxed)
                        context.close(promise: nil)
                        return
                    }
                }
            }
        }
        let texts = self.counter.textFrames
        let binaries = self.counter.binaryFrames
        let frames = self.counter.consume(buffer)
        if texts == 0 && self.counter.textFrames > 0 { self.audience.joined.add(1, ordering: .relaxed) }
        if frames > 0 {
            self.audience.audioFrames.add(frames, ordering: .relaxed)
            self.audience.messages.add(self.counter.binaryFrames - binaries, ordering: .relaxed)
        }
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension RawListener: Sendable {}
