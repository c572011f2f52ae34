import XCTest

@testable import SpacesCore

final class WelcomeTemplateTests: XCTestCase {
    func testTheTextIsTheEncodersForEveryShape() {
        let awkward = "Ünïcödé \"quoted\" \\ / 🎙 \n\t\r\u{08}\u{0C}\u{01}\u{1F}"
        let spaces = [SpaceSummary(id: "a1", title: "Town hall"), SpaceSummary(id: "x", title: awkward)]
        let tokens: [String?] = [nil, "AAEC.bG9uZw", awkward]
        let nodeLists: [[String]?] = [nil, [], ["ws://127.0.0.1:8080", "wss://b.example/x?y=\"z\""], [awkward]]
        for space in spaces {
            for channels in [1, 2] {
                let template = WelcomeTemplate(space: space, codec: Codec(channels: channels))
                for token in tokens {
                    for nodes in nodeLists {
                        for listener in ["1gfx032fwlm9t", "", awkward] {
                            let expected = ServerEvent.welcome(.init(
                                space: space, codec: Codec(channels: channels), listenerId: listener, resumeToken: token, nodes: nodes
                            )).json()
                            XCTAssertEqual(template.json(listenerId: listener, resumeToken: token, nodes: nodes), expected)
                        }
                    }
                }
            }
        }
    }
}
