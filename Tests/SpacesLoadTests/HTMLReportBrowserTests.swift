import Foundation
import SpacesLoad
import XCTest

/// The HTML report opens in a real browser (headless Chromium) without errors.
final class HTMLReportBrowserTests: XCTestCase {
    func testReportRendersInHeadlessChromium() throws {
        let browser = try XCTUnwrap(
            ["/usr/bin/chromium", "/usr/bin/chromium-browser", "/usr/bin/google-chrome"].first { FileManager.default.isExecutableFile(atPath: $0) },
            "needs Chromium (apt-get install chromium; .ci/run installs it)"
        )
        var report = LoadReport()
        report.listeners = 500
        report.admitted = 400
        report.waitingAnswers = 100
        for second in 0..<20 {
            var entry = LoadReport.Second(second: second)
            entry.connected = min(400, second * 40)
            entry.waiting = max(0, 100 - second * 5)
            entry.admitted = 40
            entry.framesReceived = 50 * entry.connected
            for micros in [2_000, 5_000, 40_000] { entry.latency.record(micros: UInt64(micros)) }
            report.timeline.append(entry)
            _ = report.latencyMicros.record(UInt64(1_000 * (second + 1)))
        }
        let html = HTMLReport.render(report, verdicts: [], title: "Browser <check> & more", command: "spaces loadtest --slo \"a<b\"")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spaces-html-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let page = directory.appendingPathComponent("report.html")
        try html.write(to: page, atomically: true, encoding: .utf8)

        // The DOM as the browser built it.
        let dom = try self.run(browser, [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--enable-logging=stderr", "--v=0",
            "--user-data-dir=\(directory.path)/profile", "--dump-dom", page.absoluteString,
        ])
        XCTAssertEqual(dom.status, 0, dom.errors)
        XCTAssertEqual(dom.output.components(separatedBy: "<svg").count - 1, 4, "four charts")
        XCTAssertTrue(dom.output.contains("Browser &lt;check&gt; &amp; more"))
        XCTAssertFalse(dom.errors.contains("CONSOLE"), "console messages: \(dom.errors)")
        XCTAssertFalse(dom.errors.contains("Uncaught"))

        // And a screenshot of it, as a person would see it.
        let png = directory.appendingPathComponent("report.png")
        let shot = try self.run(browser, [
            "--headless=new", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=900,2000",
            "--user-data-dir=\(directory.path)/profile2", "--screenshot=\(png.path)", page.absoluteString,
        ])
        XCTAssertEqual(shot.status, 0, shot.errors)
        let size = try FileManager.default.attributesOfItem(atPath: png.path)[.size] as? Int ?? 0
        XCTAssertGreaterThan(size, 20_000, "a rendered page, not a blank one")
    }

    private func run(_ executable: String, _ arguments: [String]) throws -> (status: Int32, output: String, errors: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = arguments
        let output = Pipe()
        let errors = Pipe()
        process.standardOutput = output
        process.standardError = errors
        try process.run()
        let killer = DispatchWorkItem { process.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 60, execute: killer)
        let out = output.fileHandleForReading.readDataToEndOfFile()
        let err = errors.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        killer.cancel()
        return (process.terminationStatus, String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
