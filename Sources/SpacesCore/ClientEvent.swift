import Foundation

/// Text messages a listener may send.
///
/// `ping` keeps the connection measured; `ask`, `upvote` and `withdraw` work the question
/// queue; `hand` raises or lowers a hand; `react` sends one emoji to the Space's counts.
public enum ClientEvent: Sendable, Equatable {
    case ping
    case ask(text: String)
    case upvote(id: String)
    case withdraw(id: String)
    case hand(raised: Bool)
    case react(emoji: String)

    public enum Invalid: Error, Equatable, Sendable {
        /// Not JSON, or JSON without a string `type`.
        case malformed
        /// A `type` this server does not know.
        case unknownType(String)
        /// A known `type` without the field it needs, or with a field of the wrong kind.
        case badField(type: String, field: String, expected: String)

        /// The `code` of the `error` event answering it.
        public var code: String {
            switch self {
            case .malformed: "bad_json"
            case .unknownType: "unknown_type"
            case .badField: "bad_field"
            }
        }

        public var message: String {
            switch self {
            case .malformed: "expected a JSON object with a string \"type\""
            case .unknownType(let type): "unknown message type \"\(type.prefix(40))\""
            case .badField(let type, let field, let expected): "\"\(type)\" needs \"\(field)\": \(expected)"
            }
        }
    }

    /// Parses a listener's text message (already checked to be UTF-8 and within size).
    public static func parse(_ bytes: some Collection<UInt8>) throws(Invalid) -> ClientEvent {
        let data = Data(bytes)
        guard let kind = try? JSONDecoder().decode(TypeOnly.self, from: data).type else {
            throw .malformed
        }
        switch kind {
        case "ping":
            return .ping
        case "ask":
            return .ask(text: try Self.field(Fields<String>.self, "text", of: kind, in: data, expected: "a string"))
        case "upvote":
            return .upvote(id: try Self.field(Fields<String>.self, "id", of: kind, in: data, expected: "a question id"))
        case "withdraw":
            return .withdraw(id: try Self.field(Fields<String>.self, "id", of: kind, in: data, expected: "a question id"))
        case "hand":
            return .hand(raised: try Self.field(Fields<Bool>.self, "raised", of: kind, in: data, expected: "true or false"))
        case "react":
            return .react(emoji: try Self.field(Fields<String>.self, "emoji", of: kind, in: data, expected: "one of the Space's reactions"))
        default:
            throw .unknownType(kind)
        }
    }

    /// One field of a message, by name.
    static func field<Value>(
        _ type: Fields<Value>.Type, _ name: String, of kind: String, in data: Data, expected: String
    ) throws(Invalid) -> Value {
        let decoder = JSONDecoder()
        decoder.userInfo[Fields<Value>.nameKey] = name
        guard let value = try? decoder.decode(Fields<Value>.self, from: data).value else {
            throw .badField(type: kind, field: name, expected: expected)
        }
        return value
    }
}

/// Decodes the one field named by the decoder's `userInfo`, whatever else the object holds.
struct Fields<Value: Decodable>: Decodable {
    static var nameKey: CodingUserInfoKey { CodingUserInfoKey(rawValue: "spaces.field")! }
    var value: Value

    struct Key: CodingKey {
        var stringValue: String
        var intValue: Int? { nil }
        init(stringValue: String) { self.stringValue = stringValue }
        init?(intValue: Int) { nil }
    }

    init(from decoder: any Decoder) throws {
        let name = decoder.userInfo[Self.nameKey] as? String ?? ""
        let container = try decoder.container(keyedBy: Key.self)
        self.value = try container.decode(Value.self, forKey: Key(stringValue: name))
    }
}
