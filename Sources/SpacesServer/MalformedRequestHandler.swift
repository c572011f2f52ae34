import NIOCore
import NIOHTTP1
import SpacesCore

/// Answers a request the HTTP parser could not read with the documented `400 {"error": …}`
/// (docs/PROTOCOL.md §2.5) and closes: NIO's own error handler answers with an empty body.
///
/// Like NIO's, it answers only when no other answer has begun on the connection; either way the
/// connection is closed (after the answer, when there is one): what follows a malformed request
/// cannot be read.
final class MalformedRequestHandler: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias InboundOut = HTTPServerRequestPart
    typealias OutboundIn = HTTPServerResponsePart
    typealias OutboundOut = HTTPServerResponsePart

    private var answering = false

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let parserError = error as? HTTPParserError else {
            context.fireErrorCaught(error)
            return
        }
        if !self.answering {
            let body = APIError(.badRequest, "malformed HTTP request (\(parserError))").json()
            let headers = HTTPHeaders([
                ("connection", "close"), ("content-type", "application/json"), ("content-length", String(body.utf8.count)),
            ])
            context.write(Self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: .badRequest, headers: headers))), promise: nil)
            context.write(Self.wrapOutboundOut(.body(.byteBuffer(ByteBuffer(string: body)))), promise: nil)
            let channel = context.channel
            context.writeAndFlush(Self.wrapOutboundOut(.end(nil))).whenComplete { _ in channel.close(promise: nil) }
        } else {
            context.close(promise: nil)
        }
        context.fireErrorCaught(error)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch Self.unwrapOutboundIn(data) {
        case .head(let head) where head.status.code >= 200: self.answering = true
        case .end: self.answering = false
        default: break
        }
        context.write(data, promise: promise)
    }
}

@available(*, unavailable)
extension MalformedRequestHandler: Sendable {}
