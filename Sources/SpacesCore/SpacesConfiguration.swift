/// Every setting of a Spaces node with its default and the reason for it.
///
/// `Config/spaces.yaml` documents the same keys; the `spaces` command reads that file, then
/// `SPACES_*` environment variables, then its flags (later wins). Loading lives apart from this
/// struct (`SpacesConfiguration+ConfigReader.swift` in the command), so tests build it directly.
public struct SpacesConfiguration: Sendable, Equatable {
    public var server = Server()
    public var relay = Relay()
    public var spaces = Spaces()
    public var limits = Limits()

    public init() {}

    /// Where the node listens and who may create Spaces.
    public struct Server: Sendable, Equatable {
        /// `server.bind`, default `127.0.0.1`: a fresh node is reachable from this machine only
        /// until its operator chooses to expose it.
        public var bind = "127.0.0.1"
        /// `server.port`, default 8080. 0 picks a free port (tests, the demo).
        public var port = 8080
        /// `server.hostKey`: the bearer key that may create and end Spaces. Empty means a random
        /// key is made at start and printed once.
        public var hostKey = ""
        /// `server.publicURL`: the base URL put in `listenURL`/`publishURL` (e.g.
        /// `wss://spaces.example.org`). Empty means derived from the request's `Host` header.
        public var publicURL = ""
        /// `server.eventLoops`, default 0 = one per core. Each event loop owns one relay shard.
        public var eventLoops = 0
        /// `server.backlog`, default 4096: a join storm arrives faster than accept() runs; a short
        /// backlog would turn it into connection resets instead of answers.
        public var backlog = 4096
        /// `server.shutdownGraceSeconds`, default 10: how long SIGTERM waits for listeners to
        /// receive their close before the node stops anyway.
        public var shutdownGraceSeconds = 10
        public init() {}
    }

    /// The fan-out.
    public struct Relay: Sendable, Equatable {
        /// `relay.stateIntervalMs`, default 1000: `state` events are coalesced to at most one per
        /// interval per Space, so a join storm does not become a message storm.
        public var stateIntervalMs = 1000
        public init() {}
    }

    /// Space creation.
    public struct Spaces: Sendable, Equatable {
        /// `spaces.defaultCapacity`, default 10 000 listeners when the request names none.
        public var defaultCapacity = 10_000
        /// `spaces.maxCapacity`, default 1 000 000: the largest capacity a request may ask.
        public var maxCapacity = 1_000_000
        /// `spaces.maxTitleLength`, default 200 characters: titles are shown on small screens
        /// and sent in every `welcome`.
        public var maxTitleLength = 200
        /// `spaces.maxLive`, default 1000 live Spaces per node: each holds a publisher and a
        /// timer; more than this is a misuse, not an audience.
        public var maxLive = 1000
        /// `spaces.retainEndedSeconds`, default 3600: an ended Space still answers 410 (not 404)
        /// for this long, so late listeners learn it ended.
        public var retainEndedSeconds = 3600
        public init() {}
    }

    /// Sizes of what peers may send.
    public struct Limits: Sendable, Equatable {
        /// `limits.listenerMessageBytes`, default 4096: listeners send small JSON; a larger message
        /// is closed with 1009 before it can pin memory.
        public var listenerMessageBytes = 4096
        /// `limits.publishMessageBytes`, default 65 536: one batch of 255 frames at 64 kbit/s is
        /// ~41 KB; more than this is not a live voice.
        public var publishMessageBytes = 65_536
        /// `limits.httpBodyBytes`, default 16 384: API bodies are a title and two numbers.
        public var httpBodyBytes = 16_384
        /// `limits.nodeListeners`, default 100 000: the listeners one node holds before it answers
        /// 503 `server_full` (file descriptors and memory, not CPU, bind this first).
        public var nodeListeners = 100_000
        /// `limits.maxFramesPerPublishBatch`, default 50 (1 s of 20 ms frames): a host batching
        /// more adds latency every listener hears.
        public var maxFramesPerPublishBatch = 50
        public init() {}
    }
}
