import NIOCore
import SpacesCore

extension AddressRange {
    /// A `server.trustedProxies` entry that is not an address or a block.
    struct Invalid: Error, CustomStringConvertible {
        var text: String
        var description: String { "server.trustedProxies: \"\(self.text)\" is not an address or a block like 10.0.0.0/8" }
    }

    /// `10.0.0.0/8`, `fd00::/8`, `127.0.0.1`; nil if it is not one.
    init?(parsing text: String) {
        let parts = text.split(separator: "/", maxSplits: 1)
        guard let first = parts.first, let bytes = Self.bytes(ofAddress: String(first)) else { return nil }
        var length: Int?
        if parts.count == 2 {
            guard let parsed = Int(parts[1]) else { return nil }
            length = parsed
        }
        self.init(bytes: bytes, prefixLength: length)
    }

    /// An IPv4 or IPv6 address literal's bytes in network order (an IPv4-mapped IPv6 address
    /// as its 4 IPv4 bytes); a port after it (`1.2.3.4:5678`, `[::1]:443`) is dropped.
    static func bytes(ofAddress text: String) -> [UInt8]? {
        var address = Substring(text.trimmingASCIISpaces())
        if address.hasPrefix("["), let close = address.firstIndex(of: "]") {
            address = address[address.index(after: address.startIndex)..<close]
        } else if address.filter({ $0 == ":" }).count == 1, let colon = address.firstIndex(of: ":") {
            address = address[..<colon]
        }
        guard let parsed = try? SocketAddress(ipAddress: String(address), port: 0) else { return nil }
        return parsed.bytes
    }
}

extension SocketAddress {
    /// The address's bytes in network order (4 or 16), nil for a Unix socket. An IPv4 peer on a
    /// dual-stack socket (`::ffff:a.b.c.d`) gives its 4 IPv4 bytes, so that IPv4 blocks match it.
    var bytes: [UInt8]? {
        switch self {
        case .v4(let address):
            return withUnsafeBytes(of: address.address.sin_addr.s_addr) { Array($0) }
        case .v6(let address):
            return SourceAddress.unmapped(withUnsafeBytes(of: address.address.sin6_addr) { Array($0) })
        case .unixDomainSocket:
            return nil
        }
    }
}

extension String {
    fileprivate func trimmingASCIISpaces() -> String {
        var view = Substring(self)
        while view.first == " " || view.first == "\t" { view = view.dropFirst() }
        while view.last == " " || view.last == "\t" { view = view.dropLast() }
        return String(view)
    }
}
