/// Who a connection comes from, as far as shares go: an IPv4 address, or the /64 an IPv6
/// address is in (a household or a machine is given a whole /64, so counting single IPv6
/// addresses would let one machine take as many shares as it likes). An IPv4-mapped IPv6
/// address (`::ffff:a.b.c.d`) counts as its IPv4 address.
public struct SourceAddress: Hashable, Sendable, CustomStringConvertible {
    public let isIPv6: Bool
    /// The IPv4 address, or the first 64 bits of the IPv6 one.
    public let value: UInt64

    /// From an address's bytes in network order: 4 (IPv4) or 16 (IPv6); nil otherwise.
    public init?(bytes: some Collection<UInt8>) {
        let bytes = Self.unmapped(Array(bytes))
        switch bytes.count {
        case 4:
            self.isIPv6 = false
            self.value = bytes.reduce(0) { $0 << 8 | UInt64($1) }
        case 16:
            self.isIPv6 = true
            self.value = bytes[0..<8].reduce(0) { $0 << 8 | UInt64($1) }
        default:
            return nil
        }
    }

    /// An IPv4-mapped IPv6 address (`::ffff:a.b.c.d`, as a dual-stack socket reports an IPv4
    /// peer) as its 4 IPv4 bytes; any other address as it is.
    public static func unmapped(_ bytes: [UInt8]) -> [UInt8] {
        guard bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xff, bytes[11] == 0xff else { return bytes }
        return Array(bytes[12...])
    }

    public var description: String {
        if self.isIPv6 {
            let groups = (0..<4).map { String((self.value >> (48 - 16 * UInt64($0))) & 0xffff, radix: 16) }
            return groups.joined(separator: ":") + "::/64"
        }
        return (0..<4).map { String((self.value >> (24 - 8 * UInt64($0))) & 0xff) }.joined(separator: ".")
    }
}
