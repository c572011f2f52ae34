import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket

/// Opens WebSocket connections to a Spaces node.
public enum WebSocketClient {
    /// The server answered the upgrade request with an HTTP error instead of 101.
    public struct Refused: Error, CustomStringConvertible, Sendable {
        public var response: HTTPResponse
        public var status: Int { self.response.status }
        public var description: String { HTTPStatusError(response: self.response).description }
    }

    enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>)
        case refused(EventLoopFuture<HTTPResponse>)
    }

    /// Connects and upgrades. `localAddress` binds the client socket to a source address
    /// (e.g. 127.0.0.2) so that many connections fit in the loopback port space.
    public static func connect(
        _ url: ServerURL, headers: [(String, String)] = [], maxFrameSize: Int = 1 << 20,
        localAddress: String? = nil, receiveBufferSize: Int? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> WebSocketConnection {
        var bootstrap = ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelOption(.socketOption(.tcp_nodelay), value: 1)
        if let receiveBufferSize {
            // A small receive buffer makes a client that stops reading look slow to the server
            // quickly (load tests of slow readers).
            bootstrap = bootstrap.channelOption(.socketOption(.so_rcvbuf), value: SocketOptionValue(receiveBufferSize))
        }
        if let localAddress {
            bootstrap = bootstrap.bind(to: try SocketAddress(ipAddress: localAddress, port: 0))
        }
        let upgrade: EventLoopFuture<Upgrade> = try await bootstrap.connect(host: url.host, port: url.port) { channel in
            channel.eventLoop.makeCompletedFuture {
                try Self.configureUpgrade(
                    channel: channel, url: url, headers: headers, maxFrameSize: maxFrameSize,
                    upgraded: { .websocket(try NIOAsyncChannel(wrappingChannelSynchronously: $0)) },
                    refused: { .refused($0) }
                )
            }
        }
        switch try await upgrade.get() {
        case .websocket(let channel):
            return WebSocketConnection(channel: channel)
        case .refused(let response):
            throw Refused(response: try await response.get())
        }
    }

    /// Sets up the HTTP upgrade to a WebSocket on a new channel: `upgraded` installs what runs
    /// on the WebSocket, `refused` gets the whole HTTP answer when the server says no.
    public static func configureUpgrade<Result: Sendable>(
        channel: any Channel, url: ServerURL, headers: [(String, String)] = [], maxFrameSize: Int = 1 << 20,
        upgraded: @escaping @Sendable (any Channel) throws -> Result,
        refused: @escaping @Sendable (EventLoopFuture<HTTPResponse>) -> Result
    ) throws -> EventLoopFuture<Result> {
        let upgrader = NIOTypedWebSocketClientUpgrader<Result>(
            maxFrameSize: maxFrameSize,
            upgradePipelineHandler: { channel, _ in channel.eventLoop.makeCompletedFuture { try upgraded(channel) } }
        )
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.target)
        head.headers.add(name: "host", value: url.hostHeader)
        head.headers.add(name: "content-length", value: "0")
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        let configuration = NIOTypedHTTPClientUpgradeConfiguration(
            upgradeRequestHead: head,
            upgraders: [upgrader],
            notUpgradingCompletionHandler: { channel in
                channel.eventLoop.makeCompletedFuture {
                    let promise = channel.eventLoop.makePromise(of: HTTPResponse.self)
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                    return refused(promise.futureResult)
                }
            }
        )
        var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
        // The server's first frame (welcome) may arrive in the same read as its 101.
        pipeline.leftOverBytesStrategy = .forwardBytes
        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
    }
}
