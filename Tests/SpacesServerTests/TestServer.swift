import Logging
import NIOCore
import SpacesClient
import SpacesCore
import SpacesServer
import XCTest

/// A real node on a loopback port, for one test.
struct TestServer {
    static let hostKey = "test-host-key"
    let server: SpacesServer
    let base: String
    let api: SpacesAPIClient
    let port: Int

    static func start(_ configure: (inout SpacesConfiguration) -> Void = { _ in }) async throws -> TestServer {
        var configuration = SpacesConfiguration()
        configuration.server.port = 0
        configuration.server.hostKey = hostKey
        configuration.server.eventLoops = 2
        configuration.server.shutdownGraceSeconds = 3
        configure(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .warning
        let server = try SpacesServer(configuration: configuration, logger: logger)
        let address = try await server.start()
        // A TLS node is reached by a name its certificate carries (TestCertificate's).
        let base = configuration.server.tls.enabled ? "https://localhost:\(address.port!)" : "http://127.0.0.1:\(address.port!)"
        return TestServer(server: server, base: base, api: try SpacesAPIClient(server: base), port: address.port!)
    }

    func createSpace(title: String = "Test", capacity: Int? = nil, channels: Int? = nil) async throws -> CreateSpaceResponse {
        try await self.api.createSpace(CreateSpaceRequest(title: title, capacity: capacity, channels: channels), hostKey: Self.hostKey)
    }

    func url(_ path: String) throws -> ServerURL {
        try ServerURL(self.base + path)
    }

    /// A listener joins Space `id`, reads its first message and leaves with a clean close.
    func joinAndLeave(_ id: String) async throws {
        let connection = try await WebSocketClient.connect(try self.url("/v1/spaces/\(id)/listen"))
        try await connection.run { messages, sender in
            _ = try await messages.next()
            try await sender.close(code: 1000)
        }
    }

    func stop() async {
        await self.server.stop()
    }
}

/// Waits until `condition` holds, polling, or fails after `timeout`.
func eventually(
    timeout: Duration = .seconds(5), file: StaticString = #filePath, line: UInt = #line,
    _ condition: () async throws -> Bool
) async throws {
    let deadline = ContinuousClock.now + timeout
    while ContinuousClock.now < deadline {
        if try await condition() { return }
        try await Task.sleep(for: .milliseconds(20))
    }
    XCTFail("condition not met within \(timeout)", file: file, line: line)
}

/// Reads messages until the socket closes; returns the texts seen and the close code.
func drain(_ messages: inout MessageIterator, timeout: Duration = .seconds(5)) async throws -> (texts: [String], binaries: Int, close: UInt16?) {
    var texts: [String] = []
    var binaries = 0
    while let message = try await messages.next() {
        switch message {
        case .text(let text): texts.append(text)
        case .binary: binaries += 1
        case .close(let code, _): return (texts, binaries, code)
        }
    }
    return (texts, binaries, nil)
}

/// A batch of the given packets, encoded as a host sends it.
func encodedBatch(_ packets: [[UInt8]], firstSequence: UInt32 = 0) -> ByteBuffer {
    var buffer = ByteBuffer()
    AudioBatch(firstSequence: firstSequence, captureTimeMicros: 0, frames: packets.map { ByteBuffer(bytes: $0) }).encode(into: &buffer)
    return buffer
}

/// A small valid Opus packet: TOC config 1 (SILK NB 20 ms), code 0, then payload bytes.
let validPacket: [UInt8] = [0x08, 0xAA, 0xBB, 0xCC]
