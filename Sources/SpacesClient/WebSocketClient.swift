import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import SpacesCompression

/// Opens WebSocket connections to a Spaces node.
public enum WebSocketClient {
    /// The server answered the upgrade request with an HTTP error instead of 101.
    public struct Refused: Error, CustomStringConvertible, Sendable {
        public var response: HTTPResponse
        public var status: Int { self.response.status }
        public var description: String { HTTPStatusError(response: self.response).description }
    }

    enum Upgrade: Sendable {
        case websocket(NIOAsyncChannel<WebSocketFrame, WebSocketFrame>, PermessageDeflate.Agreement?, HandOff)
        case refused(EventLoopFuture<HTTPResponse>)
    }

    /// Connects and upgrades. `localAddress` binds the client socket to a source address
    /// (e.g. 127.0.0.2) so that many connections fit in the loopback port space.
    ///
    /// `compression` offers permessage-deflate (``PermessageDeflate/clientOffer``); off by
    /// default. When the server agrees (``WebSocketConnection/compressed``), its compressed
    /// messages are inflated before the caller sees them, each within `maxFrameSize` bytes.
    /// The client itself never compresses what it sends.
    public static func connect(
        _ url: ServerURL, headers: [(String, String)] = [], maxFrameSize: Int = 1 << 20, compression: Bool = false,
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
                    channel: channel, url: url, headers: headers, maxFrameSize: maxFrameSize, compression: compression,
                    upgraded: { channel, agreement in
                        let handOff = HandOff()
                        try channel.pipeline.syncOperations.addHandler(HandOff.Marker(handOff))
                        return .websocket(try NIOAsyncChannel(wrappingChannelSynchronously: channel), agreement, handOff)
                    },
                    refused: { .refused($0) }
                )
            }
        }
        switch try await upgrade.get() {
        case .websocket(let channel, let agreement, let handOff):
            return WebSocketConnection(channel: channel, agreement: agreement, maxMessageSize: maxFrameSize, handOff: handOff)
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
        try Self.configureUpgrade(
            channel: channel, url: url, headers: headers, maxFrameSize: maxFrameSize, compression: false,
            upgraded: { channel, _ in try upgraded(channel) }, refused: refused
        )
    }

    /// ``configureUpgrade(channel:url:headers:maxFrameSize:upgraded:refused:)`` that offers
    /// permessage-deflate when `compression` is true: `upgraded` gets the server's terms, or
    /// `nil` when it answered without the extension. Inflating RSV1 frames is then up to the
    /// handlers `upgraded` installs (``WebSocketConnection`` does it).
    ///
    /// An answer the client cannot accept (an extension it did not offer, unknown parameters)
    /// fails the upgrade with ``PermessageDeflate/InvalidResponse`` and closes the channel, as
    /// RFC 6455 §9.1 requires.
    public static func configureUpgrade<Result: Sendable>(
        channel: any Channel, url: ServerURL, headers: [(String, String)] = [], maxFrameSize: Int = 1 << 20,
        compression: Bool,
        upgraded: @escaping @Sendable (any Channel, PermessageDeflate.Agreement?) throws -> Result,
        refused: @escaping @Sendable (EventLoopFuture<HTTPResponse>) -> Result
    ) throws -> EventLoopFuture<Result> {
        let upgrader = NIOTypedWebSocketClientUpgrader<Result>(
            maxFrameSize: maxFrameSize,
            upgradePipelineHandler: { channel, response in
                channel.eventLoop.makeCompletedFuture {
                    let agreement: PermessageDeflate.Agreement?
                    do {
                        agreement = try Self.agreement(in: response, offered: compression)
                    } catch {
                        channel.close(promise: nil)
                        throw error
                    }
                    return try upgraded(channel, agreement)
                }
            }
        )
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: url.target)
        head.headers.add(name: "host", value: url.hostHeader)
        head.headers.add(name: "content-length", value: "0")
        if compression { head.headers.add(name: "sec-websocket-extensions", value: PermessageDeflate.clientOffer) }
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
        try ClientTLS.addHandler(to: channel, for: url)
        var pipeline = NIOUpgradableHTTPClientPipelineConfiguration(upgradeConfiguration: configuration)
        // The server's first frame (welcome) may arrive in the same read as its 101.
        pipeline.leftOverBytesStrategy = .forwardBytes
        return try channel.pipeline.syncOperations.configureUpgradableHTTPClientPipeline(configuration: pipeline)
    }

    /// The server's permessage-deflate terms from its 101, all `Sec-WebSocket-Extensions`
    /// fields joined; an extension in the answer when none was offered is an error too.
    static func agreement(in response: HTTPResponseHead, offered: Bool) throws(PermessageDeflate.InvalidResponse) -> PermessageDeflate.Agreement? {
        let fields = response.headers["sec-websocket-extensions"]
        guard !fields.isEmpty else { return nil }
        let answer = fields.joined(separator: ", ")
        guard offered else {
            guard answer.allSatisfy({ $0 == " " || $0 == "\t" || $0 == "," }) else {
                throw PermessageDeflate.InvalidResponse(response: answer, reason: "no extension was offered")
            }
            return nil
        }
        return try PermessageDeflate.clientAgreement(response: answer)
    }
}
