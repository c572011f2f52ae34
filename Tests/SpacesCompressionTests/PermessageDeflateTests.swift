import XCTest

@testable import SpacesCompression

/// Negotiation: which offers the server takes, what it answers, what the client accepts.
final class PermessageDeflateTests: XCTestCase {
    private let plainAnswer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover"

    // MARK: Server

    func testChromeAndFirefoxOffersAreAccepted() throws {
        // What Chrome and Firefox both send.
        let agreement = try XCTUnwrap(PermessageDeflate.accept(offers: "permessage-deflate; client_max_window_bits"))
        XCTAssertEqual(agreement.header, self.plainAnswer)
        XCTAssertTrue(agreement.serverNoContextTakeover)
        XCTAssertTrue(agreement.clientNoContextTakeover)
        XCTAssertEqual(agreement.serverMaxWindowBits, 15)
    }

    func testSafariStyleOfferWithTheOldExtensionIsAcceptedForPermessageDeflateOnly() throws {
        XCTAssertNil(PermessageDeflate.accept(offers: "x-webkit-deflate-frame"))
        let agreement = PermessageDeflate.accept(offers: "x-webkit-deflate-frame, permessage-deflate")
        XCTAssertEqual(agreement?.header, self.plainAnswer)
    }

    func testNoHeaderOrNoOfferMeansNoExtension() {
        XCTAssertNil(PermessageDeflate.accept(offers: nil))
        XCTAssertNil(PermessageDeflate.accept(offers: ""))
        XCTAssertNil(PermessageDeflate.accept(offers: "permessage-deflated"))
        XCTAssertNil(PermessageDeflate.accept(offers: "foo; permessage-deflate"))
    }

    func testASmallServerWindowIsDeclinedAndTheNextOfferTaken() {
        XCTAssertNil(PermessageDeflate.accept(offers: "permessage-deflate; server_max_window_bits=10"))
        XCTAssertNil(PermessageDeflate.accept(offers: "permessage-deflate; server_max_window_bits=14"))
        XCTAssertEqual(
            PermessageDeflate.accept(offers: "permessage-deflate; server_max_window_bits=10, permessage-deflate")?.header,
            self.plainAnswer
        )
    }

    func testAFullServerWindowOfferIsAnsweredWithTheWindow() {
        // RFC 7692 §7.1.2.1: accepting server_max_window_bits means answering it.
        for offer in ["permessage-deflate; server_max_window_bits=15", #"permessage-deflate; server_max_window_bits="15""#] {
            XCTAssertEqual(PermessageDeflate.accept(offers: offer)?.header, self.plainAnswer + "; server_max_window_bits=15", offer)
        }
    }

    func testEveryKnownParameterIsHonoured() {
        let offer = "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=9"
        XCTAssertEqual(PermessageDeflate.accept(offers: offer)?.header, self.plainAnswer)
        XCTAssertEqual(PermessageDeflate.accept(offers: "Permessage-Deflate;Client_Max_Window_Bits")?.header, self.plainAnswer)
    }

    func testInvalidOffersAreDeclined() {
        let declined = [
            "permessage-deflate; foo",  // unknown parameter
            "permessage-deflate; client_max_window_bits; client_max_window_bits",  // twice
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate; server_max_window_bits",  // needs a value
            "permessage-deflate; server_max_window_bits=16",
            "permessage-deflate; server_max_window_bits=015",
            "permessage-deflate; server_max_window_bits=+15",
            "permessage-deflate; client_max_window_bits=7",
            "permessage-deflate; client_max_window_bits=abc",
            "permessage-deflate; client_max_window_bits=\"\"",
            "permessage-deflate; server_no_context_takeover=1",  // takes no value
            "permessage-deflate; client_no_context_takeover=\"\"",
            "permessage-deflate; ; client_max_window_bits",
        ]
        for offer in declined {
            XCTAssertNil(PermessageDeflate.accept(offers: offer), offer)
            // ... and the next offer is still considered.
            XCTAssertEqual(PermessageDeflate.accept(offers: offer + ", permessage-deflate")?.header, self.plainAnswer, offer)
        }
    }

    func testAMalformedOfferBeforeAGoodOneDoesNotHideIt() {
        XCTAssertEqual(PermessageDeflate.accept(offers: #"permessage-deflate; x="a,b", permessage-deflate"#)?.header, self.plainAnswer)
        XCTAssertEqual(PermessageDeflate.accept(offers: "permessage-deflate;;;, permessage-deflate")?.header, self.plainAnswer)
        XCTAssertNil(PermessageDeflate.accept(offers: #"permessage-deflate; x="a, permessage-deflate"#))
    }

    // MARK: Client

    func testTheClientOfferIsWhatBrowsersSend() {
        XCTAssertEqual(PermessageDeflate.clientOffer, "permessage-deflate; client_max_window_bits")
        XCTAssertNotNil(PermessageDeflate.accept(offers: PermessageDeflate.clientOffer))
    }

    func testTheClientAcceptsTheSpacesAnswer() throws {
        for offer in ["permessage-deflate; client_max_window_bits", "permessage-deflate; server_max_window_bits=15"] {
            let header = try XCTUnwrap(PermessageDeflate.accept(offers: offer)).header
            let agreement = try XCTUnwrap(PermessageDeflate.clientAgreement(response: header))
            XCTAssertTrue(agreement.serverNoContextTakeover)
            XCTAssertEqual(agreement.serverMaxWindowBits, 15)
        }
    }

    func testTheClientReadsOtherServersTerms() throws {
        let plain = try XCTUnwrap(PermessageDeflate.clientAgreement(response: "permessage-deflate"))
        XCTAssertFalse(plain.serverNoContextTakeover, "a server that keeps its context: the client must too")
        let small = try XCTUnwrap(PermessageDeflate.clientAgreement(response: "permessage-deflate; server_max_window_bits=9; client_max_window_bits=10"))
        XCTAssertEqual(small.serverMaxWindowBits, 9)
        XCTAssertEqual(small.clientMaxWindowBits, 10)
    }

    func testNoAnswerMeansNoCompression() throws {
        XCTAssertNil(try PermessageDeflate.clientAgreement(response: nil))
        XCTAssertNil(try PermessageDeflate.clientAgreement(response: ""))
        XCTAssertNil(try PermessageDeflate.clientAgreement(response: " , "))
    }

    func testTheClientRejectsAnswersItDidNotAskFor() {
        let rejected = [
            "x-webkit-deflate-frame",
            "permessage-deflate, permessage-deflate",
            "permessage-deflate; foo",
            "permessage-deflate; client_max_window_bits",  // an answer must give the value
            "permessage-deflate; server_max_window_bits=7",
            "permessage-deflate; server_no_context_takeover; server_no_context_takeover",
            "permessage-deflate;",
        ]
        for response in rejected {
            XCTAssertThrowsError(try PermessageDeflate.clientAgreement(response: response), response) { error in
                XCTAssertEqual((error as? PermessageDeflate.InvalidResponse)?.response, response)
            }
        }
    }
}
