import NIOCore

/// A `ByteToMessageDecoder` that turns the bytes from Redis into ``RESPValue``s.
///
/// Wrap it with `ByteToMessageHandler(RESPDecoder(), maximumBufferSize:)` so that a reply that
/// never ends cannot grow the buffer without bound.
public struct RESPDecoder: ByteToMessageDecoder, Sendable {
    public typealias InboundOut = RESPValue

    private let parser: RESPParser

    public init(limits: RESPParser.Limits = .init()) {
        self.parser = RESPParser(limits: limits)
    }

    public mutating func decode(context: ChannelHandlerContext, buffer: inout ByteBuffer) throws -> DecodingState {
        do {
            guard let value = try self.parser.parse(&buffer) else { return .needMoreData }
            context.fireChannelRead(Self.wrapInboundOut(value))
            return .continue
        } catch {
            throw RedisError.protocolError(error)
        }
    }

    public mutating func decodeLast(context: ChannelHandlerContext, buffer: inout ByteBuffer, seenEOF: Bool) throws -> DecodingState {
        try self.decode(context: context, buffer: &buffer)
    }
}
