/// What a node tells the cluster about itself in each heartbeat (JSON under its key, which
/// expires after `cluster.nodeTTLSeconds`: a node that stops beating drops out by itself).
public struct NodeLoad: Codable, Sendable, Equatable {
    public var id: String
    /// Where listeners reach it, `ws://` or `wss://`.
    public var url: String
    /// Listeners in its fan-out, all Spaces together.
    public var listeners: Int
    /// Open files it may still use (sockets are files): the hard ceiling of its headroom.
    public var freeFiles: Int
    /// Fan-out time per second of wall time, per shard at most 1000 ms: how busy its relay is.
    public var fanoutMillisPerSecond: Int
    /// Unix µs of this beat.
    public var at: UInt64

    public init(id: String, url: String, listeners: Int, freeFiles: Int, fanoutMillisPerSecond: Int, at: UInt64) {
        self.id = id
        self.url = url
        self.listeners = listeners
        self.freeFiles = freeFiles
        self.fanoutMillisPerSecond = fanoutMillisPerSecond
        self.at = at
    }

    /// Whether it can take another listener at all.
    public var hasRoom: Bool { self.freeFiles > 0 }

    /// "Two random choices, the lighter wins": two nodes drawn at random among those with
    /// room, and the one with fewer listeners gets the next listener. It spreads load almost as
    /// well as asking every node for the least loaded, without every node herding onto the same
    /// one between two heartbeats.
    public static func choose<G: RandomNumberGenerator>(from nodes: [NodeLoad], using generator: inout G) -> NodeLoad? {
        let candidates = nodes.filter(\.hasRoom)
        guard !candidates.isEmpty else { return nil }
        guard candidates.count > 1 else { return candidates[0] }
        // Two different entries, drawn by index (entries may even share an id).
        let i = Int.random(in: 0..<candidates.count, using: &generator)
        var j = Int.random(in: 0..<(candidates.count - 1), using: &generator)
        if j >= i { j += 1 }
        let first = candidates[i]
        let second = candidates[j]
        if first.listeners != second.listeners { return first.listeners < second.listeners ? first : second }
        return first.fanoutMillisPerSecond <= second.fanoutMillisPerSecond ? first : second
    }

    public static func choose(from nodes: [NodeLoad]) -> NodeLoad? {
        var generator = SystemRandom()
        return Self.choose(from: nodes, using: &generator)
    }
}
