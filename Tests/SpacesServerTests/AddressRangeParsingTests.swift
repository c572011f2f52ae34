import NIOCore
import SpacesCore
import XCTest

@testable import SpacesServer

final class AddressRangeParsingTests: XCTestCase {
    func testBlocksAndAddressesFromConfiguration() throws {
        let block = try XCTUnwrap(AddressRange(parsing: "10.0.0.0/8"))
        XCTAssertEqual(block.prefixLength, 8)
        XCTAssertTrue(block.contains([10, 9, 8, 7]))
        XCTAssertEqual(AddressRange(parsing: "::1")?.prefixLength, 128)
        XCTAssertEqual(AddressRange(parsing: "fd00::/8")?.bytes.count, 16)
        XCTAssertNil(AddressRange(parsing: "10.0.0.0/40"))
        XCTAssertNil(AddressRange(parsing: "proxy.example.org"))
        XCTAssertNil(AddressRange(parsing: "10.0.0.0/x"))
    }

    func testForwardedEntriesWithPortsAndBrackets() {
        XCTAssertEqual(AddressRange.bytes(ofAddress: " 203.0.113.7:5678 "), [203, 0, 113, 7])
        XCTAssertEqual(AddressRange.bytes(ofAddress: "[::1]:443"), Array(repeating: 0, count: 15) + [1])
        XCTAssertEqual(AddressRange.bytes(ofAddress: "2001:db8::1")?.count, 16, "an IPv6 address is not cut at a colon")
        XCTAssertNil(AddressRange.bytes(ofAddress: "unknown"))
    }

    func testAnIPv4PeerOnADualStackSocketMatchesIPv4Blocks() throws {
        let peer = try SocketAddress(ipAddress: "::ffff:127.0.0.1", port: 4000)
        XCTAssertEqual(peer.bytes, [127, 0, 0, 1])
        let loopback = try XCTUnwrap(AddressRange(parsing: "127.0.0.1"))
        XCTAssertTrue(loopback.contains(try XCTUnwrap(peer.bytes)))
    }
}
