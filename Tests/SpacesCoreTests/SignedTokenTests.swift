import Foundation
import XCTest

@testable import SpacesCore

final class SignedTokenTests: XCTestCase {
    private let signer = TokenSigner(secret: Array("node-secret-0123456789abcdef".utf8))
    private let t0: UInt64 = 1_700_000_000_000_000
    private let minute: UInt64 = 60_000_000

    private func ticket(_ spaceID: String = "space-1", arrival: UInt64? = nil, expires: UInt64? = nil) -> SignedToken {
        SignedToken(
            kind: .ticket, spaceID: spaceID, value: arrival ?? self.t0 - 5_000_000, issuedMicros: self.t0,
            expiresMicros: expires ?? self.t0 + self.minute
        )
    }

    private func verifyError(
        _ string: String, kind: SignedToken.Kind = .ticket, spaceID: String = "space-1", nowMicros: UInt64? = nil,
        signer: TokenSigner? = nil
    ) -> SignedToken.Invalid? {
        do {
            _ = try (signer ?? self.signer).verify(string, kind: kind, spaceID: spaceID, nowMicros: nowMicros ?? self.t0)
            return nil
        } catch {
            return error
        }
    }

    // Independent base64url, so the tests do not lean on the code under test.
    private func decode(_ part: Substring) -> [UInt8] {
        var text = part.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while text.count % 4 != 0 { text += "=" }
        return Array(Data(base64Encoded: text)!)
    }

