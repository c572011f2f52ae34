import Foundation
import SpacesCore
import XCTest

#if canImport(Glibc)
import Glibc
#endif

/// Connections that are not yet listeners: half a request, a silent connection, an idle
/// keep-alive, a declared body too large. Over a real loopback socket.
final class RequestDeadlineTests: XCTestCase {
    /// A plain TCP connection, for requests no HTTP client would send.
    final class Raw {
        let fd: Int32

        /// `receiveBuffer`: a small one makes a peer that does not read look so to the node soon.
        init(port: Int, receiveBuffer: Int32? = nil) throws {
            self.fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            if var size = receiveBuffer {
                setsockopt(self.fd, SOL_SOCKET, SO_RCVBUF, &size, socklen_t(MemoryLayout<Int32>.size))
            }
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw POSIXError(.ECONNREFUSED) }
            var timeout = timeval(tv_sec: 8, tv_usec: 0)
            setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        }

        deinit { close(self.fd) }

        func send(_ text: String) {
            let bytes = Array(text.utf8)
            _ = bytes.withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        }

        /// Reads until the node closes (or 8 s pass): what came, and how long it took.
        func readToEnd() -> (text: String, seconds: Double, closed: Bool) {
            let start = Date()
            var received: [UInt8] = []
            var buffer = [UInt8](repeating: 0, count: 4096)
            while true {
                let count = read(self.fd, &buffer, buffer.count)
                if count > 0 {
                    received += buffer[0..<count]
                } else {
                    return (String(decoding: received, as: UTF8.self), Date().timeIntervalSince(start), count == 0)
                }
            }
        }
    }

    private func node(requestSeconds: Int = 1, idleSeconds: Int = 2) async throws -> TestServer {
        try await TestServer.start { configuration in
            configuration.limits.requestSeconds = requestSeconds
            configuration.limits.idleSeconds = idleSeconds
        }
    }

    func testHalfARequestAndASilentConnectionAreClosedAfterRequestSeconds() async throws {
        let node = try await self.node()
        let half = try Raw(port: node.port)
        half.send("GET /v1/spaces HTTP/1.1\r\nHost: x\r\n")
        let silent = try Raw(port: node.port)
        let (text, seconds, closed) = half.readToEnd()
        XCTAssertTrue(closed, "closed by the node")
        XCTAssertEqual(text, "", "nothing was answered to half a request")
        XCTAssertGreaterThan(seconds, 0.5)
        XCTAssertLessThan(seconds, 4)
        XCTAssertTrue(silent.readToEnd().closed)
        // The node still answers whoever asks properly.
        let response = try await node.api.call(.GET, "/healthz")
        XCTAssertEqual(response.status, 200)
        await node.stop()
    }

    func testAKeepAliveConnectionIsAnsweredThenClosedWhenIdle() async throws {
        let node = try await self.node(requestSeconds: 1, idleSeconds: 2)
        let connection = try Raw(port: node.port)
        connection.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        let (text, seconds, closed) = connection.readToEnd()
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 200"), text)
        XCTAssertTrue(closed)
        XCTAssertGreaterThan(seconds, 1.5, "idleSeconds, not requestSeconds, after an answer")
        XCTAssertLessThan(seconds, 5)
        await node.stop()
    }

    /// An answer that closes the connection (here a file larger than the socket buffers, asked
    /// for with `Connection: close`) to a peer that never reads it: the node does not wait for
    /// the write for ever, it closes at the idle limit.
    func testAClosingAnswerToAPeerThatNeverReadsIsClosedWhenIdle() async throws {
        let node = try await self.node(requestSeconds: 1, idleSeconds: 2)
        let whole = try await node.api.call(.GET, "/web/space.js")
        XCTAssertEqual(whole.status, 200)
        XCTAssertGreaterThan(whole.body.count, 16 * 1024, "larger than the node's send buffer and this peer's receive buffer")
        let connection = try Raw(port: node.port, receiveBuffer: 1024)
        connection.send("GET /web/space.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
        try await Task.sleep(for: .seconds(3.5))
        // Closed meanwhile: what can still be read is what was buffered, not the whole answer.
        let (text, _, _) = connection.readToEnd()
        XCTAssertLessThan(text.utf8.count, whole.body.count, "the node gave up on a peer that did not read")
        await node.stop()
    }

    func testADeclaredBodyTooLargeIsRefusedBeforeItIsSent() async throws {
        let node = try await self.node(requestSeconds: 5)
        let connection = try Raw(port: node.port)
        // 2 GB declared, none of it sent: the 413 comes at once and the connection closes.
        connection.send("POST /v1/spaces HTTP/1.1\r\nHost: x\r\nContent-Length: 2000000000\r\nContent-Type: application/json\r\n\r\n{")
        let (text, seconds, closed) = connection.readToEnd()
        XCTAssertTrue(text.hasPrefix("HTTP/1.1 413"), text)
        XCTAssertTrue(text.contains("payload_too_large"), text)
        XCTAssertTrue(closed)
        XCTAssertLessThan(seconds, 1, "not after the request deadline: at once")
        await node.stop()
    }

    func testAWebSocketThatUpgradedIsNotClosedByTheDeadline() async throws {
        let node = try await self.node(requestSeconds: 1, idleSeconds: 1)
        let space = try await node.createSpace()
        let listener = try await TestListener.connect(node.url("/v1/spaces/\(space.id)/listen"))
        try await eventually { listener.welcome != nil }
        try await Task.sleep(for: .seconds(2.5))
        XCTAssertFalse(listener.finished, "a listener is not a request")
        await listener.close()
        await node.stop()
    }
}
