import Foundation
import SpacesTestSupport
import XCTest

/// The listener page (Sources/SpacesServer/Web) in a real browser, against a real node.
///
/// Runs Tests/Browser/listener_page_test.py, which starts the built `spaces` (serve, and a host
/// streaming a tone), drives three headless Chromium sessions through joining, waiting, a full
/// waiting room, questions, a dropped connection and its resume, and the end of the Space, and
/// takes screenshots listener-{waiting,live,ended}.png: into a temporary folder, checked and
/// removed, or into docs/screenshots (the README's) with SPACES_UPDATE_SCREENSHOTS=1, so that an
/// ordinary test run leaves the tracked images alone. Needs Chromium, chromedriver and
/// Selenium for python3 (Debian: chromium chromium-driver python3-selenium; .ci/run installs
/// them): when they are missing the test fails and says so, it is not skipped.
final class ListenerPageBrowserTests: XCTestCase {
    func testListenerPageInHeadlessChromium() throws {
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let script = repository.appendingPathComponent("Tests/Browser/listener_page_test.py")
        let updating = ProcessInfo.processInfo.environment["SPACES_UPDATE_SCREENSHOTS"] == "1"
        let screenshots = updating
            ? repository.appendingPathComponent("docs/screenshots")
            : FileManager.default.temporaryDirectory.appendingPathComponent("spaces-screenshots-\(UUID().uuidString)")
        defer { if !updating { try? FileManager.default.removeItem(at: screenshots) } }
        let spaces = Self.productsDirectory().appendingPathComponent("spaces")
        XCTAssertTrue(
            FileManager.default.isExecutableFile(atPath: spaces.path),
            "no `spaces` executable next to the tests at \(spaces.path): build it with the same scratch path (swift build)"
        )
        XCTAssertNotNil(
            ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "needs Chromium (apt-get install chromium chromium-driver; .ci/run installs it)"
        )
        let python = try XCTUnwrap(
            Self.pythonWithSelenium(),
            "needs python3 with Selenium (apt-get install python3-selenium; .ci/run installs it)"
        )
        guard FileManager.default.isExecutableFile(atPath: spaces.path) else { return }

        let run = try Self.run(python, [script.path, spaces.path, screenshots.path], timeout: 200)
        // The script's own log (what it did, and why it failed) belongs in the test's output.
        print(run.errors)
        XCTAssertEqual(run.status, 0, "the browser scenario failed: \(run.errors.split(separator: "\n").last ?? "")")

        let last = run.output.split(separator: "\n").last.map(String.init) ?? ""
        let summary = try XCTUnwrap(
            try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any],
            "no JSON summary on stdout: \(run.output)"
        )
        print("browser summary: \(last)")
        XCTAssertEqual(summary["ok"] as? Bool, true)
        XCTAssertGreaterThanOrEqual(summary["framesDecoded"] as? Int ?? 0, 250, "at least 5 s of audio decoded")
        XCTAssertEqual(summary["decoderErrors"] as? Int, 0)
        XCTAssertEqual(summary["listenersShown"] as? Int, 1)
        XCTAssertEqual(summary["questionSeen"] as? Bool, true)
        XCTAssertEqual(summary["waitingPosition"] as? Int, 1)
        XCTAssertGreaterThanOrEqual(summary["fullRetries"] as? Int ?? 0, 2, "a full waiting room, retried with the ticket")
        XCTAssertEqual(summary["admittedAfterLeave"] as? Bool, true)
        XCTAssertEqual(summary["resumed"] as? Bool, true)
        XCTAssertEqual(summary["sameListenerId"] as? Bool, true)
        XCTAssertEqual(summary["ended"] as? Bool, true)
        for name in ["listener-waiting.png", "listener-live.png", "listener-ended.png"] {
            let size = (try? FileManager.default.attributesOfItem(atPath: screenshots.appendingPathComponent(name).path)[.size] as? Int) ?? 0
            XCTAssertGreaterThan(size, 10_000, "\(name): a rendered page, not a blank one")
        }
    }

    /// Tests/Browser/cluster_page_test.py: a real `redis-server`, two cluster nodes and a host;
    /// the page listens on one node, which is then killed (SIGKILL); the page resumes on the
    /// other node with its token, as the same listener, and decodes audio again.
    func testTheListenerPageResumesOnAnotherNodeWhenItsNodeIsKilled() throws {
        let summary = try Self.scenario("cluster_page_test.py", [], timeout: 140)
        XCTAssertEqual(summary["sameListenerId"] as? Bool, true)
        XCTAssertGreaterThanOrEqual(summary["resumes"] as? Int ?? 0, 1)
        XCTAssertGreaterThanOrEqual(
            (summary["framesDecodedAfter"] as? Int ?? 0) - (summary["framesDecodedBefore"] as? Int ?? 0), 100, "audio again on the other node"
        )
        XCTAssertEqual(summary["decoderErrors"] as? Int, 0)
    }

    /// Tests/Browser/tls_page_test.py: a node serving TLS itself with a certificate made here,
    /// for spaces.test; the page opened as https://spaces.test:PORT (not localhost) is a secure
    /// context, listens over wss:// and decodes audio.
    func testThePagePlaysAudioOverTheNodesTLSFromANameThatIsNotLocalhost() throws {
        let certificate = try TestCertificate()
        defer { certificate.remove() }
        let summary = try Self.scenario("tls_page_test.py", [
            certificate.certificatePath, certificate.keyPath, certificate.authorityPath, certificate.publicKeyHash,
        ], timeout: 110)
        XCTAssertEqual(summary["secureContext"] as? Bool, true)
        XCTAssertTrue((summary["origin"] as? String)?.hasPrefix("https://spaces.test:") == true, "\(summary)")
        XCTAssertGreaterThanOrEqual(summary["framesDecoded"] as? Int ?? 0, 150)
        XCTAssertEqual(summary["decoderErrors"] as? Int, 0)
    }

    /// Runs Tests/Browser/`script` with the built `spaces` and `arguments`; its JSON summary,
    /// after checking that it ran and says ok.
    static func scenario(_ script: String, _ arguments: [String], timeout: TimeInterval) throws -> [String: Any] {
        let repository = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let spaces = Self.productsDirectory().appendingPathComponent("spaces")
        XCTAssertTrue(FileManager.default.isExecutableFile(atPath: spaces.path), "no `spaces` executable at \(spaces.path)")
        let python = try XCTUnwrap(Self.pythonWithSelenium(), "needs python3 with Selenium (apt-get install python3-selenium; .ci/run installs it)")
        let run = try Self.run(python, [repository.appendingPathComponent("Tests/Browser/\(script)").path, spaces.path] + arguments, timeout: timeout)
        print(run.errors)
        XCTAssertEqual(run.status, 0, "the browser scenario failed: \(run.errors.split(separator: "\n").last ?? "")")
        let last = run.output.split(separator: "\n").last.map(String.init) ?? ""
        let summary = try XCTUnwrap(try? JSONSerialization.jsonObject(with: Data(last.utf8)) as? [String: Any], "no JSON summary: \(run.output)")
        XCTAssertEqual(summary["ok"] as? Bool, true)
        return summary
    }

    /// Where the build put the test executable, and with it the `spaces` executable (whatever the
    /// scratch path: `.build`, `.build-web`, …).
    static func productsDirectory() -> URL {
        #if os(macOS)
        for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
            return bundle.bundleURL.deletingLastPathComponent()
        }
        #endif
        // On Linux the tests are an executable in the products directory.
        return (Bundle.main.executableURL ?? URL(fileURLWithPath: CommandLine.arguments[0])).deletingLastPathComponent()
    }

    /// Debian's python3 (where python3-selenium installs), else the first python3 on PATH, if it
    /// can import Selenium.
    static func pythonWithSelenium() -> String? {
        var candidates = ["/usr/bin/python3"]
        for directory in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(directory)/python3")
        }
        for candidate in candidates where FileManager.default.isExecutableFile(atPath: candidate) {
            if let probe = try? run(candidate, ["-c", "import selenium"], timeout: 30), probe.status == 0 {
                return candidate
            }
        }
        return nil
    }

    /// Runs a process to its end (or kills it after `timeout` seconds). Its errors go to a
    /// temporary file, so that a full pipe can never block it while we read its output.
    static func run(_ executable: String, _ arguments: [String], timeout: TimeInterval) throws -> (status: Int32, output: String, errors: String) {
        let errorsFile = FileManager.default.temporaryDirectory.appendingPathComponent("spaces-browser-\(UUID().uuidString).log")
        _ = FileManager.default.createFile(atPath: errorsFile.path, contents: nil)
        defer { try? FileManager.default.removeItem(at: errorsFile) }
        let errors = try FileHandle(forWritingTo: errorsFile)
        defer { try? errors.close() }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let killer = DispatchWorkItem { if process.isRunning { process.terminate() } }
        DispatchQueue.global().asyncAfter(deadline: .now() + timeout, execute: killer)
        let out = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        let errorText = TextFile.read(errorsFile)
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), errorText)
    }
}
