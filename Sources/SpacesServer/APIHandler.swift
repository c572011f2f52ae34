import NIOCore
import NIOHTTP1
import SpacesCore

/// Serves the HTTP API on a connection that did not upgrade to a WebSocket.
///
/// Collects a bounded body, asks ``SpacesAPI`` for the answer and writes it. It is the only
/// handler of ours on an HTTP connection, so that a join adds and removes one: it also keeps the
/// connection's ``RequestDeadline`` and answers a request the HTTP parser could not read with the
/// documented `400 {"error": …}` (docs/PROTOCOL.md §2.5; NIO's own error handler answers with
/// an empty body). Touched on its channel's event loop only.
final class APIHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let api: SpacesAPI
    private let bodyLimit: Int
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false
    private var deadline: RequestDeadline
    /// A WebSocket request the upgrader declined for its address's handshake rate (set by
    /// `shouldUpgrade`): the next request to answer is that one, with this.
    var overRate: APIError?

    init(api: SpacesAPI) {
        self.api = api
        self.bodyLimit = api.configuration.limits.httpBodyBytes
        self.deadline = RequestDeadline(requestSeconds: api.configuration.limits.requestSeconds, idleSeconds: api.configuration.limits.idleSeconds)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        if context.channel.isActive { self.deadline.opened(context.channel) }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.deadline.opened(context.channel)
        context.fireChannelActive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.deadline.cancel()
    }

    /// What the HTTP parser could not read is answered 400 with a JSON error and the connection
    /// closes: what follows a malformed request cannot be read. (NIO's pipelining handler holds
    /// a parser error back while an earlier request's answer is under way, so this never
    /// interleaves with another answer.)
    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        self.head = nil
        self.body = nil
        let request = HTTPRequestHead(version: .http1_1, method: .GET, uri: "/")
        self.write(HTTPAnswer(APIError(.badRequest, "malformed HTTP request (\(parserError))")), for: request, context: context, close: true)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let part = Self.unwrapInboundIn(data)
        self.deadline.received(part, context.channel)
        switch part {
        case .head(let head):
            self.head = head
            self.body = nil
            self.tooLarge = false
            if let declared = head.headers.first(name: "content-length").flatMap({ Int($0) }), declared > self.bodyLimit {
                // Refused on what it declares, before a byte of it is read; the connection
                // closes with the answer, so the rest is never read either.
                self.tooLarge = true
                self.head = nil
                let answer = HTTPAnswer(APIError(.payloadTooLarge, "bodies are limited to \(self.bodyLimit) bytes"))
                self.write(answer, for: head, context: context, close: true, linger: true)
            }
        case .body(var chunk):
            guard !self.tooLarge else { return }
            if (self.body?.readableBytes ?? 0) + chunk.readableBytes > self.bodyLimit {
                self.tooLarge = true
                self.body = nil
                return
            }
            if self.body == nil {
                self.body = chunk
            } else {
                self.body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head = self.head else { return }
            self.head = nil
            if self.tooLarge {
                self.body = nil
                let answer = HTTPAnswer(APIError(.payloadTooLarge, "bodies are limited to \(self.bodyLimit) bytes"))
                self.write(answer, for: head, context: context, close: true)
                return
            }
            let body = self.body
            self.body = nil
            // NIO's decoder reads nothing more after a request that asked to upgrade: answered
            // without one (a refusal), that connection can only close.
            let upgrading = head.headers[canonicalForm: "connection"].contains { $0.lowercased() == "upgrade" }
            if let refusal = self.overRate {
                self.overRate = nil
                self.write(HTTPAnswer(refusal), for: head, context: context, close: true)
                return
            }
            // In a cluster some answers wait for Redis; the pipelining handler holds the next
            // request until this one is written.
            let bound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            self.api.respond(head, body: body, peer: context.remoteAddress, on: context.eventLoop).whenSuccess { answer in
                let (handler, context) = bound.value
                handler.write(answer, for: head, context: context, close: upgrading)
            }
        }
    }

    /// `linger`: the client may still be sending (a body refused on its declared length): close
    /// our side first and the whole connection a moment later, so that the answer is read
    /// rather than lost to a reset; what arrives meanwhile is dropped unread.
    private func write(_ answer: HTTPAnswer, for request: HTTPRequestHead, context: ChannelHandlerContext, close: Bool, linger: Bool = false) {
        let body = request.method == .HEAD ? ByteBuffer() : ByteBuffer(string: answer.body)
        var headers = answer.headers
        headers.replaceOrAdd(name: "content-length", value: String(answer.body.utf8.count))
        headers.replaceOrAdd(name: "cache-control", value: "no-store")
        // What any page may read, from any node: a page served by one node of a cluster asks
        // another for a Space and probes its listen endpoint when its own node is lost.
        if request.method == .GET || request.method == .HEAD, request.uri.hasPrefix("/v1/spaces/") {
            headers.replaceOrAdd(name: "access-control-allow-origin", value: "*")
        }
        let keepAlive = request.isKeepAlive && !close
        if !keepAlive { headers.replaceOrAdd(name: "connection", value: "close") }
        var response = HTTPResponseHead(version: request.version, status: answer.status, headers: headers)
        response.headers = headers
        context.write(Self.wrapOutboundOut(.head(response)), promise: nil)
        if body.readableBytes > 0 {
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(body))), promise: nil)
        }
        // Before the end goes out: writing it hands any pipelined request on at once, and that
        // request's own head must find the clock already running (and stop it at its end). A
        // closing answer gets the clock too: a peer that never reads it does not hold the socket.
        self.deadline.answered(context.channel)
        if keepAlive {
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil)), promise: nil)
        } else {
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in
                guard linger else { return channel.close(promise: nil) }
                channel.close(mode: .output, promise: nil)
                channel.eventLoop.scheduleTask(in: .seconds(1)) { channel.close(promise: nil) }
            }
        }
    }
}

@available(*, unavailable)
extension APIHandler: Sendable {}
