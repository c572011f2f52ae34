/// The parameters of one `permessage-deflate` offer or response, checked against RFC 7692 §7.
///
/// `nil` from ``init(_:)`` means the element must be declined (an offer) or the connection
/// failed (a response): an unknown parameter, a parameter given twice, or a value outside
/// the grammar (§7: "If … any extension parameter has an invalid value … the server MUST
/// decline", and the client MUST fail the connection on such a response).
struct DeflateParameters: Equatable, Sendable {
    /// `client_max_window_bits`: absent, present without a value (an offer's "I can do
    /// less than 15 if you ask"), or with a value.
    enum ClientWindow: Equatable, Sendable {
        case absent
        case noValue
        case bits(Int)
    }

    var serverNoContextTakeover = false
    var clientNoContextTakeover = false
    /// `server_max_window_bits`, 8...15, when given.
    var serverMaxWindowBits: Int?
    var clientMaxWindowBits = ClientWindow.absent

    init() {}

    init?(_ element: ExtensionElement) {
        var seen: Set<String> = []
        for parameter in element.parameters {
            // §7: a parameter may appear once.
            guard seen.insert(parameter.name).inserted else { return nil }
            switch parameter.name {
            case "server_no_context_takeover":
                guard parameter.value == nil else { return nil }
                self.serverNoContextTakeover = true
            case "client_no_context_takeover":
                guard parameter.value == nil else { return nil }
                self.clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let value = parameter.value, let bits = Self.windowBits(value) else { return nil }
                self.serverMaxWindowBits = bits
            case "client_max_window_bits":
                if let value = parameter.value {
                    guard let bits = Self.windowBits(value) else { return nil }
                    self.clientMaxWindowBits = .bits(bits)
                } else {
                    self.clientMaxWindowBits = .noValue
                }
            default:
                return nil
            }
        }
    }

    /// §7.1.2.1: exactly one of "8" … "15" (no sign, no leading zero), quoted or not.
    static func windowBits(_ value: String) -> Int? {
        guard (1...2).contains(value.utf8.count), value.utf8.allSatisfy({ (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }),
            !value.hasPrefix("0"), let bits = Int(value), (8...15).contains(bits)
        else { return nil }
        return bits
    }
}
