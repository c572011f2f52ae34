import XCTest

@testable import SpacesCore

final class QuestionQueueErrorTests: XCTestCase {
    func testAScriptsRefusalReadsBackAsTheSameError() {
        let errors: [QuestionQueueError] = [
            .oneOpenQuestion(id: "q000000001"), .queueFull(limit: 500), .noSuchQuestion(id: "q9"), .alreadyVoted(id: "q2"),
            .ownQuestion(id: "q3"), .notYours(id: "q4"), .handsFull(limit: 1000), .handNotRaised(listenerID: "zz"),
            .notOpen(id: "q5", state: .onAir), .notOpen(id: "odd,id", state: .answered),
        ]
        for error in errors {
            let argument: String = switch error {
            case .oneOpenQuestion(let id), .noSuchQuestion(let id), .alreadyVoted(let id), .ownQuestion(let id), .notYours(let id): id
            case .queueFull(let limit), .handsFull(let limit): String(limit)
            case .handNotRaised(let id): id
            case .notOpen(let id, let state): "\(id),\(state.rawValue)"
            default: ""
            }
            XCTAssertEqual(QuestionQueueError(code: error.code, argument: argument), error)
        }
        XCTAssertNil(QuestionQueueError(code: "not_open", argument: "q1,closed"), "an unknown state")
        XCTAssertNil(QuestionQueueError(code: "something_new", argument: ""))
    }

    func testUnavailableIsA503ThatIsNotTheClientsFault() {
        XCTAssertEqual(QuestionQueueError.unavailable.httpStatus, 503)
        XCTAssertEqual(QuestionQueueError.unavailable.code, "unavailable")
        XCTAssertFalse(QuestionQueueError.unavailable.isRateLimited)
    }
}
