import NIOCore
import NIOHTTP1
import NIOPosix
import NIOWebSocket
import SpacesCompression
import SpacesCore
import XCTest

@testable import SpacesClient
@testable import SpacesServer

/// Compressed messages (RFC 7692) and reserved bits, on the server's side (FrameAssembler) and
/// on the client's (MessageIterator), which follow the same rules.
final class FrameAssemblerDeflateTests: XCTestCase {
    /// A masked client frame carrying `payload` (masked here, as it comes off the wire).
    private func frame(
        _ opcode: WebSocketOpcode, _ payload: ByteBuffer, fin: Bool = true, rsv1: Bool = false, rsv2: Bool = false, rsv3: Bool = false
    ) -> WebSocketFrame {
        let key = WebSocketMaskingKey.random()
        var data = payload
        data.webSocketMask(key)
        return WebSocketFrame(fin: fin, rsv1: rsv1, rsv2: rsv2, rsv3: rsv3, opcode: opcode, maskKey: key, data: data)
    }

    private func compressed(_ text: String) -> ByteBuffer {
        Deflater().compress(text.utf8)
    }

    private func isFailure(_ action: FrameAssembler.Action, _ code: CloseCode) -> Bool {
        if case .fail(code, _) = action { return true }
        return false
    }

    // MARK: Server: negotiated

    func testACompressedTextIsInflated() {
        var assembler = FrameAssembler(limit: 4_096, inflater: Inflater())
        let text = #"{"type":"ask","text":"Why does Opus beat MP3 for speech at low bitrates?"}"#
        XCTAssertEqual(assembler.receive(self.frame(.text, self.compressed(text), rsv1: true)), .text(ByteBuffer(string: text)))
        // The same assembler then takes a plain message, unchanged.
        XCTAssertEqual(assembler.receive(self.frame(.text, ByteBuffer(string: "plain"))), .text(ByteBuffer(string: "plain")))
    }

    func testACompressedBinaryIsInflated() {
        var assembler = FrameAssembler(limit: 4_096, inflater: Inflater())
        let bytes = ByteBuffer(bytes: (0..<1_000).map { UInt8($0 % 7) })
        XCTAssertEqual(assembler.receive(self.frame(.binary, Deflater().compress(bytes), rsv1: true)), .binary(bytes))
    }

    func testAFragmentedCompressedMessageIsInflatedWhole() {
        var assembler = FrameAssembler(limit: 10_000, inflater: Inflater())
        let text = String(repeating: "When is the next Space about codecs? ", count: 100)
        var compressed = self.compressed(text)
        XCTAssertGreaterThan(compressed.readableBytes, 20)
        let first = compressed.readSlice(length: 10)!
        let second = compressed.readSlice(length: 10)!
        // Only the first frame carries RSV1 (RFC 7692 §6.1).
        XCTAssertEqual(assembler.receive(self.frame(.text, first, fin: false, rsv1: true)), .none)
        XCTAssertEqual(assembler.receive(self.frame(.ping, ByteBuffer(string: "p"))), .pong(ByteBuffer(string: "p")))
        XCTAssertEqual(assembler.receive(self.frame(.continuation, second, fin: false)), .none)
        XCTAssertEqual(assembler.receive(self.frame(.continuation, compressed)), .text(ByteBuffer(string: text)))
    }

    func testAnEmptyCompressedMessage() {
        var assembler = FrameAssembler(limit: 100, inflater: Inflater())
        XCTAssertEqual(assembler.receive(self.frame(.text, ByteBuffer(bytes: [0x00]), rsv1: true)), .text(ByteBuffer()))
    }

    func testTooBigOnceInflatedIs1009() {
        var assembler = FrameAssembler(limit: 4_096, inflater: Inflater())
        let bomb = Deflater().compress([UInt8](repeating: 0x20, count: 1_000_000))
        XCTAssertLessThan(bomb.readableBytes, 4_096, "small on the wire")
        XCTAssertTrue(self.isFailure(assembler.receive(self.frame(.text, bomb, rsv1: true)), .messageTooBig))
        // Exactly the limit passes.
        let fits = String(repeating: "a", count: 4_096)
        XCTAssertEqual(assembler.receive(self.frame(.text, self.compressed(fits), rsv1: true)), .text(ByteBuffer(string: fits)))
    }

