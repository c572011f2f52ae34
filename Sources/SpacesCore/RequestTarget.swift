/// The path and query of an HTTP request target, split and percent-decoded.
public struct RequestTarget: Sendable, Equatable {
    public var path: String
    public var query: [String: String]

    /// Splits on bytes, not characters: this runs on every join, and a target is ASCII in
    /// practice (what is not is percent-decoded and checked as UTF-8).
    public init(_ uri: String) {
        let utf8 = uri.utf8
        guard let mark = utf8.firstIndex(of: UInt8(ascii: "?")) else {
            self.path = uri
            self.query = [:]
            return
        }
        self.path = String(Substring(utf8[..<mark]))
        var query: [String: String] = [:]
        for pair in utf8[utf8.index(after: mark)...].split(separator: UInt8(ascii: "&")) {
            let equals = pair.firstIndex(of: UInt8(ascii: "="))
            guard let key = Self.percentDecode(bytes: pair[..<(equals ?? pair.endIndex)]) else { continue }
            let value = equals.map { Self.percentDecode(bytes: pair[pair.index(after: $0)...]) ?? "" } ?? ""
            if query[key] == nil { query[key] = value }
        }
        self.query = query
    }

    /// Decodes `%XX` escapes and `+`; `nil` for a broken escape or bytes that are not UTF-8.
    public static func percentDecode(_ text: Substring) -> String? {
        Self.percentDecode(bytes: text.utf8)
    }

    static func percentDecode(bytes text: Substring.UTF8View) -> String? {
        // Most values (ids, tokens, tickets) have nothing to decode.
        guard text.contains(where: { $0 == UInt8(ascii: "%") || $0 == UInt8(ascii: "+") }) else {
            return String(Substring(text))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(text.count)
        var iterator = text.makeIterator()
        while let byte = iterator.next() {
            switch byte {
            case UInt8(ascii: "%"):
                guard let high = iterator.next().flatMap(hexValue), let low = iterator.next().flatMap(hexValue) else {
                    return nil
                }
                bytes.append(high << 4 | low)
            case UInt8(ascii: "+"):
                bytes.append(UInt8(ascii: " "))
            default:
                bytes.append(byte)
            }
        }
        return String(validating: bytes, as: UTF8.self)
    }

    private static func hexValue(_ byte: UInt8) -> UInt8? {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): byte - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): byte - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): byte - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
