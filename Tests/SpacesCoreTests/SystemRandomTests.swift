import XCTest

@testable import SpacesCore

final class SystemRandomTests: XCTestCase {
    func testItDrawsFromTheWholeRange() {
        var generator = SystemRandom()
        var seen = Set<UInt8>()
        for _ in 0..<4096 { seen.insert(UInt8.random(in: .min ... .max, using: &generator)) }
        // 4,096 fair draws leave a byte value unseen with probability ~256 × e^-16.
        XCTAssertEqual(seen.count, 256)
        XCTAssertNotEqual(generator.next(), generator.next())
    }

    func testConcurrentGeneratorsAreIndependent() async {
        // One generator per task, as `Token.random` and `NodeLoad.choose` make them: 32 tokens
        // made at once are all different.
        let tokens = await withTaskGroup(of: String.self) { group in
            for _ in 0..<32 { group.addTask { Token.random(bytes: 16) } }
            var all: [String] = []
            for await token in group { all.append(token) }
            return all
        }
        XCTAssertEqual(Set(tokens).count, 32)
    }
}
