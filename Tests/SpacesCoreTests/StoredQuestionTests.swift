import XCTest

@testable import SpacesCore

final class StoredQuestionTests: XCTestCase {
    func testARecordRoundTripsWithBarsInTheText() throws {
        var question = Question(sequence: 7, askerListenerID: .max, text: "a|b||c", askedAtMicros: 1_733_000_000_000_000, id: StoredQuestion.id(sequence: 7))
        question.votes = 12
        question.pinned = true
        let record = StoredQuestion.encode(question)
        XCTAssertEqual(record, "open|1|18446744073709551615|1733000000000000|12|a|b||c")
        let decoded = try XCTUnwrap(StoredQuestion.decode(id: question.id, record: record[...]))
        XCTAssertEqual(decoded, question)
        XCTAssertEqual(decoded.id, "q000000007")
    }

    func testIdsSortInTheOrderOfAsking() {
        let ids = [1, 9, 10, 99, 100, 123_456_789].map { StoredQuestion.id(sequence: UInt64($0)) }
        XCTAssertEqual(ids, ids.sorted(), "bytewise order is the order of asking, as Redis sorts equal scores")
        XCTAssertEqual(StoredQuestion.id(sequence: 42), "q000000042")
    }

    func testMalformedRecordsAreNil() {
        for record in ["", "open|1|2|3|4", "shut|0|1|2|3|x", "open|2|1|2|3|x", "open|0|-1|2|3|x", "open|0|1|2|-3|x", "open|0|1|x|3|x"] {
            XCTAssertNil(StoredQuestion.decode(id: "q1", record: record[...]), record)
        }
        XCTAssertEqual(StoredQuestion.decode(id: "q1", record: "on_air|0|5|6|7|")?.text, "", "an empty text is still a record")
    }
}
