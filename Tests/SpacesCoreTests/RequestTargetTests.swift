import XCTest

@testable import SpacesCore

final class RequestTargetTests: XCTestCase {
    func testNoQuery() {
        let target = RequestTarget("/v1/spaces/abc/listen")
        XCTAssertEqual(target.path, "/v1/spaces/abc/listen")
        XCTAssertEqual(target.query, [:])
        XCTAssertEqual(RequestTarget("/").path, "/")
        XCTAssertEqual(RequestTarget("").path, "")
        XCTAssertEqual(RequestTarget("").query, [:])
    }

    func testEmptyQuery() {
        let target = RequestTarget("/healthz?")
        XCTAssertEqual(target.path, "/healthz")
        XCTAssertEqual(target.query, [:])
    }

    func testPathQuerySplit() {
        let target = RequestTarget("/v1/spaces/abc/listen?token=xyz&resume=42")
        XCTAssertEqual(target.path, "/v1/spaces/abc/listen")
        XCTAssertEqual(target.query, ["token": "xyz", "resume": "42"])
    }

    func testOnlyFirstQuestionMarkSplits() {
        let target = RequestTarget("/p?a=1?b=2")
        XCTAssertEqual(target.path, "/p")
        XCTAssertEqual(target.query, ["a": "1?b=2"])
    }

    func testValueMayContainEquals() {
        XCTAssertEqual(RequestTarget("/p?sig=a=b=c").query, ["sig": "a=b=c"])
    }

    func testKeyWithoutValueAndEmptyPairs() {
        let target = RequestTarget("/p?&flag&&a=1&empty=&")
        XCTAssertEqual(target.query, ["flag": "", "a": "1", "empty": ""])
    }

    func testPercentDecoding() {
        let target = RequestTarget("/p?name=caf%C3%A9&slash=a%2Fb&amp=%26&eq=%3D&pct=%25&lower=%c3%a9&k%65y=v")
        XCTAssertEqual(target.query["name"], "café")
        XCTAssertEqual(target.query["slash"], "a/b")
        XCTAssertEqual(target.query["amp"], "&")
        XCTAssertEqual(target.query["eq"], "=")
        XCTAssertEqual(target.query["pct"], "%")
        XCTAssertEqual(target.query["lower"], "é")
        XCTAssertEqual(target.query["key"], "v", "keys are decoded too")
        // An escaped '&' or '=' does not split.
        XCTAssertEqual(RequestTarget("/p?a=x%26b%3Dy").query, ["a": "x&b=y"])
    }

    func testPlus() {
        XCTAssertEqual(RequestTarget("/p?q=hello+world").query["q"], "hello world")
        XCTAssertEqual(RequestTarget("/p?q=1%2B1").query["q"], "1+1")
        XCTAssertEqual(RequestTarget("/p?my+key=v").query["my key"], "v")
    }

    func testRepeatedKeysFirstWins() {
        XCTAssertEqual(RequestTarget("/p?token=first&token=second").query["token"], "first")
        XCTAssertEqual(RequestTarget("/p?a=1&b=2&a=3&b=4").query, ["a": "1", "b": "2"])
        // Keys that decode to the same text are the same key.
        XCTAssertEqual(RequestTarget("/p?t%6Fken=first&token=second").query["token"], "first")
    }

    func testBrokenEscapes() {
        // A key with a broken escape is dropped; the rest of the query still parses.
        let badKey = RequestTarget("/p?%zz=1&ok=2&%4=3&x%=4")
        XCTAssertEqual(badKey.query, ["ok": "2"])
        // A value with a broken escape never surfaces its raw text.
        let badValue = RequestTarget("/p?a=%zz&b=%4&c=100%&d=ok")
        XCTAssertEqual(badValue.query["a"] ?? "", "")
        XCTAssertEqual(badValue.query["b"] ?? "", "")
        XCTAssertEqual(badValue.query["c"] ?? "", "")
        XCTAssertEqual(badValue.query["d"], "ok")
    }

    func testInvalidUTF8Escapes() {
        // %FF is never UTF-8; %C3 alone is a truncated sequence; %C0%AF is an overlong '/'.
        let target = RequestTarget("/p?a=%FF&b=%C3&c=%C0%AF&%FF=key&d=fine")
        XCTAssertEqual(target.query["a"] ?? "", "")
        XCTAssertEqual(target.query["b"] ?? "", "")
        XCTAssertEqual(target.query["c"] ?? "", "")
        XCTAssertEqual(target.query["d"], "fine")
        // The key %FF cannot be decoded, so its pair is dropped rather than stored under a repaired key.
        XCTAssertTrue(Set(target.query.keys).isSubset(of: ["a", "b", "c", "d"]), "\(target.query)")
    }

    func testPercentDecodeDirectly() {
        XCTAssertEqual(RequestTarget.percentDecode("plain"), "plain")
        XCTAssertEqual(RequestTarget.percentDecode(""), "")
        XCTAssertEqual(RequestTarget.percentDecode("%41%42c"), "ABc")
        XCTAssertEqual(RequestTarget.percentDecode("%e2%82%AC"), "€")
        XCTAssertEqual(RequestTarget.percentDecode("a+b"), "a b")
        XCTAssertEqual(RequestTarget.percentDecode("%00"), "\u{0}")
        XCTAssertEqual(RequestTarget.percentDecode("é"), "é")
        XCTAssertNil(RequestTarget.percentDecode("%"))
        XCTAssertNil(RequestTarget.percentDecode("%4"))
        XCTAssertNil(RequestTarget.percentDecode("abc%"))
        XCTAssertNil(RequestTarget.percentDecode("%G1"))
        XCTAssertNil(RequestTarget.percentDecode("%1G"))
        XCTAssertNil(RequestTarget.percentDecode("% 1"))
        XCTAssertNil(RequestTarget.percentDecode("%FF"))
        XCTAssertNil(RequestTarget.percentDecode("%C3"))
        XCTAssertNil(RequestTarget.percentDecode("%ED%A0%80"))  // UTF-16 surrogate
        // A substring of a larger string works.
        let whole = "xx%41yy"
        XCTAssertEqual(RequestTarget.percentDecode(whole.dropFirst(2).dropLast(2)), "A")
    }
}