    private func encode(_ bytes: [UInt8]) -> String {
        Data(bytes).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    private func parts(_ token: String) -> (payload: [UInt8], mac: [UInt8]) {
        let split = token.split(separator: ".", omittingEmptySubsequences: false)
        XCTAssertEqual(split.count, 2)
        return (self.decode(split[0]), self.decode(split[1]))
    }

    // MARK: Round trips

    func testATokenHasOneSpellingOnly() {
        let string = self.signer.sign(self.ticket())
        let split = string.split(separator: ".")
        // The MAC (32 bytes) ends in a character with 2 spare bits, and so may the payload: a
        // spelling with a spare bit set spells the same bytes, and must not verify.
        let alphabet = Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
        func withSpareBit(_ part: Substring) -> String {
            let last = alphabet.firstIndex(of: part.last!)!
            return String(part.dropLast()) + String(alphabet[last ^ 1])
        }
        XCTAssertEqual(self.verifyError("\(split[0]).\(withSpareBit(split[1]))"), .malformed)
        XCTAssertNil(self.verifyError(string, nowMicros: self.t0 + 1))
    }

    func testTicketRoundTrip() throws {
        let token = self.ticket()
        let string = self.signer.sign(token)
        let verified = try self.signer.verify(string, kind: .ticket, spaceID: "space-1", nowMicros: self.t0 + 1)
        XCTAssertEqual(verified, token)
        XCTAssertEqual(verified.kind, .ticket)
        XCTAssertEqual(verified.spaceID, "space-1")
        XCTAssertEqual(verified.value, self.t0 - 5_000_000)
        XCTAssertEqual(verified.issuedMicros, self.t0)
        XCTAssertEqual(verified.expiresMicros, self.t0 + self.minute)
    }

    func testResumeRoundTrip() throws {
        let token = SignedToken(kind: .resume, spaceID: "Sp4ce_-x", value: 424_242, issuedMicros: self.t0, expiresMicros: self.t0 + 30_000_000)
        let verified = try self.signer.verify(self.signer.sign(token), kind: .resume, spaceID: "Sp4ce_-x", nowMicros: self.t0 + 29_000_000)
        XCTAssertEqual(verified, token)
        XCTAssertEqual(verified.value, 424_242)
    }

    func testExtremeFieldValuesRoundTrip() throws {
        for value: UInt64 in [0, 1, 255, 256, 0x0102_0304_0506_0708, UInt64.max - 1, UInt64.max] {
            let token = SignedToken(kind: .resume, spaceID: "s", value: value, issuedMicros: value, expiresMicros: UInt64.max)
            let verified = try self.signer.verify(self.signer.sign(token), kind: .resume, spaceID: "s", nowMicros: UInt64.max)
            XCTAssertEqual(verified, token, "value \(value)")
        }
    }

    func testSpaceIDsUpTo255BytesIncludingNonASCII() throws {
        let ids = [
            "",
            "a",
            "é",
            "Ünïcödé Späce 🎙️",
            String(repeating: "x", count: 255),
            String(repeating: "é", count: 127) + "x",  // 255 bytes
            String(repeating: "🎧", count: 63) + "abc",  // 255 bytes
            "日本語のスペース",
        ]
        for id in ids {
            XCTAssertLessThanOrEqual(id.utf8.count, 255)
            for kind in [SignedToken.Kind.ticket, .resume, .invite] {
                let token = SignedToken(kind: kind, spaceID: id, value: 7, issuedMicros: self.t0, expiresMicros: self.t0 + 1)
                let verified = try self.signer.verify(self.signer.sign(token), kind: kind, spaceID: id, nowMicros: self.t0)
                XCTAssertEqual(verified, token, id)
                XCTAssertEqual(verified.spaceID.utf8.count, id.utf8.count)
            }
        }
    }

    func testAnInviteIsNotATicketOrAResumeToken() throws {
        let invite = self.signer.sign(SignedToken(kind: .invite, spaceID: "s", value: 9, issuedMicros: self.t0, expiresMicros: self.t0 + 60))
        XCTAssertEqual(try self.signer.verify(invite, kind: .invite, spaceID: "s", nowMicros: self.t0).value, 9)
        for kind in [SignedToken.Kind.ticket, .resume] {
            XCTAssertThrowsError(try self.signer.verify(invite, kind: kind, spaceID: "s", nowMicros: self.t0)) { error in
                XCTAssertEqual(error as? SignedToken.Invalid, .wrongKind)
            }
        }
    }

    func testSpaceIDLongerThan255BytesIsNotAcceptedAsItself() {
        for id in [String(repeating: "y", count: 256), String(repeating: "é", count: 128)] {
            let string = self.signer.sign(self.ticket(id))
            XCTAssertNotNil(self.verifyError(string, spaceID: id), "a token for a \(id.utf8.count)-byte id verified")
        }
    }

    func testSigningIsDeterministicAndDependsOnEveryField() {
        let base = self.ticket()
        XCTAssertEqual(self.signer.sign(base), self.signer.sign(base))
        var variants: [SignedToken] = []
        var kind = base; kind.kind = .resume; variants.append(kind)
        var space = base; space.spaceID = "space-2"; variants.append(space)
        var value = base; value.value += 1; variants.append(value)
        var issued = base; issued.issuedMicros += 1; variants.append(issued)
        var expires = base; expires.expiresMicros += 1; variants.append(expires)
        let strings = Set(([base] + variants).map(self.signer.sign))
        XCTAssertEqual(strings.count, 6)
    }

    func testWireLayout() {
        let token = SignedToken(kind: .resume, spaceID: "ab", value: 0x0102_0304_0506_0708, issuedMicros: 9, expiresMicros: 10)
        let (payload, mac) = self.parts(self.signer.sign(token))
        XCTAssertEqual(payload.count, 1 + 8 + 8 + 8 + 1 + 2)
        XCTAssertEqual(payload[0], 2)
        XCTAssertEqual(Array(payload[1..<9]), [1, 2, 3, 4, 5, 6, 7, 8])
        XCTAssertEqual(Array(payload[9..<17]), [0, 0, 0, 0, 0, 0, 0, 9])
        XCTAssertEqual(Array(payload[17..<25]), [0, 0, 0, 0, 0, 0, 0, 10])
        XCTAssertEqual(payload[25], 2)
        XCTAssertEqual(Array(payload[26...]), Array("ab".utf8))
        XCTAssertEqual(mac.count, 32)  // HMAC-SHA256
        XCTAssertEqual(self.parts(self.signer.sign(self.ticket())).payload[0], 1)
    }

    // MARK: Tampering

    func testTamperedPayloadIsBadSignature() {
        let string = self.signer.sign(self.ticket(arrival: self.t0))
        let (payload, mac) = self.parts(string)
        // An earlier arrival would jump the line.
        for index in [0, 1, 8, 16, 24, 25, payload.count - 1] {
            var forged = payload
            forged[index] ^= 0x01
            let tampered = self.encode(forged) + "." + self.encode(mac)
            XCTAssertNotEqual(tampered, string)
            let error = self.verifyError(tampered)
            XCTAssertEqual(error, .badSignature, "byte \(index)")
        }
        // A shorter (truncated) payload under the same signature.
        XCTAssertTrue([.badSignature, .malformed].contains(self.verifyError(self.encode(Array(payload.dropLast())) + "." + self.encode(mac))))
    }

    func testTamperedSignatureIsBadSignature() {
        let string = self.signer.sign(self.ticket())
        let (payload, mac) = self.parts(string)
        for index in [0, 15, 31] {
            var forged = mac
            forged[index] ^= 0x80
            XCTAssertEqual(self.verifyError(self.encode(payload) + "." + self.encode(forged)), .badSignature, "byte \(index)")
        }
        XCTAssertTrue([.badSignature, .malformed].contains(self.verifyError(self.encode(payload) + "." + self.encode(Array(mac.dropLast())))))
        // A signature of another valid token.
        let other = self.parts(self.signer.sign(self.ticket(arrival: 1)))
        XCTAssertEqual(self.verifyError(self.encode(payload) + "." + self.encode(other.mac)), .badSignature)
    }

    func testOtherSecretIsBadSignature() {
        let string = self.signer.sign(self.ticket())
        let otherSigner = TokenSigner(secret: Array("another-secret-0123456789abcdef".utf8))
        XCTAssertEqual(self.verifyError(string, signer: otherSigner), .badSignature)
        XCTAssertNotEqual(otherSigner.sign(self.ticket()), string)
        // A one-byte difference is enough.
        var secret = Array("node-secret-0123456789abcdef".utf8)
        secret[secret.count - 1] ^= 1
        XCTAssertEqual(self.verifyError(string, signer: TokenSigner(secret: secret)), .badSignature)
        XCTAssertNil(self.verifyError(string, signer: TokenSigner(secret: Array("node-secret-0123456789abcdef".utf8))))
    }

    // MARK: Kind, Space, expiry

    func testWrongKind() {
        let ticket = self.signer.sign(self.ticket())
        XCTAssertEqual(self.verifyError(ticket, kind: .resume), .wrongKind)
        let resume = self.signer.sign(
            SignedToken(kind: .resume, spaceID: "space-1", value: 1, issuedMicros: self.t0, expiresMicros: self.t0 + 1)
        )
        XCTAssertEqual(self.verifyError(resume, kind: .ticket), .wrongKind)
        XCTAssertNil(self.verifyError(resume, kind: .resume))
    }

    func testWrongSpace() {
        let string = self.signer.sign(self.ticket("space-1"))
        XCTAssertEqual(self.verifyError(string, spaceID: "space-2"), .wrongSpace)
        XCTAssertEqual(self.verifyError(string, spaceID: "space-10"), .wrongSpace)
        XCTAssertEqual(self.verifyError(string, spaceID: "space-"), .wrongSpace)
        XCTAssertEqual(self.verifyError(string, spaceID: "SPACE-1"), .wrongSpace)
        XCTAssertEqual(self.verifyError(string, spaceID: ""), .wrongSpace)
    }

    func testExpiry() {
        let expires = self.t0 + self.minute
        let string = self.signer.sign(self.ticket(expires: expires))
        XCTAssertNil(self.verifyError(string, nowMicros: self.t0))
        XCTAssertNil(self.verifyError(string, nowMicros: expires - 1))
        XCTAssertNil(self.verifyError(string, nowMicros: expires))
        XCTAssertEqual(self.verifyError(string, nowMicros: expires + 1), .expired)
        XCTAssertEqual(self.verifyError(string, nowMicros: UInt64.max), .expired)
    }

    func testChecksInOrderSignatureKindSpaceExpiry() {
        let expired = self.signer.sign(self.ticket("space-1", expires: self.t0))
        let late = self.t0 + 1
        XCTAssertEqual(self.verifyError(expired, nowMicros: late), .expired)
        XCTAssertEqual(self.verifyError(expired, spaceID: "other", nowMicros: late), .wrongSpace)
        XCTAssertEqual(self.verifyError(expired, kind: .resume, spaceID: "other", nowMicros: late), .wrongKind)
        let otherSigner = TokenSigner(secret: Array(repeating: 0x42, count: 16))
        XCTAssertEqual(self.verifyError(expired, kind: .resume, spaceID: "other", nowMicros: late, signer: otherSigner), .badSignature)
    }

    // MARK: Garbage

    func testGarbageIsMalformed() {
        let valid = self.signer.sign(self.ticket())
        let garbage = [
            "",
            ".",
            "..",
            "a.b.c",
            valid + "." + "AAAA",
            valid + ".",
            "abc",
            valid.replacingOccurrences(of: ".", with: ""),
            "!!!!.????",
            "not base64.at all",
            "a.b",  // single base64 characters are no bytes
            valid.prefix(5) + "=" + valid.dropFirst(5),
            valid.prefix(3) + "*" + valid.dropFirst(4),
            valid + "\n",
            " " + valid,
            String(repeating: "A", count: 100_000),
            String(repeating: "A", count: 100_000) + "." + String(repeating: "B", count: 100_000),
            String(repeating: ".", count: 5_000),
            "🎙️.🎧",
            "\u{0}.\u{0}",
        ]
        for string in garbage {
            XCTAssertEqual(self.verifyError(string), .malformed, "\(string.prefix(40).debugDescription) (\(string.utf8.count) bytes)")
        }
    }

    func testRandomBytesNeverCrash() {
        var generator = SystemRandomNumberGenerator()
        let valid = Array(self.signer.sign(self.ticket()).utf8)
        for _ in 0..<2_000 {
            var bytes = valid
            for _ in 0..<Int.random(in: 1...4, using: &generator) {
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0x20...0x7e, using: &generator)
            }
            let string = String(decoding: bytes, as: UTF8.self)
            if string == String(decoding: valid, as: UTF8.self) { continue }
            // Whatever it is, it is refused (or, if only ignorable padding bits changed, the same token).
            do {
                let token = try self.signer.verify(string, kind: .ticket, spaceID: "space-1", nowMicros: self.t0)
                XCTAssertEqual(token, self.ticket())
            } catch {
                XCTAssertTrue([.malformed, .badSignature, .wrongKind, .wrongSpace, .expired].contains(error))
            }
        }
    }

