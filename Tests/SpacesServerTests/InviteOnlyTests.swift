import Foundation
import SpacesClient
import SpacesCore
@testable import SpacesServer
import XCTest

/// `access: invite`: only holders of a signed invite get in, checked before the upgrade.
final class InviteOnlyTests: XCTestCase {
    private func refusal(_ url: String) async -> (status: Int, code: String?) {
        do {
            let connection = try await WebSocketClient.connect(try ServerURL(url))
            try await connection.run { _, sender in try await sender.close() }
            return (101, nil)
        } catch let refused as WebSocketClient.Refused {
            return (refused.status, refused.response.apiError?.error.code)
        } catch {
            return (0, "\(error)")
        }
    }

    func testAListenerWithoutAValidInviteIsRefusedBeforeTheUpgradeAndOneWithItGetsIn() async throws {
        let node = try await TestServer.start()
        let space = try await node.api.createSpace(CreateSpaceRequest(title: "Private", access: .invite), hostKey: TestServer.hostKey)
        let listen = "ws://127.0.0.1:\(node.port)/v1/spaces/\(space.id)/listen"

        var result = await self.refusal(listen)
        XCTAssertEqual(result.status, 403)
        XCTAssertEqual(result.code, "invite_required")
        XCTAssertEqual(node.server.relay.listenerCount, 0)

        let invite = try await node.api.invite(spaceID: space.id, token: space.hostToken)
        XCTAssertTrue(invite.listenURL.hasSuffix("/v1/spaces/\(space.id)/listen?invite=\(invite.invite)"), invite.listenURL)
        XCTAssertTrue(invite.pageURL.contains("/s/\(space.id)?invite="), invite.pageURL)

        // One character changed, and an invite to another Space: refused.
        var changed = Array(invite.invite)
        let at = changed.count / 3
        changed[at] = changed[at] == "A" ? "B" : "A"
        result = await self.refusal(listen + "?invite=" + String(changed))
        XCTAssertEqual(result.status, 403)
        let other = try await node.api.createSpace(CreateSpaceRequest(title: "Other", access: .invite), hostKey: TestServer.hostKey)
        let otherInvite = try await node.api.invite(spaceID: other.id, token: other.hostToken)
        result = await self.refusal(listen + "?invite=" + otherInvite.invite)
        XCTAssertEqual(result.status, 403)

        // The invite itself: a listener gets the welcome and stays.
        let connection = try await WebSocketClient.connect(try ServerURL(invite.listenURL))
        let welcomed = try await connection.run { messages, _ in
            guard case .text(let first) = try await messages.next(), case .welcome = try ServerEvent.parse(first) else { return false }
            try await eventually { node.server.relay.listenerCount == 1 }
            return true
        }
        XCTAssertTrue(welcomed, "the first message is the welcome")
        await node.stop()
    }

    func testInviteOnlySpacesAreNotListedAndOpenSpacesTakeNoInvite() async throws {
        let node = try await TestServer.start()
        let hidden = try await node.api.createSpace(CreateSpaceRequest(title: "Hidden", access: .invite), hostKey: TestServer.hostKey)
        let open = try await node.api.createSpace(CreateSpaceRequest(title: "Open"), hostKey: TestServer.hostKey)
        let listed = try await node.api.spaces().spaces.map(\.id)
        XCTAssertEqual(listed, [open.id])
        let value1 = try await node.api.space(id: hidden.id).access
        XCTAssertEqual(value1, .invite, "its page still finds it by id")
        // An invite to an open Space is refused (409), and minting needs the Space's host.
        do {
            _ = try await node.api.invite(spaceID: open.id, token: open.hostToken)
            XCTFail("an open Space minted an invite")
        } catch let error as HTTPStatusError {
            XCTAssertEqual(error.status, 409)
        }
        do {
            _ = try await node.api.invite(spaceID: hidden.id, token: open.hostToken)
            XCTFail("another Space's host token minted an invite")
        } catch let error as HTTPStatusError {
            XCTAssertEqual(error.status, 401)
        }
        do {
            _ = try await node.api.invite(spaceID: hidden.id, token: hidden.hostToken, ttlSeconds: 5)
            XCTFail("an invite of 5 s was minted")
        } catch let error as HTTPStatusError {
            XCTAssertEqual(error.status, 400)
        }
        await node.stop()
    }

    func testAnExpiredInviteIsRefused() async throws {
        let secret = "the cluster's shared secret, for a test"
        let node = try await TestServer.start { $0.admission.secret = secret }
        let space = try await node.api.createSpace(CreateSpaceRequest(title: "Private", access: .invite), hostKey: TestServer.hostKey)
        let live = try XCTUnwrap(node.server.registry.space(id: space.id))
        let now = WallClock.nowMicros()
        let signer = TokenSigner(secret: Array(secret.utf8))
        let stale = signer.sign(SignedToken(kind: .invite, spaceID: space.id, value: 7, issuedMicros: now - 10_000_000, expiresMicros: now - 1))
        let fresh = signer.sign(SignedToken(kind: .invite, spaceID: space.id, value: 8, issuedMicros: now, expiresMicros: now + 60_000_000))
        let value2 = await self.refusal("ws://127.0.0.1:\(node.port)/v1/spaces/\(live.id)/listen?invite=\(fresh)").status
        XCTAssertEqual(value2, 101, "the same signer's fresh invite works")
        let result = await self.refusal("ws://127.0.0.1:\(node.port)/v1/spaces/\(live.id)/listen?invite=\(stale)")
        XCTAssertEqual(result.status, 403)
        XCTAssertEqual(result.code, "invite_required")
        await node.stop()
    }

    /// The page keeps sending the link's invite: once it has expired, a listener whose network
    /// dropped must still get its held slot back with its resume token.
    func testAResumeNeedsNoInviteEvenBesideAnExpiredOne() async throws {
        let secret = "the cluster's shared secret, for a test"
        let node = try await TestServer.start { $0.admission.secret = secret }
        let space = try await node.api.createSpace(CreateSpaceRequest(title: "Private", access: .invite), hostKey: TestServer.hostKey)
        let now = WallClock.nowMicros()
        let shortLived = TokenSigner(secret: Array(secret.utf8)).sign(SignedToken(
            kind: .invite, spaceID: space.id, value: 9, issuedMicros: now, expiresMicros: now + 1_500_000
        ))
        let listen = "/v1/spaces/\(space.id)/listen?invite=\(shortLived)"
        let first = try await TestListener.connect(try node.url(listen))
        try await eventually { first.welcome != nil }
        let token = try XCTUnwrap(first.welcome?.resumeToken)
        await first.drop()
        try await Task.sleep(for: .milliseconds(1_700))

        let expiredAlone = await self.refusal("ws://127.0.0.1:\(node.port)\(listen)")
        XCTAssertEqual(expiredAlone.status, 403, "the expired invite alone lets nobody in")
        let back = try await TestListener.connect(try node.url(listen + "&resume=\(token)"))
        try await eventually { back.welcome != nil }
        XCTAssertEqual(back.welcome?.listenerId, first.welcome?.listenerId, "the same listener, its slot given back")
        await back.close()
        await node.stop()
    }
}
