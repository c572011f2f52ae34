import NIOCore
import NIOWebSocket
import SpacesCore
import XCTest

@testable import SpacesServer

/// Close frames as RFC 6455 §5.5.1 and §7.4 have them.
final class FrameAssemblerCloseTests: XCTestCase {
    private func close(_ payload: [UInt8]) -> FrameAssembler.Action {
        var assembler = FrameAssembler(limit: 4_096)
        let key = WebSocketMaskingKey.random()
        var data = ByteBuffer(bytes: payload)
        data.webSocketMask(key)
        return assembler.receive(WebSocketFrame(fin: true, opcode: .connectionClose, maskKey: key, data: data))
    }

    private func code(_ value: UInt16, reason: [UInt8] = []) -> [UInt8] {
        [UInt8(value >> 8), UInt8(value & 0xFF)] + reason
    }

    func testValidClosesAreEchoed() {
        XCTAssertEqual(self.close([]), .close(code: nil))
        for value: UInt16 in [1000, 1001, 1003, 1007, 1011, 1013, 1014, 3000, 4008, 4999] {
            XCTAssertEqual(self.close(self.code(value, reason: Array("bye é".utf8))), .close(code: value), "\(value)")
        }
    }

    func testInvalidClosesFailWithTheirNamedCode() {
        for value: UInt16 in [0, 999, 1004, 1005, 1006, 1015, 1016, 2999, 5000, 65535] {
            XCTAssertEqual(self.close(self.code(value)), .fail(.protocolError, "close code \(value) is not one a peer may send"), "\(value)")
        }
        XCTAssertEqual(self.close([0x03]), .fail(.protocolError, "a close frame of 1 byte"))
        XCTAssertEqual(self.close(self.code(1000, reason: [0xC3, 0x28])), .fail(.invalidPayload, "the close reason is not UTF-8"))
    }
}
