import Foundation
import NIOCore
import NIOSSL
@testable import SpacesCLI
import SpacesClient
import SpacesCore
@testable import SpacesServer
import SpacesOpus
import SpacesTestSupport
import XCTest

/// The node's own TLS (`server.tls.*`): the API, `wss://` for hosts and listeners, and what a
/// client that does not trust the certificate, or speaks plain HTTP to the port, gets.
final class ServerTLSTests: XCTestCase {
    private var certificate: TestCertificate!

    override func setUpWithError() throws {
        self.certificate = try TestCertificate()
    }

    override func tearDown() {
        ClientTLS.trust(certificatesIn: nil)
        self.certificate.remove()
    }

    private func node(_ configure: @escaping (inout SpacesConfiguration) -> Void = { _ in }) async throws -> TestServer {
        let certificate = self.certificate!
        return try await TestServer.start { configuration in
            configuration.server.tls.certificate = certificate.certificatePath
            configuration.server.tls.key = certificate.keyPath
            configure(&configuration)
        }
    }

    /// Runs curl; returns its exit status, the HTTP status it printed last and the body.
    private func curl(_ arguments: [String]) throws -> (exit: Int32, status: Int, body: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("curl-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        process.arguments = ["-sS", "--max-time", "10", "-o", output.path, "-w", "%{http_code}"] + arguments
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        try process.run()
        let printed = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let body = TextFile.read(output)
        return (process.terminationStatus, Int(printed) ?? 0, body)
    }

    func testCurlWithTheAuthorityUsesTheAPIOverTLSAndTheURLsItGetsAreSecure() async throws {
        let node = try await self.node()
        let base = "https://localhost:\(node.port)"
        let listing = try self.curl(["--cacert", self.certificate.authorityPath, "\(base)/v1/spaces"])
        XCTAssertEqual(listing.exit, 0)
        XCTAssertEqual(listing.status, 200)
        XCTAssertTrue(listing.body.hasPrefix("{"), listing.body)

        let created = try self.curl([
            "--cacert", self.certificate.authorityPath, "-X", "POST", "-H", "authorization: Bearer \(TestServer.hostKey)",
            "-H", "content-type: application/json", "--data", #"{"title":"Secure"}"#, "\(base)/v1/spaces",
        ])
        XCTAssertEqual(created.status, 201, created.body)
        let answer = try JSONDecoder().decode(CreateSpaceResponse.self, from: Data(created.body.utf8))
        XCTAssertTrue(answer.listenURL.hasPrefix("wss://localhost:\(node.port)/v1/spaces/"), answer.listenURL)
        XCTAssertTrue(answer.publishURL.hasPrefix("wss://localhost:\(node.port)/"), answer.publishURL)
        XCTAssertTrue(answer.pageURL?.hasPrefix("https://localhost:\(node.port)/s/") == true, answer.pageURL ?? "no pageURL")

        // The page, over TLS, by the other name on the certificate and by its address.
        let page = try self.curl([
            "--cacert", self.certificate.authorityPath, "--resolve", "spaces.test:\(node.port):127.0.0.1",
            "https://spaces.test:\(node.port)/s/\(answer.id)",
        ])
        XCTAssertEqual(page.status, 200)
        XCTAssertTrue(page.body.contains("<html"), "the listener page")
        XCTAssertEqual(try self.curl(["--cacert", self.certificate.authorityPath, "https://127.0.0.1:\(node.port)/healthz"]).status, 200)
        await node.stop()
    }

    func testWithoutTheAuthorityOrInPlainHTTPTheNodeIsNotReachedAndKeepsServing() async throws {
        let node = try await self.node()
        // curl's own trust store does not hold the test authority: 60 = peer certificate
        // cannot be authenticated.
        XCTAssertEqual(try self.curl(["https://localhost:\(node.port)/v1/spaces"]).exit, 60)
        // A name the certificate does not carry: 60 as well (curl checks the name).
        XCTAssertEqual(try self.curl([
            "--cacert", self.certificate.authorityPath, "--resolve", "other.test:\(node.port):127.0.0.1",
            "https://other.test:\(node.port)/v1/spaces",
        ]).exit, 60)
        // Plain HTTP to the TLS port: no HTTP answer.
        XCTAssertNotEqual(try self.curl(["http://127.0.0.1:\(node.port)/v1/spaces"]).status, 200)

        // The project's client refuses the certificate until told to trust its authority.
        ClientTLS.trust(certificatesIn: nil)
        do {
            _ = try await HTTPClient.request(.GET, ServerURL("https://localhost:\(node.port)/v1/spaces"))
            XCTFail("an untrusted certificate was accepted")
        } catch {
            XCTAssertTrue("\(error)".contains("CERTIFICATE_VERIFY_FAILED") || error is NIOSSLError, "\(error)")
        }
        ClientTLS.trust(certificatesIn: self.certificate.authorityPath)
        let response = try await HTTPClient.request(.GET, ServerURL("https://localhost:\(node.port)/healthz"))
        XCTAssertEqual(response.status, 200)
        await node.stop()
    }

    func testAHostAndListenersOverWSSHearTheToneWithTheOriginsSequences() async throws {
        let node = try await self.node()
        let host = try HostCommand.Start.parse([
            "--server", node.base, "--host-key", TestServer.hostKey, "--cacert", self.certificate.authorityPath,
            "--title", "Secure tone", "--tone", "440", "--duration", "4", "--plain",
        ])
        let hosting = Task { try await host.run() }
        var spaceID: String?
        try await eventually {
            spaceID = node.server.registry.all().first { $0.title == "Secure tone" }?.id
            return spaceID != nil
        }
        let listenURL = try "wss://localhost:\(node.port)/v1/spaces/\(XCTUnwrap(spaceID))/listen"
        var packets: [[UInt8]] = []
        let report = try await Listener(url: listenURL).listen(
            duration: .seconds(15), onBatch: { batch in packets += batch.frames.map { Array($0.readableBytesView) } }
        )
        try await hosting.value
        XCTAssertEqual(report.ended?.reason, "ended")
        XCTAssertEqual(report.sequence.gaps, 0)
        XCTAssertEqual(report.sequence.expected, 200, "the last of 4 s of frames, numbered by the host")
        XCTAssertGreaterThan(report.sequence.received, 150)
        let decoder = try OpusDecoder(sampleRate: 48_000, channels: 1)
        var pcm: [Int16] = []
        for packet in packets { pcm += try decoder.decode(packet) }
        XCTAssertEqual(FrequencyEstimator.dominantFrequency(Array(pcm.dropFirst(48_000 / 5)), sampleRate: 48_000), 440, accuracy: 5)
        await node.stop()
    }

    func testASilentConnectionIsClosedBeforeItsTLSHandshakeAtRequestSeconds() async throws {
        let node = try await self.node { $0.limits.requestSeconds = 1 }
        let silent = try RequestDeadlineTests.Raw(port: node.port)
        let (_, seconds, closed) = silent.readToEnd()
        XCTAssertTrue(closed)
        XCTAssertLessThan(seconds, 4)
        // A client that sends garbage instead of a TLS hello is closed as well, and costs
        // nobody else: the node still answers.
        let garbage = try RequestDeadlineTests.Raw(port: node.port)
        garbage.send("GET / HTTP/1.1\r\nHost: x\r\n\r\n")
        XCTAssertTrue(garbage.readToEnd().closed)
        XCTAssertEqual(try self.curl(["--cacert", self.certificate.authorityPath, "https://localhost:\(node.port)/healthz"]).status, 200)
        await node.stop()
    }

    func testASettingThatCannotBeUsedStopsTheNodeAtStartNamingIt() throws {
        var configuration = SpacesConfiguration()
        configuration.server.tls.certificate = self.certificate.certificatePath
        XCTAssertThrowsError(try SpacesServer(configuration: configuration)) { error in
            XCTAssertTrue("\(error)".contains("server.tls.key"), "\(error)")
        }
        configuration.server.tls.key = "/nonexistent/key.pem"
        XCTAssertThrowsError(try SpacesServer(configuration: configuration)) { error in
            XCTAssertTrue("\(error)".contains("server.tls.key: cannot read"), "\(error)")
        }
        configuration.server.tls.key = self.certificate.keyPath
        configuration.server.tls.certificate = self.certificate.keyPath
        XCTAssertThrowsError(try SpacesServer(configuration: configuration)) { error in
            XCTAssertTrue("\(error)".contains("server.tls.certificate"), "\(error)")
        }
        let other = try TestCertificate()
        defer { other.remove() }
        configuration.server.tls.certificate = other.certificatePath
        XCTAssertThrowsError(try SpacesServer(configuration: configuration)) { error in
            // Refused by the check made before the context is built (swift-nio-ssl would leak one).
            XCTAssertTrue("\(error)".contains("is not the certificate's"), "\(error)")
        }
    }
}
