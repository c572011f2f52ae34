import SpacesCore
import XCTest

final class NodeLoadTests: XCTestCase {
    private func node(_ id: String, listeners: Int, freeFiles: Int = 1000) -> NodeLoad {
        NodeLoad(id: id, url: "ws://\(id)", listeners: listeners, freeFiles: freeFiles, fanoutMillisPerSecond: 0, at: 0)
    }

    func testOfTwoTheLighterWins() {
        let nodes = [self.node("a", listeners: 900), self.node("b", listeners: 100)]
        for _ in 0..<50 { XCTAssertEqual(NodeLoad.choose(from: nodes)?.id, "b") }
    }

    func testAFullNodeIsNeverChosen() {
        let nodes = [self.node("a", listeners: 0, freeFiles: 0), self.node("b", listeners: 19_000, freeFiles: 10)]
        for _ in 0..<50 { XCTAssertEqual(NodeLoad.choose(from: nodes)?.id, "b") }
        XCTAssertNil(NodeLoad.choose(from: [self.node("a", listeners: 0, freeFiles: 0)]))
        XCTAssertNil(NodeLoad.choose(from: []))
    }

    func testEntriesSharingAnIdDoNotHangTheChoice() {
        let nodes = [self.node("a", listeners: 5), self.node("a", listeners: 1)]
        for _ in 0..<50 { XCTAssertEqual(NodeLoad.choose(from: nodes)?.listeners, 1) }
    }

    func testTwoChoicesSpreadListenersEvenly() {
        // Place 10,000 listeners on 5 nodes, each choice from the counts as they are.
        var nodes = (0..<5).map { self.node("n\($0)", listeners: 0) }
        for _ in 0..<10_000 {
            let chosen = NodeLoad.choose(from: nodes)!
            nodes[nodes.firstIndex { $0.id == chosen.id }!].listeners += 1
        }
        let counts = nodes.map(\.listeners)
        XCTAssertLessThanOrEqual(counts.max()! - counts.min()!, 200, "within ±1 % of 2,000: \(counts)")
    }
}
