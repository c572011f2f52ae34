import Foundation
@testable import SpacesCLI
import SpacesClient
import SpacesCore
@testable import SpacesServer
import XCTest

/// Host tokens (JWT, HS256 with the node's key): who a host is, what it may do, until when.
final class HostTokenTests: XCTestCase {
    private func token(
        _ subject: String, _ rights: [HostClaims.Right] = HostClaims.Right.allCases, expiresIn seconds: TimeInterval = 600,
        key: String = TestServer.hostKey
    ) async throws -> String {
        try await HostTokens.issue(HostClaims(subject: subject, rights: rights, expiresAt: Date() + seconds), key: key)
    }

    /// The server's answer to `call` as (status, error code); (200…, nil) when it succeeded.
    private func outcome(_ call: () async throws -> Void) async -> (status: Int, code: String?) {
        do {
            try await call()
            return (200, nil)
        } catch let error as HTTPStatusError {
            return (error.status, error.response.apiError?.error.code)
        } catch {
            return (0, "\(error)")
        }
    }

    func testATokenForAliceCannotEndOrModerateBobsSpaceButEndsHerOwn() async throws {
        let node = try await TestServer.start()
        let alice = try await self.token("alice")
        let bob = try await self.token("bob")
        let bobs = try await node.api.createSpace(CreateSpaceRequest(title: "Bob's"), hostKey: bob)
        let alices = try await node.api.createSpace(CreateSpaceRequest(title: "Alice's"), hostKey: alice)
        XCTAssertEqual(node.server.registry.space(id: bobs.id)?.owner, "bob")

        var result = await self.outcome { _ = try await node.api.endSpace(id: bobs.id, token: alice) }
        XCTAssertEqual(result.status, 403)
        XCTAssertEqual(result.code, "forbidden")
        result = await self.outcome { _ = try await node.api.questions(spaceID: bobs.id, token: alice) }
        XCTAssertEqual(result.status, 403, "alice may not moderate bob's Space either")
        XCTAssertEqual(node.server.registry.space(id: bobs.id)?.state, .live)

        // Her own: moderated and ended with her token; bob's with his.
        result = await self.outcome { _ = try await node.api.questions(spaceID: alices.id, token: alice) }
        XCTAssertEqual(result.status, 200)
        let value1 = try await node.api.endSpace(id: alices.id, token: alice).state
        XCTAssertEqual(value1, .ended)
        let value2 = try await node.api.endSpace(id: bobs.id, token: bob).state
        XCTAssertEqual(value2, .ended)
        // The Space's own host token and the operator's key keep working.
        let third = try await node.api.createSpace(CreateSpaceRequest(title: "Third"), hostKey: bob)
        let value3 = try await node.api.endSpace(id: third.id, token: third.hostToken).state
        XCTAssertEqual(value3, .ended)
        let fourth = try await node.api.createSpace(CreateSpaceRequest(title: "Fourth"), hostKey: alice)
        let value4 = try await node.api.endSpace(id: fourth.id, token: TestServer.hostKey).state
        XCTAssertEqual(value4, .ended)
        await node.stop()
    }

    func testExpiredForeignAndUnderprivilegedTokensAreRefusedWithTheirReason() async throws {
        let node = try await TestServer.start()
        let expired = try await self.token("alice", expiresIn: -5)
        var result = await self.outcome { _ = try await node.api.createSpace(CreateSpaceRequest(title: "Late"), hostKey: expired) }
        XCTAssertEqual(result.status, 401)
        XCTAssertEqual(result.code, "token_expired")

        let foreign = try await self.token("mallory", key: "another node's key")
        result = await self.outcome { _ = try await node.api.createSpace(CreateSpaceRequest(title: "Forged"), hostKey: foreign) }
        XCTAssertEqual(result.status, 401)
        XCTAssertEqual(result.code, "unauthorized")

        // One character of the signature changed.
        var tampered = Array(try await self.token("alice"))
        tampered[tampered.count - 3] = tampered[tampered.count - 3] == "A" ? "B" : "A"
        result = await self.outcome { _ = try await node.api.createSpace(CreateSpaceRequest(title: "Tampered"), hostKey: String(tampered)) }
        XCTAssertEqual(result.status, 401)

        let moderator = try await self.token("carol", [.moderate, .end])
        result = await self.outcome { _ = try await node.api.createSpace(CreateSpaceRequest(title: "Not allowed"), hostKey: moderator) }
        XCTAssertEqual(result.status, 403)
        XCTAssertEqual(result.code, "forbidden")
        XCTAssertTrue(node.server.registry.all().isEmpty, "no Space was created by a refused token")

        // A creator without `end` cannot end its own Space.
        let creator = try await self.token("dave", [.create])
        let space = try await node.api.createSpace(CreateSpaceRequest(title: "Dave's"), hostKey: creator)
        result = await self.outcome { _ = try await node.api.endSpace(id: space.id, token: creator) }
        XCTAssertEqual(result.status, 403)
        await node.stop()
    }

    func testTokenIssuePrintsATokenTheNodeAccepts() async throws {
        let node = try await TestServer.start()
        let command = try TokenCommand.Issue.parse(["--subject", "erin", "--can", "create,end", "--ttl", "120", "--host-key", TestServer.hostKey])
        let token = try await command.mint()
        let space = try await node.api.createSpace(CreateSpaceRequest(title: "Erin's"), hostKey: token)
        XCTAssertEqual(node.server.registry.space(id: space.id)?.owner, "erin")
        // Without `moderate`, erin cannot mint invites or read the queue of her own Space.
        do {
            _ = try await node.api.questions(spaceID: space.id, token: token)
            XCTFail("a token without moderate moderated")
        } catch let error as HTTPStatusError {
            XCTAssertEqual(error.status, 403)
        }
        // One minted 3 minutes ago with a 120 s life has expired.
        let stale = try await command.mint(now: Date() - 180)
        do {
            _ = try await node.api.createSpace(CreateSpaceRequest(title: "Stale"), hostKey: stale)
            XCTFail("an expired token created a Space")
        } catch let error as HTTPStatusError {
            XCTAssertEqual(error.response.apiError?.error.code, "token_expired")
        }
        XCTAssertThrowsError(try TokenCommand.Issue.parse(["--subject", "x", "--can", "create,fly"]))
        XCTAssertThrowsError(try TokenCommand.Issue.parse(["--subject", "x", "--ttl", "5"]))
        XCTAssertThrowsError(try TokenCommand.Issue.parse(["--subject", ""]))
        await node.stop()
    }

    func testTheClaimsCarryWhoWhatAndUntilWhen() async throws {
        let authority = await HostAuthority(operatorKey: "a key of the node")
        let until = Date(timeIntervalSince1970: (Date().timeIntervalSince1970 + 300).rounded(.down))
        let token = try await authority.sign(HostClaims(subject: "alice", rights: [.create, .end], expiresAt: until))
        XCTAssertTrue(HostAuthority.looksLikeJWT(token))
        XCTAssertFalse(HostAuthority.looksLikeJWT(Token.random(bytes: 24)), "a Space's host token is not taken for one")
        guard case .host(let claims) = await authority.caller(token: token) else { return XCTFail("the token did not verify") }
        XCTAssertEqual(claims.subject, "alice")
        XCTAssertEqual(claims.rights, [.create, .end])
        XCTAssertEqual(claims.exp.value, until)
        guard case .operatorKey = await authority.caller(token: "a key of the node") else { return XCTFail("the key is the operator's") }
    }
}
