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

    /// An IPv4 or IPv6 address literal's bytes in network order.
    static func bytes(ofAddress text: String) -> [UInt8]? {
        let trimmed = text.trimmingASCIISpaces()
        let unbracketed = trimmed.hasPrefix("[") && trimmed.hasSuffix("]") ? String(trimmed.dropFirst().dropLast()) : trimmed
        guard let address = try? SocketAddress(ipAddress: unbracketed, port: 0) else { return nil }
        return address.bytes
    }
}

extension SocketAddress {
    /// The address's bytes in network order (4 or 16), nil for a Unix socket.
    var bytes: [UInt8]? {
        switch self {
        case .v4(let address):
            return withUnsafeBytes(of: address.address.sin_addr.s_addr) { Array($0) }
        case .v6(let address):
            return withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
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