    func testCompressedBytesOverTheWireLimitAre1009() {
        var assembler = FrameAssembler(limit: 1_000, inflater: Inflater())
        let wire = ByteBuffer(repeating: 0, count: assembler.compressedLimit + 1)
        XCTAssertTrue(self.isFailure(assembler.receive(self.frame(.binary, wire, rsv1: true)), .messageTooBig))
        var fragmented = FrameAssembler(limit: 1_000, inflater: Inflater())
        XCTAssertEqual(fragmented.receive(self.frame(.binary, ByteBuffer(repeating: 0, count: 600), fin: false, rsv1: true)), .none)
        XCTAssertTrue(self.isFailure(fragmented.receive(self.frame(.continuation, ByteBuffer(repeating: 0, count: 600))), .messageTooBig))
    }

    func testIncompressibleDataAtTheLimitStillFits() {
        // Random bytes grow a little when "compressed"; a message at the limit must still pass.
        var generator = SystemRandomNumberGenerator()
        let bytes = ByteBuffer(bytes: (0..<4_096).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let wire = Deflater().compress(bytes)
        XCTAssertGreaterThan(wire.readableBytes, 4_096)
        var assembler = FrameAssembler(limit: 4_096, inflater: Inflater())
        XCTAssertEqual(assembler.receive(self.frame(.binary, wire, rsv1: true)), .binary(bytes))
    }

    func testCorruptDataIs1007() {
        var assembler = FrameAssembler(limit: 4_096, inflater: Inflater())
        XCTAssertTrue(self.isFailure(assembler.receive(self.frame(.text, ByteBuffer(bytes: [0xFF, 0xFF, 0xFF]), rsv1: true)), .invalidPayload))
        var truncated = self.compressed(String(repeating: "question ", count: 50))
        truncated.moveWriterIndex(to: truncated.writerIndex - 3)
        var other = FrameAssembler(limit: 4_096, inflater: Inflater())
        XCTAssertTrue(self.isFailure(other.receive(self.frame(.text, truncated, rsv1: true)), .invalidPayload))
    }

    func testRSV1OnAControlOrContinuationFrameIs1002() {
        var assembler = FrameAssembler(limit: 4_096, inflater: Inflater())
        XCTAssertTrue(self.isFailure(assembler.receive(self.frame(.ping, ByteBuffer(), rsv1: true)), .protocolError))
        var continuing = FrameAssembler(limit: 4_096, inflater: Inflater())
        XCTAssertEqual(continuing.receive(self.frame(.text, ByteBuffer(string: "a"), fin: false)), .none)
        XCTAssertTrue(self.isFailure(continuing.receive(self.frame(.continuation, ByteBuffer(string: "b"), rsv1: true)), .protocolError))
    }

    func testOneInflaterServesInterleavedConnections() {
        // What one inflater per event loop relies on: client_no_context_takeover.
        let shared = Inflater()
        var first = FrameAssembler(limit: 4_096, inflater: shared)
        var second = FrameAssembler(limit: 4_096, inflater: shared)
        for round in 0..<20 {
            let a = "first \(round): " + String(repeating: "raise hand ", count: round)
            let b = "second \(round): " + String(repeating: "upvote q\(round) ", count: 20 - round)
            XCTAssertEqual(first.receive(self.frame(.text, self.compressed(a), rsv1: true)), .text(ByteBuffer(string: a)))
            XCTAssertEqual(second.receive(self.frame(.text, self.compressed(b), rsv1: true)), .text(ByteBuffer(string: b)))
        }
    }

    // MARK: Server: not negotiated, and bits no extension defines

    func testRSV1WithoutTheExtensionIs1002() {
        var assembler = FrameAssembler(limit: 4_096)
        XCTAssertTrue(self.isFailure(assembler.receive(self.frame(.text, self.compressed("hi"), rsv1: true)), .protocolError))
    }

    func testRSV2AndRSV3AreAlways1002() {
        for inflater in [nil, Inflater()] {
            var assembler = FrameAssembler(limit: 4_096, inflater: inflater)
            XCTAssertTrue(self.isFailure(assembler.receive(self.frame(.text, ByteBuffer(string: "x"), rsv2: true)), .protocolError))
            var other = FrameAssembler(limit: 4_096, inflater: inflater)
            XCTAssertTrue(self.isFailure(other.receive(self.frame(.binary, ByteBuffer(string: "x"), rsv3: true)), .protocolError))
        }
    }

    func testPlainFramesAreUnchanged() {
        var assembler = FrameAssembler(limit: 10)
        XCTAssertEqual(assembler.receive(self.frame(.text, ByteBuffer(string: "hello"), fin: false)), .none)
        XCTAssertEqual(assembler.receive(self.frame(.continuation, ByteBuffer(string: "world"))), .text(ByteBuffer(string: "helloworld")))
        XCTAssertTrue(self.isFailure(assembler.receive(self.frame(.text, ByteBuffer(string: "eleven byte"))), .messageTooBig))
        XCTAssertEqual(assembler.receive(self.frame(.connectionClose, ByteBuffer(bytes: [0x03, 0xE8]))), .close(code: 1000))
    }

    // MARK: Client (MessageIterator)

    /// Server frames (unmasked) fed to a client iterator; what it sent back is in `sink`.
    private func iterator(
        inflater: Inflater?, limit: Int = 1 << 20, frames: [WebSocketFrame]
    ) -> (MessageIterator, NIOAsyncChannelOutboundWriter<WebSocketFrame>.TestSink) {
        let (stream, source) = NIOAsyncChannelInboundStream<WebSocketFrame>.makeTestingStream()
        let (writer, sink) = NIOAsyncChannelOutboundWriter<WebSocketFrame>.makeTestingWriter()
        for frame in frames { source.yield(frame) }
        source.finish()
        let iterator = MessageIterator(
            frames: stream.makeAsyncIterator(), sender: WebSocketSender(outbound: writer), inflater: inflater, inflateLimit: limit
        )
        return (iterator, sink)
    }

    private func serverFrame(_ message: PreframedMessage) -> WebSocketFrame {
        // Parses what the server writes, as NIO's decoder would: FIN/RSV/opcode, then length.
        var bytes = message.bytes
        let first = bytes.readInteger(as: UInt8.self)!
        let second = bytes.readInteger(as: UInt8.self)!
        var length = Int(second & 0x7F)
        if length == 126 { length = Int(bytes.readInteger(as: UInt16.self)!) }
        if length == 127 { length = Int(bytes.readInteger(as: UInt64.self)!) }
        var frame = WebSocketFrame(fin: first & 0x80 != 0, opcode: WebSocketOpcode(encodedWebSocketOpcode: first & 0x0F)!, data: bytes.readSlice(length: length)!)
        frame.rsv1 = first & 0x40 != 0
        return frame
    }

    func testTheClientInflatesWhatTheServerDeflated() async throws {
        let deflater = Deflater()
        let big = String(repeating: #"{"id":"q1f","text":"Could you compare Opus and AAC?","votes":12},"#, count: 2_000)
        let (iterator, _) = self.iterator(
            inflater: Inflater(),
            frames: [
                self.serverFrame(.deflatedText(#"{"type":"questions"}"#, deflater: deflater)),
                self.serverFrame(.text("plain")),
                self.serverFrame(.deflatedText(big, deflater: deflater)),
            ]
        )
        var messages = iterator
        let first = try await messages.next()
        let second = try await messages.next()
        let third = try await messages.next()
        let end = try await messages.next()
        XCTAssertEqual(first, .text(#"{"type":"questions"}"#))
        XCTAssertEqual(second, .text("plain"))
        XCTAssertEqual(third, .text(big))
        XCTAssertNil(end)
    }

    func testTheClientClosesOnRSV1WithoutTheExtension() async throws {
        let (iterator, sink) = self.iterator(inflater: nil, frames: [self.serverFrame(.deflatedText("hi", deflater: Deflater()))])
        var messages = iterator
        do {
            _ = try await messages.next()
            XCTFail("no error")
        } catch let violation as WebSocketConnection.ProtocolViolation {
            XCTAssertEqual(violation.code, .protocolError)
        }
        // The sender's frames hold their payload in the clear: the encoder masks it on the wire.
        var sent = sink.makeAsyncIterator()
        let close = try await sent.next()
        XCTAssertEqual(close?.opcode, .connectionClose)
        XCTAssertEqual(close?.data.getInteger(at: 0, as: UInt16.self), CloseCode.protocolError.rawValue)
        let after = try await messages.next()
        XCTAssertNil(after, "nothing is read after a violation")
    }

    func testTheClientStopsABombAtItsLimit() async throws {
        let bomb = PreframedMessage.deflated(opcode: .text, payload: ByteBuffer(repeating: 0x20, count: 5_000_000), deflater: Deflater())
        let (iterator, sink) = self.iterator(inflater: Inflater(), limit: 65_536, frames: [self.serverFrame(bomb)])
        var messages = iterator
        do {
            _ = try await messages.next()
            XCTFail("no error")
        } catch let violation as WebSocketConnection.ProtocolViolation {
            XCTAssertEqual(violation.code, .messageTooBig)
        }
        var sent = sink.makeAsyncIterator()
        let close = try await sent.next()
        XCTAssertEqual(close?.data.getInteger(at: 0, as: UInt16.self), CloseCode.messageTooBig.rawValue)
    }

    func testTheClientRejectsCorruptAndMisplacedCompression() async throws {
        var corrupt = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(bytes: [0xFF, 0xFF]))
        corrupt.rsv1 = true
        var ping = WebSocketFrame(fin: true, opcode: .ping, data: ByteBuffer())
        ping.rsv1 = true
        var rsv2 = WebSocketFrame(fin: true, opcode: .text, data: ByteBuffer(string: "x"))
        rsv2.rsv2 = true
        for (frame, code) in [(corrupt, CloseCode.invalidPayload), (ping, .protocolError), (rsv2, .protocolError)] {
            var (messages, _) = self.iterator(inflater: Inflater(), frames: [frame])
            do {
                _ = try await messages.next()
                XCTFail("no error for \(frame)")
            } catch let violation as WebSocketConnection.ProtocolViolation {
                XCTAssertEqual(violation.code, code, "\(frame)")
            }
        }
    }

    func testTheClientInflatesAFragmentedMessage() async throws {
        let text = String(repeating: "fragmented and compressed, ", count: 200)
        var payload = Deflater().compress(text.utf8)
        var first = WebSocketFrame(fin: false, opcode: .text, data: payload.readSlice(length: 7)!)
        first.rsv1 = true
        let last = WebSocketFrame(fin: true, opcode: .continuation, data: payload)
        var (messages, _) = self.iterator(inflater: Inflater(), frames: [first, last])
        let message = try await messages.next()
        XCTAssertEqual(message, .text(text))
    }

    func testTheClientAgreementComesFromThe101() throws {
        var head = HTTPResponseHead(version: .http1_1, status: .switchingProtocols)
        XCTAssertNil(try WebSocketClient.agreement(in: head, offered: true))
        XCTAssertNil(try WebSocketClient.agreement(in: head, offered: false))
        head.headers.add(name: "Sec-WebSocket-Extensions", value: "permessage-deflate; server_no_context_takeover")
        head.headers.add(name: "Sec-WebSocket-Extensions", value: "client_no_context_takeover")
        XCTAssertThrowsError(try WebSocketClient.agreement(in: head, offered: true), "two fields: two extensions")
        XCTAssertThrowsError(try WebSocketClient.agreement(in: head, offered: false), "not offered")
        var spaces = HTTPResponseHead(version: .http1_1, status: .switchingProtocols)
        spaces.headers.add(name: "sec-websocket-extensions", value: PermessageDeflate.accept(offers: PermessageDeflate.clientOffer)!.header)
        XCTAssertEqual(try WebSocketClient.agreement(in: spaces, offered: true)?.serverNoContextTakeover, true)
    }

    // MARK: Client, over a socket

    /// A bare WebSocket server that answers the offer as ``PermessageDeflate/accept(offers:)``
    /// does, sends `text` (compressed when agreed) and closes with 1000.
    private func stubServer(sending text: String) async throws -> any Channel {
        let upgrader = NIOWebSocketServerUpgrader(
            shouldUpgrade: { channel, head in
                var headers = HTTPHeaders()
                if let agreement = PermessageDeflate.accept(offers: head.headers["sec-websocket-extensions"].joined(separator: ",")) {
                    headers.add(name: "Sec-WebSocket-Extensions", value: agreement.header)
                }
                return channel.eventLoop.makeSucceededFuture(headers)
            },
            upgradePipelineHandler: { channel, head in
                let agreed = PermessageDeflate.accept(offers: head.headers["sec-websocket-extensions"].joined(separator: ",")) != nil
                let payload = agreed ? Deflater().compress(text.utf8) : ByteBuffer(string: text)
                channel.write(WebSocketFrame(fin: true, rsv1: agreed, opcode: .text, data: payload), promise: nil)
                return channel.writeAndFlush(WebSocketFrame(fin: true, opcode: .connectionClose, data: ByteBuffer(bytes: [0x03, 0xE8])))
            }
        )
        return try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .childChannelInitializer { channel in
                channel.pipeline.configureHTTPServerPipeline(withServerUpgrade: (upgraders: [upgrader], completionHandler: { _ in }))
            }
            .bind(host: "127.0.0.1", port: 0).get()
    }

    func testConnectWithCompressionInflatesTransparently() async throws {
        let text = String(repeating: #"{"id":"q2a","text":"What bitrate do you stream at?","votes":3},"#, count: 300)
        let server = try await self.stubServer(sending: text)
        let url = try ServerURL("ws://127.0.0.1:\(server.localAddress!.port!)/listen")
        for compression in [true, false] {
            let connection = try await WebSocketClient.connect(url, compression: compression)
            XCTAssertEqual(connection.compressed, compression)
            let (texts, _, close) = try await connection.run { messages, _ in try await drain(&messages) }
            XCTAssertEqual(texts, [text], "compression \(compression)")
            XCTAssertEqual(close, 1000)
        }
        try await server.close()
    }
}
