/// Little-endian integer access on byte arrays, for RIFF and Ogg Opus headers.
extension Array where Element == UInt8 {
    /// The 16-bit little-endian value at `offset`, or nil if it runs past the end.
    func uint16LE(at offset: Int) -> UInt16? {
        guard offset >= 0, offset <= count - 2 else { return nil }
        return UInt16(self[offset]) | UInt16(self[offset + 1]) << 8
    }

    /// The 32-bit little-endian value at `offset`, or nil if it runs past the end.
    func uint32LE(at offset: Int) -> UInt32? {
        guard offset >= 0, offset <= count - 4 else { return nil }
        return UInt32(self[offset])
            | UInt32(self[offset + 1]) << 8
            | UInt32(self[offset + 2]) << 16
            | UInt32(self[offset + 3]) << 24
    }

    /// Whether the bytes at `offset` spell `ascii`.
    func matches(_ ascii: String, at offset: Int) -> Bool {
        let pattern = Array(ascii.utf8)
        guard offset >= 0, offset <= count - pattern.count else { return false }
        return self[offset..<offset + pattern.count].elementsEqual(pattern)
    }

    mutating func appendUInt16LE(_ value: UInt16) {
        append(UInt8(truncatingIfNeeded: value))
        append(UInt8(truncatingIfNeeded: value >> 8))
    }

    mutating func appendUInt32LE(_ value: UInt32) {
        for shift in stride(from: 0, to: 32, by: 8) {
            append(UInt8(truncatingIfNeeded: value >> UInt32(shift)))
        }
    }

    mutating func appendASCII(_ text: String) {
        append(contentsOf: text.utf8)
    }
}
