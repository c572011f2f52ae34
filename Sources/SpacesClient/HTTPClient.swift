import NIOCore
import NIOHTTP1
import NIOPosix

/// A small HTTP/1.1 client for the Spaces API: one request per connection, bounded body.
public enum HTTPClient {
    /// The largest response body read, in bytes.
    public static let maxBodyBytes = 1 << 20

    public static func request(
        _ method: HTTPMethod, _ url: ServerURL, headers: [(String, String)] = [], body: [UInt8]? = nil,
        group: any EventLoopGroup = MultiThreadedEventLoopGroup.singleton
    ) async throws -> HTTPResponse {
        let promise = group.next().makePromise(of: HTTPResponse.self)
        let connecting = ClientBootstrap(group: group)
            .connectTimeout(.seconds(10))
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try ClientTLS.addHandler(to: channel, for: url)
                    try channel.pipeline.syncOperations.addHTTPClientHandlers()
                    try channel.pipeline.syncOperations.addHandler(ResponseCollector(promise: promise))
                }
            }
            .connect(host: url.host, port: url.port)
        // A node that cannot be reached (a failover tries dead ones) fails the answer too.
        connecting.whenFailure { promise.fail($0) }
        let channel = try await connecting.get()
        var head = HTTPRequestHead(version: .http1_1, method: method, uri: url.target)
        head.headers.add(name: "host", value: url.hostHeader)
        head.headers.add(name: "connection", value: "close")
        head.headers.add(name: "content-length", value: String(body?.count ?? 0))
        for (name, value) in headers { head.headers.add(name: name, value: value) }
        channel.write(HTTPClientRequestPart.head(head), promise: nil)
        if let body, !body.isEmpty {
            channel.write(HTTPClientRequestPart.body(.byteBuffer(ByteBuffer(bytes: body))), promise: nil)
        }
        channel.writeAndFlush(HTTPClientRequestPart.end(nil), promise: nil)
        let timeout = channel.eventLoop.scheduleTask(in: .seconds(30)) {
            promise.fail(ChannelError.connectTimeout(.seconds(30)))
            channel.close(promise: nil)
        }
        defer { timeout.cancel() }
        return try await promise.futureResult.get()
    }
}

/// Collects one HTTP response into an ``HTTPResponse`` (body bounded), then closes.
public final class ResponseCollector: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = HTTPClientResponsePart

    private let promise: EventLoopPromise<HTTPResponse>
    private var head: HTTPResponseHead?
    private var body: [UInt8] = []

    public init(promise: EventLoopPromise<HTTPResponse>) {
        self.promise = promise
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch Self.unwrapInboundIn(data) {
        case .head(let head):
            self.head = head
        case .body(let chunk):
            if self.body.count + chunk.readableBytes <= HTTPClient.maxBodyBytes {
                self.body.append(contentsOf: chunk.readableBytesView)
            }
        case .end:
            if let head = self.head {
                self.promise.succeed(HTTPResponse(status: Int(head.status.code), headers: head.headers, body: self.body))
            }
            context.close(promise: nil)
        }
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.promise.fail(ChannelError.eof)
        context.fireChannelInactive()
    }

    public func errorCaught(context: ChannelHandlerContext, error: any Error) {
        self.promise.fail(error)
        context.close(promise: nil)
    }
}

@available(*, unavailable)
extension ResponseCollector: Sendable {}
