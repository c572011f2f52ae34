/// A block of addresses (`10.0.0.0/8`, `::1/128`, or one address): the proxies whose
/// `X-Forwarded-For` a node believes (`server.trustedProxies`).
public struct AddressRange: Sendable, Equatable {
    public let bytes: [UInt8]
    public let prefixLength: Int

    /// `bytes`: 4 or 16 in network order; `prefixLength` nil means the whole address.
    public init?(bytes: [UInt8], prefixLength: Int? = nil) {
        guard bytes.count == 4 || bytes.count == 16 else { return nil }
        let length = prefixLength ?? bytes.count * 8
        guard (0...(bytes.count * 8)).contains(length) else { return nil }
        self.bytes = bytes
        self.prefixLength = length
    }

    /// Whether an address (its bytes, network order) is in the block. IPv4 and IPv6 blocks
    /// never contain each other's addresses.
    public func contains(_ address: [UInt8]) -> Bool {
        guard address.count == self.bytes.count else { return false }
        var remaining = self.prefixLength
        for (mine, theirs) in zip(self.bytes, address) where remaining > 0 {
            let bits = min(8, remaining)
            let mask = UInt8(truncatingIfNeeded: 0xff << (8 - bits))
            if mine & mask != theirs & mask { return false }
            remaining -= bits
        }
        return true
    }

    /// The client behind a chain of proxies: walking `X-Forwarded-For` from the right (the
    /// hop nearest this node), the first address that is not a trusted proxy. Only a peer
    /// that is itself trusted is asked at all; nobody else's header is believed. An entry
    /// that is not an address ends the walk at the last trusted hop.
    public static func client(peer: [UInt8], forwardedFor: [[UInt8]?], trusted: [AddressRange]) -> [UInt8] {
        var client = peer
        guard trusted.contains(where: { $0.contains(peer) }) else { return client }
        for hop in forwardedFor.reversed() {
            guard let hop else { return client }
            client = hop
            if !trusted.contains(where: { $0.contains(hop) }) { return client }
        }
        return client
    }
}
