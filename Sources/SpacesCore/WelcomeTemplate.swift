import Foundation

/// A Space's `welcome` event with what every listener of the Space shares encoded once: a join
/// storm sends one per admitted listener, and encoding the whole event each time was a twentieth
/// of a join's CPU. The text is exactly ``ServerEvent/json()``'s for the same event (sorted keys,
/// slashes unescaped), which the tests compare.
public struct WelcomeTemplate: Sendable {
    private let codec: String
    private let space: String

    public init(space: SpaceSummary, codec: Codec) {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        self.codec = String(decoding: try! encoder.encode(codec), as: UTF8.self)
        self.space = String(decoding: try! encoder.encode(space), as: UTF8.self)
    }

    public func json(listenerId: String, resumeToken: String?, nodes: [String]?) -> String {
        var text = #"{"codec":"#
        text.reserveCapacity(self.codec.utf8.count + self.space.utf8.count + 160 + (nodes?.count ?? 0) * 32)
        text += self.codec
        text += #","listenerId":"#
        Self.quote(listenerId, into: &text)
        if let nodes {
            text += #","nodes":["#
            for (index, node) in nodes.enumerated() {
                if index > 0 { text += "," }
                Self.quote(node, into: &text)
            }
            text += "]"
        }
        if let resumeToken {
            text += #","resumeToken":"#
            Self.quote(resumeToken, into: &text)
        }
        text += #","space":"#
        text += self.space
        text += #","type":"welcome"}"#
        return text
    }

    /// A JSON string as Foundation's encoder writes it with `.withoutEscapingSlashes`.
    static func quote(_ value: String, into text: inout String) {
        text += "\""
        // Ids and tokens have nothing to escape: appended whole.
        if !value.utf8.contains(where: { $0 < 0x20 || $0 == UInt8(ascii: "\"") || $0 == UInt8(ascii: "\\") }) {
            text += value
            text += "\""
            return
        }
        for scalar in value.unicodeScalars {
            switch scalar {
            case "\"": text += "\\\""
            case "\\": text += "\\\\"
            case "\n": text += "\\n"
            case "\r": text += "\\r"
            case "\t": text += "\\t"
            case "\u{08}": text += "\\b"
            case "\u{0C}": text += "\\f"
            case "\u{00}"..."\u{1F}":
                let hex = String(scalar.value, radix: 16)
                text += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: text.unicodeScalars.append(scalar)
            }
        }
        text += "\""
    }
}
