import SpacesCore
import XCTest

final class SourceAddressTests: XCTestCase {
    func testIPv4IsItselfAndIPv6CountsByItsSlash64() throws {
        let a = try XCTUnwrap(SourceAddress(bytes: [203, 0, 113, 7]))
        XCTAssertEqual(a.description, "203.0.113.7")
        XCTAssertNotEqual(a, SourceAddress(bytes: [203, 0, 113, 8]))
        let v6 = [UInt8]([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2] + [0, 0, 0, 0, 0, 0, 0, 1])
        let sameSlash64 = [UInt8]([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 2] + [0xde, 0xad, 0xbe, 0xef, 0, 0, 0, 9])
        let otherSlash64 = [UInt8]([0x20, 0x01, 0x0d, 0xb8, 0, 1, 0, 3] + [0, 0, 0, 0, 0, 0, 0, 1])
        XCTAssertEqual(SourceAddress(bytes: v6), SourceAddress(bytes: sameSlash64), "one machine's whole /64 is one source")
        XCTAssertNotEqual(SourceAddress(bytes: v6), SourceAddress(bytes: otherSlash64))
        XCTAssertEqual(SourceAddress(bytes: v6)?.description, "2001:db8:1:2::/64")
    }

    func testAMappedIPv4AddressCountsAsTheIPv4Address() {
        let mapped: [UInt8] = [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff, 198, 51, 100, 9]
        XCTAssertEqual(SourceAddress(bytes: mapped), SourceAddress(bytes: [198, 51, 100, 9]))
        XCTAssertNil(SourceAddress(bytes: [1, 2, 3]))
    }
}
