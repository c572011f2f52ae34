import SpacesCore
import XCTest

final class SpaceRecordTests: XCTestCase {
    let record = SpaceRecord(
        id: "9b4e1a6093f36aa0", title: "Town hall, 1:00", state: .live, capacity: 5000, channels: 1, origin: "node-a",
        createdMicros: 1_700_000_000_000_000, hostTokenDigest: Token.digest("secret")
    )

    func testFieldsReadBackToTheSameRecord() {
        let fields = Dictionary(uniqueKeysWithValues: self.record.fields)
        XCTAssertEqual(SpaceRecord(fields: fields), self.record)
        XCTAssertEqual(self.record.fields.first?.0, "v", "the version comes first")
    }

    func testARecordWithAMissingOrBadFieldIsRefused() {
        let fields = Dictionary(uniqueKeysWithValues: self.record.fields)
        for key in ["v", "id", "title", "state", "capacity", "channels", "origin", "created", "host", "access"] {
            var missing = fields
            missing[key] = nil
            XCTAssertNil(SpaceRecord(fields: missing), key)
        }
        for (key, value) in [("v", "3"), ("access", "secret"), ("state", "paused"), ("capacity", "0"), ("channels", "3"), ("host", "abc"), ("created", "-1")] {
            var bad = fields
            bad[key] = value
            XCTAssertNil(SpaceRecord(fields: bad), "\(key)=\(value)")
        }
    }

    func testAccessAndOwnerReadBackAndAVersion1RecordIsOpen() {
        var gated = self.record
        gated.access = .invite
        gated.owner = "alice"
        XCTAssertEqual(SpaceRecord(fields: Dictionary(uniqueKeysWithValues: gated.fields)), gated)
        // A record written by a node of format 1 has neither field: open, the operator's.
        var old = Dictionary(uniqueKeysWithValues: gated.fields)
        old["v"] = "1"
        old["access"] = nil
        old["owner"] = nil
        let read = SpaceRecord(fields: old)
        XCTAssertEqual(read?.access, .open)
        XCTAssertEqual(read?.owner, "")
    }

    func testTheDigestIsSHA256() {
        // `printf secret | sha256sum`
        XCTAssertEqual(Token.digest("secret"), "2bb80d537b1da3e38bd30361aa855686bde0eacd7162fef6a25fe97bf527a25b")
    }
}
