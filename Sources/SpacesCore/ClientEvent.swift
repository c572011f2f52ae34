import Foundation

/// Text messages a listener may send. v1 knows `ping`; later versions add questions and hands.
public enum ClientEvent: Sendable, Equatable {
    case ping

    public enum Invalid: Error, Equatable, Sendable {
        /// Not JSON, or JSON without a string `type`.
        case malformed
        /// A `type` this server does not know.
        case unknownType(String)

        /// The `code` of the `error` event answering it.
        public var code: String {
            switch self {
            case .malformed: "bad_json"
            case .unknownType: "unknown_type"
            }
        }

        public var message: String {
            switch self {
            case .malformed: "expected a JSON object with a string \"type\""
            case .unknownType(let type): "unknown message type \"\(type.prefix(40))\""
            }
        }
    }

    /// Parses a listener's text message (already checked to be UTF-8 and within size).
    public static func parse(_ bytes: some Collection<UInt8>) throws(Invalid) -> ClientEvent {
        guard let kind = try? JSONDecoder().decode(TypeOnly.self, from: Data(bytes)).type else {
            throw .malformed
        }
        switch kind {
        case "ping": return .ping
        default: throw .unknownType(kind)
        }
    }
}