    // MARK: Form

    func testTokensAreURLSafe() {
        let allowed = Set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_.")
        var sawDash = false
        var sawUnderscore = false
        for value: UInt64 in 0..<300 {
            for id in ["s", "ab", "abc", "space-\(value)"] {
                let string = self.signer.sign(self.ticket(id, arrival: value * 7_919))
                XCTAssertFalse(string.contains("+") || string.contains("/") || string.contains("="), string)
                XCTAssertTrue(string.allSatisfy { allowed.contains($0) }, string)
                XCTAssertEqual(string.filter { $0 == "." }.count, 1)
                XCTAssertLessThanOrEqual(string.utf8.count, 1024)
                sawDash = sawDash || string.contains("-")
                sawUnderscore = sawUnderscore || string.contains("_")
            }
        }
        // The URL-safe alphabet is really in use (else + and / were merely absent by chance).
        XCTAssertTrue(sawDash)
        XCTAssertTrue(sawUnderscore)
    }

    func testLongestTokenFitsTheVerifierLimit() throws {
        let token = SignedToken(
            kind: .ticket, spaceID: String(repeating: "🎧", count: 63) + "abc", value: .max, issuedMicros: .max, expiresMicros: .max
        )
        let string = self.signer.sign(token)
        XCTAssertLessThanOrEqual(string.utf8.count, 1024)
        XCTAssertEqual(try self.signer.verify(string, kind: .ticket, spaceID: token.spaceID, nowMicros: 0), token)
    }

