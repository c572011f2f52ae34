import Foundation
import XCTest

@testable import SpacesCore

final class CodecTests: XCTestCase {
    func testMonoAndStereo() {
        for channels in [1, 2] {
            let codec = Codec(channels: channels)
            XCTAssertEqual(codec.name, "opus")
            XCTAssertEqual(codec.sampleRate, 48_000)
            XCTAssertEqual(codec.channels, channels)
            XCTAssertEqual(codec.frameDurationMs, 20)
        }
        XCTAssertNotEqual(Codec(channels: 1), Codec(channels: 2))
    }

    func testJSON() throws {
        let encoder = JSONEncoder()
        encoder.outputFormatting = .sortedKeys
        let json = String(decoding: try encoder.encode(Codec(channels: 2)), as: UTF8.self)
        XCTAssertEqual(json, #"{"channels":2,"frameDurationMs":20,"name":"opus","sampleRate":48000}"#)
        XCTAssertEqual(try JSONDecoder().decode(Codec.self, from: Data(json.utf8)), Codec(channels: 2))
    }

    func testFrameDurationMatchesOpusCELT20msConfig() {
        XCTAssertEqual(Codec(channels: 1).frameDurationMs * 1000, OpusPacket.frameDurationMicros(config: 31))
    }
}
