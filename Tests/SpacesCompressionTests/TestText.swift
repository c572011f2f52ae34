/// Deterministic inputs for the compression tests.
enum TestText {
    private static let words = [
        "when", "will", "the", "next", "episode", "about", "audio", "codecs", "come", "out", "and", "could", "you",
        "explain", "why", "opus", "beats", "mp3", "at", "low", "bitrates", "for", "speech", "latency", "listeners",
    ]

    /// A JSON-like text of exactly `bytes` UTF-8 bytes (ASCII), the kind of event a Space sends.
    static func json(bytes: Int) -> String {
        var generator = SplitMix64(seed: UInt64(bytes))
        var text = #"{"type":"questions","top":["#
        var id = 0
        while text.utf8.count < bytes {
            let question = (0..<12).map { _ in Self.words[Int(generator.next() % UInt64(Self.words.count))] }.joined(separator: " ")
            text += #"{"id":"q\#(id)","text":"\#(question)?","votes":\#(generator.next() % 500)},"#
            id += 1
        }
        return String(text.utf8.prefix(bytes))!
    }
}

/// A seeded generator, so that a failing size fails the same way every run.
struct SplitMix64: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed
    }

    mutating func next() -> UInt64 {
        self.state &+= 0x9E37_79B9_7F4A_7C15
        var z = self.state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}