    func testTicketsCompareByTheArrivalTheyCarry() throws {
        // The later arrival's ticket is issued first: order comes from the carried value, not
        // from issue time or from the strings.
        let later = self.signer.sign(
            SignedToken(kind: .ticket, spaceID: "space-1", value: self.t0 + 2_000, issuedMicros: self.t0 + 10, expiresMicros: self.t0 + self.minute)
        )
        let earlier = self.signer.sign(
            SignedToken(kind: .ticket, spaceID: "space-1", value: self.t0 + 1_000, issuedMicros: self.t0 + 20, expiresMicros: self.t0 + self.minute)
        )
        let a = try self.signer.verify(later, kind: .ticket, spaceID: "space-1", nowMicros: self.t0 + 30)
        let b = try self.signer.verify(earlier, kind: .ticket, spaceID: "space-1", nowMicros: self.t0 + 30)
        XCTAssertLessThan(b.value, a.value)
        XCTAssertGreaterThan(b.issuedMicros, a.issuedMicros)
        XCTAssertEqual(b.value, self.t0 + 1_000)
        XCTAssertEqual(a.value, self.t0 + 2_000)
        // In a waiting room the carried arrival decides the place.
        var room = WaitingRoom(capacity: 10)
        _ = room.enter(connection: 1, arrivalMicros: a.value, nowMicros: self.t0 + 30)
        XCTAssertEqual(room.enter(connection: 2, arrivalMicros: b.value, nowMicros: self.t0 + 31), .placed(position: 1))
    }

    func testInvalidDescriptions() {
        let all: [SignedToken.Invalid] = [.malformed, .badSignature, .expired, .wrongKind, .wrongSpace]
        XCTAssertEqual(Set(all.map(\.description)).count, all.count)
        XCTAssertTrue(all.allSatisfy { !$0.description.isEmpty })
    }
}
