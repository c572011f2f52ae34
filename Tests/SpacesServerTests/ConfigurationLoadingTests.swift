import Foundation
@testable import SpacesCLI
import SpacesCore
import XCTest

/// `Config/spaces.yaml`, `SPACES_*` variables and flags, in that order of precedence.
final class ConfigurationLoadingTests: XCTestCase {
    func testTheShippedFileHoldsTheBuiltInDefaults() async throws {
        let file = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("../../Config/spaces.yaml").path
        let loaded = try await SpacesConfiguration.load(file: file)
        XCTAssertEqual(loaded, SpacesConfiguration(), "Config/spaces.yaml and the code agree on every default")
    }

    func testFileThenEnvironmentThenFlags() async throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("spaces-config-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let file = directory.appendingPathComponent("spaces.yaml")
        try """
            server:
              port: 9000
              bind: "0.0.0.0"
            admission:
              waitingRoomSize: 7
              joinsPerSecond: 12
            backpressure:
              evictAfterMs: 1234
            relay:
              writesPerSlice: 99
              fanoutShare: 0.5
            """.write(to: file, atomically: true, encoding: .utf8)
        setenv("SPACES_ADMISSION_WAITING_ROOM_SIZE", "8", 1)
        setenv("SPACES_SERVER_PORT", "9001", 1)
        defer {
            unsetenv("SPACES_ADMISSION_WAITING_ROOM_SIZE")
            unsetenv("SPACES_SERVER_PORT")
        }
        let options = try ServerOptions.parse(["--port", "9002"])
        let loaded = try await SpacesConfiguration.load(file: file.path, overrides: options.overrides)
        XCTAssertEqual(loaded.server.port, 9002, "a flag beats the environment")
        XCTAssertEqual(loaded.admission.waitingRoomSize, 8, "the environment beats the file")
        XCTAssertEqual(loaded.server.bind, "0.0.0.0")
        XCTAssertEqual(loaded.admission.joinsPerSecond, 12)
        XCTAssertEqual(loaded.backpressure.evictAfterMs, 1234)
        XCTAssertEqual(loaded.relay.writesPerSlice, 99)
        XCTAssertEqual(loaded.relay.fanoutShare, 0.5)
        XCTAssertEqual(loaded.spaces.maxTitleLength, SpacesConfiguration().spaces.maxTitleLength, "absent keys keep their defaults")
    }

    func testAMissingNamedFileIsAnError() async {
        do {
            _ = try await SpacesConfiguration.load(file: "/nonexistent/spaces.yaml")
            XCTFail("a named file that does not exist must not be ignored")
        } catch {}
    }
}
