import FuzzDriver
import SpacesCore

/// Tickets and resume tokens as a client may send them back: refused with a reason unless
/// signed with the node's secret, and one token has one spelling (what verifies signs back to
/// the very same text).
func fuzzSignedToken(_ start: UnsafePointer<UInt8>, _ count: Int) -> CInt {
    let text = String(decoding: UnsafeBufferPointer(start: start, count: count), as: UTF8.self)
    let signer = TokenSigner(secret: Array("fuzzing secret, 32 bytes or so..".utf8))
    for kind in [SignedToken.Kind.ticket, .resume] {
        guard let token = try? signer.verify(text, kind: kind, spaceID: "s", nowMicros: 1) else { continue }
        precondition(signer.sign(token) == text, "a token that verifies has exactly one spelling")
    }
    // A real token with one byte of the input changed must not verify, unless unchanged.
    let real = signer.sign(SignedToken(kind: .ticket, spaceID: "s", value: 42, issuedMicros: 0, expiresMicros: 10))
    if count >= 2 {
        var bytes = Array(real.utf8)
        let index = Int(start[0]) % bytes.count
        bytes[index] = start[1]
        let changed = String(decoding: bytes, as: UTF8.self)
        if changed != real {
            precondition((try? signer.verify(changed, kind: .ticket, spaceID: "s", nowMicros: 1)) == nil, "a changed ticket verified: \(changed)")
        }
    }
    return 0
}

runFuzzer(fuzzSignedToken)
