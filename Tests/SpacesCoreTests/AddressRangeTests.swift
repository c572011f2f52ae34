import SpacesCore
import XCTest

final class AddressRangeTests: XCTestCase {
    func testBlocksContainTheirAddressesOnly() throws {
        let ten = try XCTUnwrap(AddressRange(bytes: [10, 0, 0, 0], prefixLength: 8))
        XCTAssertTrue(ten.contains([10, 200, 3, 4]))
        XCTAssertFalse(ten.contains([11, 0, 0, 1]))
        let odd = try XCTUnwrap(AddressRange(bytes: [192, 168, 4, 0], prefixLength: 22))
        XCTAssertTrue(odd.contains([192, 168, 7, 255]))
        XCTAssertFalse(odd.contains([192, 168, 8, 0]))
        let one = try XCTUnwrap(AddressRange(bytes: [127, 0, 0, 1]))
        XCTAssertTrue(one.contains([127, 0, 0, 1]))
        XCTAssertFalse(one.contains([127, 0, 0, 2]))
        XCTAssertFalse(one.contains(Array(repeating: 0, count: 15) + [1]), "IPv6 ::1 is not in an IPv4 block")
        XCTAssertNil(AddressRange(bytes: [10, 0, 0, 0], prefixLength: 33))
    }

    func testTheClientIsTheFirstUntrustedHopFromTheRightAndOnlyATrustedPeerIsAsked() throws {
        let proxies = [try XCTUnwrap(AddressRange(bytes: [10, 0, 0, 0], prefixLength: 8))]
        let peer: [UInt8] = [10, 0, 0, 5]
        let client: [UInt8] = [203, 0, 113, 7]
        let spoofed: [UInt8] = [192, 0, 2, 1]
        // "spoofed, client, 10.0.0.9": the client wrote the first entry itself; the proxies
        // added the rest.
        XCTAssertEqual(AddressRange.client(peer: peer, forwardedFor: [spoofed, client, [10, 0, 0, 9]], trusted: proxies), client)
        XCTAssertEqual(AddressRange.client(peer: peer, forwardedFor: [], trusted: proxies), peer, "no header: the proxy itself")
        XCTAssertEqual(AddressRange.client(peer: client, forwardedFor: [spoofed], trusted: proxies), client, "an untrusted peer's header is ignored")
        XCTAssertEqual(AddressRange.client(peer: peer, forwardedFor: [client, nil], trusted: proxies), peer, "a garbled hop ends the walk")
    }
}
