import Foundation
@testable import SpacesCLI
import SpacesClient
import SpacesCore
import XCTest

/// `spaces host questions/pick/…/hands/invite` against a real node, run in process, and the
/// tables they print.
final class HostQuestionsCommandTests: XCTestCase {
    typealias Item = ServerEvent.QuestionItem

    func testQuestionsPickAndTheOtherActionsOverHTTP() async throws {
        let node = try await TestServer.start { $0.conversation.questionsIntervalMs = 100 }
        let space = try await node.createSpace(title: "Scripted")
        let url = try node.url("/v1/spaces/\(space.id)/listen")
        let first = try await ConsoleTestListener.connect(url)
        let second = try await ConsoleTestListener.connect(url)
        try await eventually { first.welcomed && second.welcomed }
        try await first.send(#"{"type":"ask","text":"Will the slides be shared?"}"#)
        try await second.send(#"{"type":"ask","text":"How does admission work?"}"#)
        try await eventually { first.askedID != nil && second.askedID != nil }
        let q1 = try XCTUnwrap(first.askedID)
        let q2 = try XCTUnwrap(second.askedID)
        try await first.send(#"{"type":"upvote","id":"\#(q2)"}"#)
        try await eventually { first.hasUpvoted }

        let common = ["--server", node.base, "--token", space.hostToken]
        try await HostCommand.Questions.parse([space.id] + common).run()
        try await HostCommand.Questions.parse([space.id, "--json"] + common).run()
        let queue = try await node.api.questions(spaceID: space.id, token: space.hostToken)
        XCTAssertEqual(queue.top.map(\.id), [q2, q1], "ranked by votes")
        let table = HostCommand.questionTable(queue)
        XCTAssertEqual(table.count, 3)
        XCTAssertTrue(table[0].hasPrefix("RANK  ID"), table[0])
        XCTAssertTrue(table[1].hasPrefix("1     \(q2)") && table[1].hasSuffix("open   How does admission work?"), table[1])

        // pick: the listeners see it on air.
        try await HostCommand.Pick.parse([space.id, q2] + common).run()
        try await eventually { first.onAirID == q2 && second.onAirID == q2 }
        let picked = try await node.api.questions(spaceID: space.id, token: space.hostToken)
        XCTAssertEqual(picked.onAir?.id, q2)
        XCTAssertEqual(HostCommand.questionTable(picked).dropFirst().first?.hasPrefix("on air"), true)

        try await HostCommand.Pin.parse([space.id, q1] + common).run()
        let pinned = try await node.api.questions(spaceID: space.id, token: space.hostToken)
        XCTAssertEqual(pinned.top.first?.pinned, true)
        try await HostCommand.Unpin.parse([space.id, q1] + common).run()
        try await HostCommand.Answer.parse([space.id, q2] + common).run()
        try await HostCommand.Dismiss.parse([space.id, q1] + common).run()
        let after = try await node.api.questions(spaceID: space.id, token: space.hostToken)
        XCTAssertNil(after.onAir)
        XCTAssertEqual(after.total, 0)
        XCTAssertEqual(HostCommand.questionTable(after), ["no open questions"])

        // Refusals say what is wrong and fail the command.
        await self.assertRefused({ try await HostCommand.Pick.parse([space.id, q1] + common).run() }, status: 409, code: "not_open")
        await self.assertRefused({ try await HostCommand.Pick.parse([space.id, "q999"] + common).run() }, status: 404, code: "no_such_question")
        await self.assertRefused({ try await HostCommand.Questions.parse([space.id, "--server", node.base, "--token", "wrong"]).run() }, status: 401, code: "unauthorized")
        await self.assertRefused({ try await HostCommand.Questions.parse(["000000000000"] + common).run() }, status: 404, code: "not_found")

        // Hands: raised, listed, invited.
        await self.assertRefused({ try await HostCommand.Invite.parse([space.id, "zz"] + common).run() }, status: 404, code: "hand_not_raised")
        try await second.send(#"{"type":"hand","raised":true}"#)
        var hands = ServerEvent.Hands(version: 0, total: 0, hands: [])
        try await eventually {
            hands = try await node.api.hands(spaceID: space.id, token: space.hostToken)
            return hands.total == 1
        }
        try await HostCommand.Hands.parse([space.id] + common).run()
        let listener = try XCTUnwrap(hands.hands.first?.listenerId)
        XCTAssertTrue(HostCommand.handTable(hands)[1].hasPrefix("1         \(listener)"), HostCommand.handTable(hands)[1])
        try await HostCommand.Invite.parse([space.id, listener] + common).run()
        try await eventually { second.invited }

        await first.close()
        await second.close()
        await node.stop()
    }

    func assertRefused(_ command: () async throws -> Void, status: Int, code: String, line: UInt = #line) async {
        do {
            try await command()
            XCTFail("expected a refusal", line: line)
        } catch let error as HostCommandError {
            XCTAssertEqual(error.status, status, line: line)
            XCTAssertEqual(error.code, code, line: line)
            XCTAssertFalse(error.description.isEmpty)
        } catch {
            XCTFail("unexpected \(error)", line: line)
        }
    }

    func testTablesLineUp() {
        let questions = ServerEvent.Questions(
            version: 1, total: 12, onAir: Item(id: "q9", text: "On air now", votes: 12, state: "on_air", pinned: false),
            top: [Item(id: "q10", text: "First", votes: 3, state: "open", pinned: true), Item(id: "q2", text: "Second 👏", votes: 1, state: "open", pinned: false)]
        )
        XCTAssertEqual(HostCommand.questionTable(questions), [
            "RANK    ID   VOTES  STATE        TEXT",
            "on air  q9      12  on_air       On air now",
            "1       q10      3  open pinned  First",
            "2       q2       1  open         Second 👏",
            "(10 more open questions not listed)",
        ])
        XCTAssertEqual(HostCommand.handTable(.init(version: 1, total: 1, hands: [.init(listenerId: "2s", waitedSeconds: 14)])), [
            "POSITION  LISTENER  WAITED",
            "1         2s           14s",
        ])
        XCTAssertEqual(HostCommand.handTable(.init(version: 1, total: 0, hands: [])), ["no hands raised"])
        XCTAssertEqual(
            HostCommand.describe(HostActionResult(action: "pick", target: "q2", questions: [
                Item(id: "q2", text: "", votes: 4, state: "on_air", pinned: false), Item(id: "q1", text: "", votes: 2, state: "answered", pinned: false),
            ])),
            "pick q2: applied; now q2 on_air (4 votes), q1 answered (2 votes)"
        )
    }

    func testErrorMessagesNameTheTarget() {
        func refusal(_ status: Int, _ code: String, _ target: HostCommandError.Target) -> String {
            let body = Array(#"{"error":{"code":"\#(code)","message":"m"}}"#.utf8)
            let error = HTTPStatusError(response: HTTPResponse(status: status, headers: [:], body: body))
            return HostCommandError(status: error, space: "abc", target: target).description
        }
        XCTAssertEqual(refusal(404, "no_such_question", .question("q7")), "Space abc has no question q7 (404 no_such_question: m)")
        XCTAssertEqual(refusal(404, "hand_not_raised", .listener("2s")), "listener 2s has no hand raised in Space abc (404 hand_not_raised: m)")
        XCTAssertEqual(refusal(404, "not_found", .none), "no Space abc on this server (404 not_found: m)")
        XCTAssertEqual(refusal(409, "not_open", .question("q7")), "question q7 is not open (409 not_open: m)")
        XCTAssertTrue(refusal(401, "unauthorized", .none).contains("--token"))
        XCTAssertEqual(refusal(410, "gone", .question("q7")), "Space abc has ended (410 gone: m)")
    }

    func testTheHostTokenIsRequired() throws {
        if ProcessInfo.processInfo.environment["SPACES_HOST_TOKEN"] == nil {
            XCTAssertThrowsError(try HostCommand.Questions.parse(["abc"]))
        }
        XCTAssertNoThrow(try HostCommand.Pick.parse(["abc", "q1", "--token", "t"]))
        XCTAssertThrowsError(try HostCommand.Pick.parse(["abc", "--token", "t"]), "the question id is needed")
    }
}
