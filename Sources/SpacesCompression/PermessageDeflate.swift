/// Negotiation of the permessage-deflate WebSocket extension (RFC 7692), without sockets.
///
/// Spaces compresses a message shared by every listener once and writes the same compressed
/// frame to each of them. That fixes two terms for every listener alike:
/// - `server_no_context_takeover`: each message is compressed on its own, since listeners
///   joined at different times and hold different histories;
/// - a 15-bit window: an offer that limits `server_max_window_bits` below 15 is declined, and
///   that listener gets plain frames (which RFC 7692 allows: compression is per message).
///
/// The server also asks for `client_no_context_takeover` (§7.1.1.2 lets it add that to any
/// answer), so that a client message is inflated on its own and one ``Inflater`` can serve
/// every connection of an event loop instead of one 7–40 KB zlib state per listener.
public enum PermessageDeflate {
    /// The extension's name in `Sec-WebSocket-Extensions`.
    public static let name = "permessage-deflate"

    /// What the Spaces client offers: compression of server messages with the server's terms.
    /// `client_max_window_bits` (without a value) is what browsers send too; the client never
    /// compresses what it sends, so it accepts any window the server asks of it.
    public static let clientOffer = "permessage-deflate; client_max_window_bits"

    /// The end of a Z_SYNC_FLUSH: an empty stored block. The sender strips it from each
    /// message and the receiver puts it back before inflating (§7.2.1, §7.2.2).
    static let syncFlushTail: [UInt8] = [0x00, 0x00, 0xFF, 0xFF]

    /// The server's answer to a header of offers (all `Sec-WebSocket-Extensions` fields of the
    /// request, joined with commas), or `nil` to answer without the extension.
    ///
    /// Takes the first `permessage-deflate` offer that parses, has only RFC 7692 parameters,
    /// each at most once and with a valid value, and does not limit `server_max_window_bits`
    /// below 15. Other extensions (`x-webkit-deflate-frame`, …) are ignored.
    public static func accept(offers: String?) -> Agreement? {
        guard let offers else { return nil }
        for case let element? in ExtensionElement.parseList(offers) where element.name == Self.name {
            guard let parameters = DeflateParameters(element) else { continue }
            if let bits = parameters.serverMaxWindowBits, bits < 15 { continue }
            var header = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"
            // §7.1.2.1: an offer with server_max_window_bits is accepted by answering it with
            // the same or a smaller value; we compress with 15.
            if parameters.serverMaxWindowBits != nil { header += "; server_max_window_bits=15" }
            return Agreement(
                header: header, serverNoContextTakeover: true, clientNoContextTakeover: true,
                serverMaxWindowBits: 15, clientMaxWindowBits: 15
            )
        }
        return nil
    }

    /// The client's reading of the server's `Sec-WebSocket-Extensions` answer to
    /// ``clientOffer``: `nil` when the server answered without extensions.
    ///
    /// Throws when the answer names anything but one `permessage-deflate` with RFC 7692
    /// parameters (RFC 6455 §9.1 and RFC 7692 §7: the client must then fail the connection).
    /// A `client_max_window_bits` in an answer must carry a value (§7.1.2.2).
    public static func clientAgreement(response: String?) throws(InvalidResponse) -> Agreement? {
        guard let response, response.contains(where: { $0 != " " && $0 != "\t" && $0 != "," }) else { return nil }
        let elements = ExtensionElement.parseList(response)
        guard elements.count == 1, let element = elements[0] else {
            throw InvalidResponse(response: response, reason: "expected one extension")
        }
        guard element.name == Self.name else {
            throw InvalidResponse(response: response, reason: "the server chose \(element.name), which was not offered")
        }
        guard let parameters = DeflateParameters(element) else {
            throw InvalidResponse(response: response, reason: "unknown, repeated or invalid parameters")
        }
        let clientBits: Int
        switch parameters.clientMaxWindowBits {
        case .absent: clientBits = 15
        case .noValue: throw InvalidResponse(response: response, reason: "client_max_window_bits without a value")
        case .bits(let bits): clientBits = bits
        }
        return Agreement(
            header: response, serverNoContextTakeover: parameters.serverNoContextTakeover,
            clientNoContextTakeover: parameters.clientNoContextTakeover,
            serverMaxWindowBits: parameters.serverMaxWindowBits ?? 15, clientMaxWindowBits: clientBits
        )
    }
}
