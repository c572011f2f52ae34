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
    public var admission = Admission()
    public var backpressure = Backpressure()
    public var conversation = Conversation()
    public var cluster = Cluster()

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
        /// `server.trustedProxies`, default `127.0.0.1` and `::1`: the proxies (addresses or
        /// blocks such as `10.0.0.0/8`) whose `X-Forwarded-For` names the client; nobody else's
        /// header is believed. The address shares (`limits.linePlacesPerAddress`) count the
        /// client so found, so a node behind a proxy does not see everyone as one address.
        public var trustedProxies = ["127.0.0.1", "::1"]
        /// `server.eventLoops`, default 0 = one per core. Each event loop owns one relay shard.
        public var eventLoops = 0
        /// `server.backlog`, default 4096: a join storm arrives faster than accept() runs; a short
        /// backlog would turn it into connection resets instead of answers.
        public var backlog = 4096
        /// `server.shutdownGraceSeconds`, default 10: how long SIGTERM waits for listeners to
        /// receive their close before the node stops anyway.
        public var shutdownGraceSeconds = 10
        /// `server.tls.*`: the node's own TLS, for the API, the page and `wss://`.
        public var tls = TLS()
        public init() {}

        /// `server.tls.certificate` and `server.tls.key`, default empty = plain HTTP and `ws://`
        /// (a TLS proxy in front, or loopback). Both set: PEM files of the certificate chain
        /// (leaf first) and its private key; the node then speaks only TLS on its port, and the
        /// URLs it derives from a request's `Host` are `https://`/`wss://`. A browser gives the
        /// page's audio (WebCodecs, AudioWorklet) only to a secure page off `localhost`.
        public struct TLS: Sendable, Equatable {
            public var certificate = ""
            public var key = ""
            public init() {}
            /// True when the node serves TLS.
            public var enabled: Bool { !self.certificate.isEmpty || !self.key.isEmpty }
        }
    }

    /// The fan-out.
    public struct Relay: Sendable, Equatable {
        /// `relay.stateIntervalMs`, default 1000: `state` events are coalesced to at most one per
        /// interval per Space, so a join storm does not become a message storm.
        public var stateIntervalMs = 1000
        /// `relay.writesPerSecondPerCore`, default 30 000: where each shard's batching starts, the
        /// listener writes per second it allows until it has measured what a write costs on its
        /// loop (then `fanoutShare` rules: see ``BatchTuner``). A write to a loopback socket costs
        /// ~12 µs of the node's CPU on a small core whatever its size (`Bench/scenarios/steady.sh`),
        /// so 30 000 starts at about a third of a core.
        public var writesPerSecondPerCore = 30_000
        /// `relay.fanoutShare`, default 0.35: the share of its event loop's time a shard's fan-out
        /// aims at; batches widen (up to `maxBatchLatencyMs`) so that the measured time per write
        /// × writes per second stays under it, and the rest is left to joins: measured with
        /// `Bench/Commands/Handshakes`, a fan-out of two thirds of the core let handshakes fall
        /// to a third of their idle rate during a broadcast, one third kept two thirds of it.
        public var fanoutShare = 0.35
        /// `relay.maxBatchLatencyMs`, default 1000: the most audio a shard holds back to batch
        /// (50 frames); the latency it adds is what every listener of that shard hears.
        public var maxBatchLatencyMs = 1000
        /// `relay.writesPerSlice`, default 256: a shard writes to at most this many listeners
        /// before yielding its event loop, so accepts and handshakes are served during a big
        /// fan-out (~2 ms of work per slice; a handshake needs a few turns of the loop). A shard
        /// whose deliveries start late takes longer slices, up to 8 times this, until it keeps up
        /// (the audience's audio before newcomers' answers).
        public var writesPerSlice = 256
        /// `relay.permessageDeflate`, default true: listeners that offer permessage-deflate
        /// (RFC 7692, as browsers do) get the shared text updates (`questions`, `reactions`)
        /// compressed, each compressed once for all of them (`state`, a few dozen bytes, is not). A `questions` update
        /// shrinks to about 0.43 of its size for ~20 µs of one core per update
        /// (`Bench/Benchmarks/Deflate`): at 10,000 listeners that saves ~11 MB of writes per
        /// update. Audio is never compressed (Opus does not shrink).
        public var permessageDeflate = true
        /// `relay.maxQueuedBatches`, default 64: batches a shard queues while it is behind; past
        /// this the oldest audio is dropped (the shard is overloaded, not a listener).
        public var maxQueuedBatches = 64
        /// `relay.maxLagMs`, default 3000: audio that reached a shard longer ago than this (by
        /// the node's own clock, never another node's capture time) when the shard
        /// comes to send it is shed (the listeners count a gap) instead of sent late. A shard
        /// falls behind when its node is short of CPU (a join storm on a shared machine); the
        /// batches it queued meanwhile would keep every listener of the shard that far behind
        /// live until the node caught up. The shard's own batching holds audio back up to
        /// `maxBatchLatencyMs`, so this is at least that plus 500 ms; 0 turns it off.
        public var maxLagMs = 3000
        /// The lag past which audio is shed, in µs (nil: never).
        public var maxLagMicros: UInt64? {
            self.maxLagMs <= 0 ? nil : UInt64(max(self.maxLagMs, self.maxBatchLatencyMs + 500)) * 1000
        }
        public init() {}
    }

    /// Who gets in, and the line for the rest.
    public struct Admission: Sendable, Equatable {
        /// `admission.joinsPerSecond`, default 2000: new admissions per second on the node. Each
        /// admission costs a welcome and a place in the fan-out; a storm is let in at this pace
        /// while the others wait in line with an honest position.
        public var joinsPerSecond = 2000
        /// `admission.joinBurst`, default 2000: admissions allowed at once above the rate.
        public var joinBurst = 2000
        /// `admission.waitingRoomSize`, default 20 000 per Space: each waiting connection costs a
        /// socket and a position update every 2 s; past this, joins get 503 and a ticket.
        public var waitingRoomSize = 20_000
        /// `admission.resumeGraceSeconds`, default 30: how long a dropped listener's slot is kept
        /// for it to come back with `?resume=` (a phone changing networks).
        public var resumeGraceSeconds = 30
        /// `admission.ticketSeconds`, default 3600: how long a 503 ticket keeps its place.
        public var ticketSeconds = 3600
        /// `admission.retryAfterSeconds`, default 30: the `Retry-After` of a 503.
        public var retryAfterSeconds = 30
        /// `admission.positionUpdateSeconds`, default 2: least time between two `waiting`
        /// updates to one connection.
        public var positionUpdateSeconds = 2
        /// `admission.tickMs`, default 200: how often the line moves (admissions from the head,
        /// expired holds, position updates).
        public var tickMs = 200
        /// `admission.secret`: signs tickets and resume tokens. Empty means random at start
        /// (tokens then die with the process); nodes of one cluster share one.
        public var secret = ""
        public init() {}
    }

    /// What a slow listener may cost: a budget of unsent audio, then eviction.
    public struct Backpressure: Sendable, Equatable {
        /// `backpressure.budgetMs`, default 2000: unsent audio a listener may have queued before
        /// its batches are dropped instead.
        public var budgetMs = 2000
        /// `backpressure.assumedBitrate`, default 64 000 bit/s: turns the budget into the write
        /// buffer's watermarks (high = budget at this rate, low = half).
        public var assumedBitrate = 64_000
        /// `backpressure.socketSendBufferBytes`, default 8192 (the kernel doubles it): a large
        /// kernel buffer would hide seconds of audio from the budget.
        public var socketSendBufferBytes = 8192
        /// `backpressure.evictAfterMs`, default 10 000: a listener over budget this long is closed
        /// with 4008 too_slow.
        public var evictAfterMs = 10_000
        public init() {}

        /// The write buffer's high watermark in bytes.
        public var highWatermark: Int { max(4096, self.budgetMs * self.assumedBitrate / 8 / 1000) }
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
        /// `limits.listenerMessagesPerSecond`, default 20 (burst 40): what a listener may send,
        /// pings included. A person clicks; a flood is a client bug or an attack, closed with 1008.
        public var listenerMessagesPerSecond = 20
        /// `limits.publishMessageBytes`, default 65 536: one batch of 255 frames at 64 kbit/s is
        /// ~41 KB; more than this is not a live voice.
        public var publishMessageBytes = 65_536
        /// `limits.httpBodyBytes`, default 16 384: API bodies are a title and two numbers. A
        /// request that declares more is answered 413 and closed before any of it is read.
        public var httpBodyBytes = 16_384
        /// `limits.requestSeconds`, default 10: a connection's request (head and body, or the
        /// WebSocket upgrade) must be complete this long after the connection opened or the
        /// previous answer was sent. Else it is closed: a client that sends half a request
        /// and waits must not hold one of the node's files for ever.
        public var requestSeconds = 10
        /// `limits.idleSeconds`, default 30: an HTTP keep-alive connection with no request under
        /// way is closed after this long idle (it is then waiting for `requestSeconds` anyway;
        /// this is the longer grace a browser's idle keep-alive gets).
        public var idleSeconds = 30
        /// `limits.waitingPingSeconds`, default 15: a connection in the waiting room is pinged
        /// this often and closed when nothing was heard from it in the interval after a ping (two
        /// intervals after it was last heard, at most). A client
        /// whose network went away must not keep its place in line (and a file) for ever;
        /// browsers and the shipped clients answer pings by themselves.
        public var waitingPingSeconds = 15
        /// `limits.linePlacesPerAddress`, default 500: places in one Space's line (on this node)
        /// that one source address (an IPv4 address, an IPv6 /64) may hold; past it that address
        /// gets 503 `address_share` and `Retry-After`, no ticket. A venue behind one NAT rarely
        /// has more than a few hundred people joining the same Space in the same minute, while one machine can
        /// open tens of thousands of sockets: without a share, it takes every place (measured:
        /// 3,000 sockets from one address took all 2,990 places of a line). Admitted listeners
        /// are not limited by it. 0 turns it off (a rehearsal from one machine).
        public var linePlacesPerAddress = 500
        /// `limits.connectionsPerAddress`, default 4 000: connections one source address (an
        /// IPv4 address, an IPv6 /64) may hold open on a node; past it a new one is closed at
        /// once, before anything is read. The node may open 20 000 files at most here: one
        /// machine holding them all silences every Space on it (measured: 20,000 silent sockets
        /// did). A venue behind one NAT needs one connection per person listening; a few
        /// thousand is a large hall. Trusted proxies are not counted. 0 turns it off.
        public var connectionsPerAddress = 4_000
        /// `limits.handshakesPerSecondPerAddress`, default 50, with a burst of
        /// `limits.handshakeBurstPerAddress`, default 500: listen handshakes (WebSocket upgrades)
        /// one source address (an IPv4 address, an IPv6 /64) may start on a node; past it 429
        /// `rate_limited` and `Retry-After`, before anything else is checked. A handshake costs
        /// the node ~130 µs of CPU (`Bench/Commands/Handshakes`), so one machine that can open
        /// thousands a second would spend the whole join budget; 50/s is under 1 % of a node's.
        /// The burst lets a venue behind one NAT join at once when the Space starts (the same
        /// 500 as its share of the line), and resume together when a node dies. Trusted proxies
        /// are not counted; the client they name is. 0 turns it off.
        public var handshakesPerSecondPerAddress = 50
        public var handshakeBurstPerAddress = 500
        /// `limits.nodeListeners`, default 100 000: the listener slots of one node; past it joins
        /// wait in line (file descriptors and memory, not CPU, bind this first).
        public var nodeListeners = 100_000
        /// `limits.maxFramesPerPublishBatch`, default 50 (1 s of 20 ms frames): a host batching
        /// more adds latency every listener hears.
        public var maxFramesPerPublishBatch = 50
        public init() {}
    }

    /// Questions, raised hands and reactions: what listeners may send, and how often everyone
    /// is told.
    public struct Conversation: Sendable, Equatable {
        /// `conversation.questionLength`, default 280 characters after trimming: one question
        /// and its context; the top 10 still fit a phone screen and a snapshot stays a few KB.
        public var questionLength = 280
        /// `conversation.questionsPerSpace`, default 500: more than a host takes in one session.
        /// Past it the answered or dismissed question with the fewest votes is forgotten; open
        /// ones never are, so when only those remain an ask is refused (`queue_full`).
        public var questionsPerSpace = 500
        /// `conversation.secondsBetweenAsks`, default 30 per listener: one open question at a
        /// time anyway; this stops withdraw-and-ask cycles churning what everyone is sent.
        public var secondsBetweenAsks = 30
        /// `conversation.upvotesPerSecond`, default 5 per listener (burst 10): faster than anyone
        /// reads, and each vote may change the snapshot sent to every listener.
        public var upvotesPerSecond = 5
        /// `conversation.topQuestions`, default 10: open questions sent to every listener (what
        /// fits a phone screen); the rest is a count.
        public var topQuestions = 10
        /// `conversation.hostQuestions`, default 100: open questions in the host's view.
        public var hostQuestions = 100
        /// `conversation.questionsIntervalMs`, default 500: at most two `questions` updates per
        /// second per Space, and only when it changed. One update goes to every listener, so
        /// this bounds what a busy queue costs the node whatever the vote rate.
        public var questionsIntervalMs = 500
        /// `conversation.reactionsIntervalMs`, default 1000: reaction counts are drained and
        /// sent at most once a second per Space, never one message per reaction.
        public var reactionsIntervalMs = 1000
        /// `conversation.reactions`, default 👏 ❤️ 😂 🔥 👍 🙏: a fixed short set keeps each
        /// counts message small and gives nobody a way to write to everyone.
        public var reactions = ["👏", "❤️", "😂", "🔥", "👍", "🙏"]
        /// `conversation.reactionsPerSecond`, default 5 per listener (burst 10).
        public var reactionsPerSecond = 5
        /// `conversation.raisedHands`, default 1000 per Space: far more than a host looks
        /// through; past it a raise is refused (`hands_full`).
        public var raisedHands = 1000
        /// `conversation.errorsPerMinute`, default 30 per listener: refused messages (bad JSON,
        /// unknown type, over-long text, …) a client may cause before it is closed with 1008.
        /// Rate-limited actions do not count: the client is told when to retry and stays.
        public var errorsPerMinute = 30
        public init() {}

        /// The question queue's settings. Here and below, a setting out of range is taken as
        /// the nearest workable value (a rate of at least 1, sizes of at least 1 or 0), so that
        /// no value an operator writes can stop the node.
        public var questionQueue: QuestionQueue.Configuration {
            var queue = QuestionQueue.Configuration()
            queue.maximumTextLength = max(1, self.questionLength)
            queue.capacity = max(1, self.questionsPerSpace)
            queue.asksPerSecond = 1 / Double(max(1, self.secondsBetweenAsks))
            queue.askBurst = 1
            queue.upvotesPerSecond = Double(max(1, self.upvotesPerSecond))
            queue.upvoteBurst = Double(max(1, self.upvotesPerSecond) * 2)
            queue.snapshotSize = max(0, self.topQuestions)
            return queue
        }

        public var reactionTally: ReactionTally.Configuration {
            var tally = ReactionTally.Configuration()
            tally.allowed = self.reactions
            tally.reactionsPerSecond = Double(max(1, self.reactionsPerSecond))
            tally.reactionBurst = Double(max(1, self.reactionsPerSecond) * 2)
            return tally
        }

        public var handQueue: HandQueue.Configuration {
            var hands = HandQueue.Configuration()
            hands.capacity = max(0, self.raisedHands)
            return hands
        }

        /// Open questions in the host's view, at least 0.
        public var hostQuestionCount: Int { max(0, self.hostQuestions) }
    }

    /// Several nodes serving the same Spaces, through Redis (`spaces serve --cluster URL`).
    public struct Cluster: Sendable, Equatable {
        /// `cluster.url`, default empty: the node is on its own (embedded, no Redis needed).
        /// `redis://[[user]:password@]host[:port][/db]` joins the cluster that Redis holds.
        public var url = ""
        /// `cluster.nodeID`, default empty = a random id at each start. A node's listeners and
        /// its load in Redis are filed under it; two nodes must never share one.
        public var nodeID = ""
        /// `cluster.publicURL`, default empty = `server.publicURL`, else `ws://bind:port`: where
        /// other nodes send listeners to this one (the `listenURL` of `GET /v1/spaces/{id}`).
        public var publicURL = ""
        /// `cluster.heartbeatMs`, default 1000: how often the node writes its load to Redis.
        public var heartbeatMs = 1000
        /// `cluster.nodeTTLSeconds`, default 5: a node whose heartbeat is older is dead and is
        /// left out of `listenURL` choices; five missed beats ride out a pause, not a crash.
        public var nodeTTLSeconds = 5
        /// `cluster.slotSpare`, default 16: free slots of each Space a node keeps leased, so a
        /// join is admitted at once rather than at the next lease renewal (every
        /// `admission.tickMs`). The cost: near capacity, up to this many slots per node sit in
        /// other nodes' hands while a line waits here. This is the floor: in a join storm a node
        /// asks for twice its arrivals since its last sync (``SlotLease/spare(configured:arrivalsLastSync:joinsPerSync:)``).
        /// Also the most a node admits past what it occupies while Redis does not answer.
        public var slotSpare = 16
        /// `cluster.prefix`, default `spaces`: the first part of every key and channel, so that
        /// one Redis can hold several clusters.
        public var prefix = "spaces"
        public init() {}

        public var isEnabled: Bool { !self.url.isEmpty }
    }
}
