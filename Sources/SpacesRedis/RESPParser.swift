import NIOCore

/// Reads RESP2 and RESP3 values from bytes as they arrive, within stated bounds.
///
/// `parse` either consumes exactly one whole value or leaves the buffer as it was (nil: more
/// bytes are needed), so a value split across reads is parsed again from its start when the
/// rest arrives. Every size a peer announces is checked against a limit before any memory is
/// set aside for it.
public struct RESPParser: Sendable {
    /// The bounds, with defaults sized for Spaces' own traffic.
    public struct Limits: Sendable, Equatable {
        /// Largest bulk string, default 4 MiB: an audio batch on a channel is at most the publish
        /// socket's message limit (64 KiB by default); a reply bigger than this is a mistake.
        public var maxBulkBytes = 4 << 20
        /// Most elements in one aggregate, default 1 048 576 (a whole directory listing fits).
        public var maxElements = 1 << 20
        /// Deepest nesting, default 16: Spaces' replies nest two or three levels.
        public var maxDepth = 16
        /// Longest simple line (status, error, number), default 64 KiB.
        public var maxLineBytes = 64 << 10
        public init() {}
    }

    public let limits: Limits

    public init(limits: Limits = .init()) {
        self.limits = limits
    }

    /// One whole value from the front of `buffer`, or nil (and `buffer` untouched) if it is not
    /// all there yet.
    public func parse(_ buffer: inout ByteBuffer) throws(RESPError) -> RESPValue? {
        var reader = buffer
        guard let value = try self.value(&reader, depth: 0) else { return nil }
        buffer = reader
        return value
    }

    private func value(_ buffer: inout ByteBuffer, depth: Int) throws(RESPError) -> RESPValue? {
        guard depth <= self.limits.maxDepth else { throw .tooDeep(limit: self.limits.maxDepth) }
        guard let type = buffer.getInteger(at: buffer.readerIndex, as: UInt8.self) else { return nil }
        guard let line = try self.line(&buffer) else { return nil }
        switch type {
        case UInt8(ascii: "+"): return .simpleString(line)
        case UInt8(ascii: "-"): return .error(line)
        case UInt8(ascii: ":"): return .integer(try Self.integer(line))
        case UInt8(ascii: "("): return .bigNumber(line)
        case UInt8(ascii: "_"): return .null
        case UInt8(ascii: ","):
            guard let value = Double(line.lowercased() == "inf" ? "infinity" : line.lowercased() == "-inf" ? "-infinity" : line) else {
                throw .invalidNumber(line)
            }
            return .double(value)
        case UInt8(ascii: "#"):
            switch line {
            case "t": return .boolean(true)
            case "f": return .boolean(false)
            default: throw .malformed("boolean \"\(line.prefix(8))\"")
            }
        case UInt8(ascii: "$"), UInt8(ascii: "!"), UInt8(ascii: "="):
            let length = try Self.integer(line)
            if length == -1 { return .null }
            guard length >= 0 else { throw .invalidNumber(line) }
            guard length <= self.limits.maxBulkBytes else {
                throw .bulkTooLarge(length: Int(length), limit: self.limits.maxBulkBytes)
            }
            guard buffer.readableBytes >= Int(length) + 2 else { return nil }
            let bytes = buffer.readSlice(length: Int(length))!
            guard buffer.readInteger(as: UInt16.self) == 0x0D0A else { throw .malformed("bulk string without CRLF") }
            switch type {
            case UInt8(ascii: "$"): return .bulkString(bytes)
            case UInt8(ascii: "!"): return .error(String(buffer: bytes))
            default:
                // Verbatim: "txt:" then the text.
                let text = String(buffer: bytes)
                return .verbatimString(text.count >= 4 ? String(text.dropFirst(4)) : text)
            }
        case UInt8(ascii: "*"), UInt8(ascii: "~"), UInt8(ascii: ">"), UInt8(ascii: "%"), UInt8(ascii: "|"):
            let count = try Self.integer(line)
            if count == -1 { return .null }
            guard count >= 0 else { throw .invalidNumber(line) }
            let isMap = type == UInt8(ascii: "%") || type == UInt8(ascii: "|")
            guard count <= self.limits.maxElements, !isMap || count * 2 <= self.limits.maxElements else {
                throw .tooManyElements(count: Int(clamping: count), limit: self.limits.maxElements)
            }
            let elements = Int(isMap ? count * 2 : count)
            var values: [RESPValue] = []
            // Reserve only what the bytes present could hold: a peer cannot make us allocate
            // for elements it has not sent.
            values.reserveCapacity(min(Int(elements), buffer.readableBytes / 3 + 1))
            for _ in 0..<elements {
                guard let element = try self.value(&buffer, depth: depth + 1) else { return nil }
                values.append(element)
            }
            switch type {
            case UInt8(ascii: "*"): return .array(values)
            case UInt8(ascii: "~"): return .set(values)
            case UInt8(ascii: ">"): return .push(values)
            case UInt8(ascii: "|"):
                // An attribute: metadata about the value that follows, which is the reply.
                return try self.value(&buffer, depth: depth + 1)
            default: return .map(values)
            }
        default:
            throw .unknownType(type)
        }
    }

    /// The text after the type byte up to CRLF, consumed with it; nil if the CRLF is not here.
    private func line(_ buffer: inout ByteBuffer) throws(RESPError) -> String? {
        let view = buffer.readableBytesView
        let searched = view.prefix(self.limits.maxLineBytes + 2)
        guard let cr = searched.firstIndex(of: 0x0D) else {
            if view.count > self.limits.maxLineBytes + 1 { throw .lineTooLong(limit: self.limits.maxLineBytes) }
            return nil
        }
        let crOffset = cr - view.startIndex
        // A CR where the type byte should be is no RESP at all.
        guard crOffset >= 1 else { throw .malformed("a line without a type byte") }
        guard buffer.readableBytes >= crOffset + 2 else { return nil }
        guard buffer.getInteger(at: buffer.readerIndex + crOffset + 1, as: UInt8.self) == 0x0A else {
            throw .malformed("CR without LF")
        }
        buffer.moveReaderIndex(forwardBy: 1)
        let text = buffer.readString(length: crOffset - 1) ?? ""
        buffer.moveReaderIndex(forwardBy: 2)
        return text
    }

    private static func integer(_ text: String) throws(RESPError) -> Int64 {
        guard let value = Int64(text) else { throw .invalidNumber(text) }
        return value
    }
}
