/// One element of a `Sec-WebSocket-Extensions` header value: an extension name and its
/// parameters (RFC 6455 §9.1), e.g. `permessage-deflate; client_max_window_bits=10`.
///
/// Names are lowercased (extension and parameter names are tokens, compared case-insensitively);
/// values are kept as sent, with a quoted value unquoted. A header comes from the peer, so
/// parsing never traps: an element that does not parse becomes `nil` in the list and parsing
/// resumes after the next comma outside quotes, so one bad offer does not hide the others.
struct ExtensionElement: Equatable, Sendable {
    struct Parameter: Equatable, Sendable {
        var name: String
        var value: String?
    }

    var name: String
    var parameters: [Parameter]

    /// The elements of `header`, in order; `nil` for each element that does not parse. Empty
    /// list elements (`a,,b`, a trailing comma) are skipped, as RFC 9110 §5.6.1 allows.
    static func parseList(_ header: String) -> [ExtensionElement?] {
        var parser = Parser(bytes: Array(header.utf8))
        var elements: [ExtensionElement?] = []
        while true {
            parser.skipWhitespace()
            guard let byte = parser.peek() else { break }
            if byte == UInt8(ascii: ",") {
                parser.index += 1
                continue
            }
            let start = parser.index
            if let element = parser.element(), parser.atElementEnd() {
                elements.append(element)
            } else {
                // From the element's start, so that quotes are paired as they were written.
                elements.append(nil)
                parser.index = start
                parser.skipPastComma()
            }
        }
        return elements
    }
}

/// A cursor over a header's bytes, with the RFC 9110 §5.6 rules the extension grammar uses.
private struct Parser {
    let bytes: [UInt8]
    var index = 0

    func peek() -> UInt8? {
        self.index < self.bytes.count ? self.bytes[self.index] : nil
    }

    mutating func skipWhitespace() {
        while let byte = self.peek(), byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t") {
            self.index += 1
        }
    }

    /// `extension-token *( OWS ";" OWS extension-param )`; stops before the `,` or the end.
    mutating func element() -> ExtensionElement? {
        guard let name = self.token(lowercased: true) else { return nil }
        var parameters: [ExtensionElement.Parameter] = []
        while true {
            self.skipWhitespace()
            guard self.peek() == UInt8(ascii: ";") else { return ExtensionElement(name: name, parameters: parameters) }
            self.index += 1
            self.skipWhitespace()
            guard let parameterName = self.token(lowercased: true) else { return nil }
            self.skipWhitespace()
            var value: String?
            if self.peek() == UInt8(ascii: "=") {
                self.index += 1
                self.skipWhitespace()
                guard let parsed = self.peek() == UInt8(ascii: "\"") ? self.quotedString() : self.token(lowercased: false) else { return nil }
                value = parsed
            }
            parameters.append(.init(name: parameterName, value: value))
        }
    }

    /// True when the element just parsed is followed by a comma or the end of the header.
    mutating func atElementEnd() -> Bool {
        self.skipWhitespace()
        guard let byte = self.peek() else { return true }
        return byte == UInt8(ascii: ",")
    }

    /// Moves past the next comma that is not inside a quoted string (or to the end).
    mutating func skipPastComma() {
        var quoted = false
        while let byte = self.peek() {
            self.index += 1
            if quoted {
                if byte == UInt8(ascii: "\\") {
                    self.index += 1
                } else if byte == UInt8(ascii: "\"") {
                    quoted = false
                }
            } else if byte == UInt8(ascii: "\"") {
                quoted = true
            } else if byte == UInt8(ascii: ",") {
                return
            }
        }
    }

    /// One or more `tchar`; lowercased for names, as sent for values.
    mutating func token(lowercased: Bool) -> String? {
        let start = self.index
        while let byte = self.peek(), Self.isTokenCharacter(byte) {
            self.index += 1
        }
        guard self.index > start else { return nil }
        let token = String(decoding: self.bytes[start..<self.index], as: UTF8.self)
        return lowercased ? token.lowercased() : token
    }

    /// `DQUOTE *( qdtext / quoted-pair ) DQUOTE`, returned without the quotes and escapes.
    mutating func quotedString() -> String? {
        guard self.peek() == UInt8(ascii: "\"") else { return nil }
        self.index += 1
        var value: [UInt8] = []
        while let byte = self.peek() {
            self.index += 1
            switch byte {
            case UInt8(ascii: "\""):
                return String(decoding: value, as: UTF8.self)
            case UInt8(ascii: "\\"):
                guard let escaped = self.peek(), Self.isQuotedPairCharacter(escaped) else { return nil }
                self.index += 1
                value.append(escaped)
            case _ where Self.isQuotedTextCharacter(byte):
                value.append(byte)
            default:
                return nil
            }
        }
        return nil  // no closing quote
    }

    /// RFC 9110 §5.6.2: `!#$%&'*+-.^_`|~`, digits and letters.
    static func isTokenCharacter(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "0")...UInt8(ascii: "9"), UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    /// `qdtext = HTAB / SP / %x21 / %x23-5B / %x5D-7E / obs-text`.
    static func isQuotedTextCharacter(_ byte: UInt8) -> Bool {
        byte == 0x09 || byte == 0x20 || byte == 0x21 || (0x23...0x5B).contains(byte) || (0x5D...0x7E).contains(byte) || byte >= 0x80
    }

    /// What may follow a backslash: `HTAB / SP / VCHAR / obs-text`.
    static func isQuotedPairCharacter(_ byte: UInt8) -> Bool {
        byte == 0x09 || byte == 0x20 || (0x21...0x7E).contains(byte) || byte >= 0x80
    }
}
