import FuzzDriver
@testable import SpacesCompression

/// `Sec-WebSocket-Extensions` as a client offers it and as a server answers it: parsed or
/// refused, never a trap; an accepted offer's answer is one the client side accepts.
func fuzzExtensionHeader(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let header = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    _ = ExtensionElement.parseList(header)
    if let agreement = PermessageDeflate.accept(offers: header) {
        precondition((try? PermessageDeflate.clientAgreement(response: agreement.header)) != nil, "the server's answer parses: \(agreement.header)")
    }
    _ = try? PermessageDeflate.clientAgreement(response: header)
    return 0
}

runFuzzer(fuzzExtensionHeader)
