import Prometheus
import SpacesCore

/// The node's Prometheus metrics, served at `GET /metrics`.
///
/// Counters are bumped once per batch, per shard or per event, never per listener per batch.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let spacesCreated: Counter
    let spacesEnded: Counter
    let handshakes: Counter
    let admittedFresh: Counter
    let admittedResumed: Counter
    let refusedWaitingRoomFull: Counter
    let refusedOther: Counter
    let refusedAddressShare: Counter
    let refusedRateLimited: Counter
    let connectionsRefused: Counter
    let evictions: Counter
    let framesRelayed: Counter
    let batchesRelayed: Counter
    let invalidPackets: Counter
    let invalidBatches: Counter
    let listeners: Gauge
    let waiting: Gauge
    let liveSpaces: Gauge
    let droppedBatches: Gauge
    let shedBatches: Gauge
    let audioWrites: Gauge
    let framesPerWrite: Gauge
    let fanoutWriteMicros: Gauge
    let relayLag: Gauge
    let staleBatches: Gauge
    let fanoutTime: DurationHistogram
    let relayWait: DurationHistogram
    let conversationAccepted: Counter
    let conversationRefused: Counter
    let conversationRateLimited: Counter
    let questionsUpdates: Counter
    let reactionsUpdates: Counter

    public enum Refusal {
        case waitingRoomFull
        case addressShare
        case rateLimited
        case other

        /// The refusal an HTTP answer to a listen or publish request counts as.
        init(_ kind: APIError.Kind) {
            switch kind {
            case .waitingRoomFull: self = .waitingRoomFull
            case .addressShare: self = .addressShare
            case .rateLimited: self = .rateLimited
            default: self = .other
            }
        }
    }

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.spacesCreated = registry.makeCounter(name: "spaces_created_total", help: "Spaces created")
        self.spacesEnded = registry.makeCounter(name: "spaces_ended_total", help: "Spaces ended")
        self.handshakes = registry.makeCounter(name: "spaces_websocket_handshakes_total", help: "WebSocket upgrades completed")
        self.admittedFresh = registry.makeCounter(name: "spaces_admitted_total", labels: [("kind", "fresh")], help: "Listeners admitted")
        self.admittedResumed = registry.makeCounter(name: "spaces_admitted_total", labels: [("kind", "resumed")], help: "Listeners admitted")
        self.refusedWaitingRoomFull = registry.makeCounter(
            name: "spaces_joins_refused_total", labels: [("reason", "waiting_room_full")], help: "Joins refused"
        )
        self.refusedOther = registry.makeCounter(name: "spaces_joins_refused_total", labels: [("reason", "other")], help: "Joins refused")
        self.refusedAddressShare = registry.makeCounter(
            name: "spaces_joins_refused_total", labels: [("reason", "address_share")], help: "Joins refused"
        )
        self.refusedRateLimited = registry.makeCounter(
            name: "spaces_joins_refused_total", labels: [("reason", "rate_limited")], help: "Joins refused"
        )
        self.connectionsRefused = registry.makeCounter(
            name: "spaces_connections_refused_total", help: "Connections closed on accept: their address held limits.connectionsPerAddress"
        )
        self.evictions = registry.makeCounter(name: "spaces_listeners_evicted_total", help: "Listeners closed with 4008 too_slow")
        self.framesRelayed = registry.makeCounter(name: "spaces_audio_frames_relayed_total", help: "Opus frames accepted from publishers and relayed")
        self.batchesRelayed = registry.makeCounter(name: "spaces_audio_batches_relayed_total", help: "Batches received from publishers and relayed")
        self.invalidPackets = registry.makeCounter(name: "spaces_audio_invalid_packets_total", help: "Host packets dropped as invalid Opus")
        self.invalidBatches = registry.makeCounter(name: "spaces_audio_invalid_batches_total", help: "Host batches refused as malformed")
        self.listeners = registry.makeGauge(name: "spaces_listeners", help: "Listeners in the fan-out on this node")
        self.waiting = registry.makeGauge(name: "spaces_waiting", help: "Connections in waiting rooms on this node")
        self.liveSpaces = registry.makeGauge(name: "spaces_live", help: "Live Spaces on this node")
        self.droppedBatches = registry.makeGauge(name: "spaces_audio_batches_dropped", help: "Batch writes skipped for listeners over budget, since start")
        self.shedBatches = registry.makeGauge(name: "spaces_audio_batches_shed", help: "Batches dropped whole by overloaded shards, since start")
        self.audioWrites = registry.makeGauge(name: "spaces_audio_writes", help: "Batch writes to listeners, since start")
        self.framesPerWrite = registry.makeGauge(name: "spaces_frames_per_write", help: "Largest current frames per write across shards (adaptive batching)")
        self.fanoutWriteMicros = registry.makeGauge(
            name: "spaces_fanout_write_microseconds", help: "Largest measured time per listener write across shards, what their batching follows"
        )
        self.relayLag = registry.makeGauge(
            name: "spaces_relay_lag_ms", help: "Largest lag across shards: how long the batch each began to send last had waited there"
        )
        self.staleBatches = registry.makeGauge(
            name: "spaces_audio_batches_stale", help: "Batches shed by shards because their audio was older than relay.maxLagMs, since start"
        )
        self.conversationAccepted = registry.makeCounter(
            name: "spaces_conversation_messages_total", labels: [("outcome", "accepted")], help: "Listener questions, upvotes, hands and reactions"
        )
        self.conversationRefused = registry.makeCounter(
            name: "spaces_conversation_messages_total", labels: [("outcome", "refused")], help: "Listener questions, upvotes, hands and reactions"
        )
        self.conversationRateLimited = registry.makeCounter(
            name: "spaces_conversation_messages_total", labels: [("outcome", "rate_limited")], help: "Listener questions, upvotes, hands and reactions"
        )
        self.questionsUpdates = registry.makeCounter(
            name: "spaces_conversation_updates_total", labels: [("kind", "questions")], help: "Shared updates fanned out (one per Space, not per listener)"
        )
        self.reactionsUpdates = registry.makeCounter(
            name: "spaces_conversation_updates_total", labels: [("kind", "reactions")], help: "Shared updates fanned out (one per Space, not per listener)"
        )
        self.fanoutTime = registry.makeDurationHistogram(
            name: "spaces_fanout_seconds",
            buckets: [
                .microseconds(100), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50),
                .milliseconds(100), .milliseconds(500), .seconds(1),
            ],
            help: "Time from a batch's first write on a shard to its last"
        )
        self.relayWait = registry.makeDurationHistogram(
            name: "spaces_relay_wait_seconds",
            buckets: [
                .microseconds(100), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10), .milliseconds(20), .milliseconds(50),
                .milliseconds(100), .milliseconds(500), .seconds(1), .seconds(3),
            ],
            help: "Time from a batch's audio reaching a shard to its first write (with the frames held back to batch them)"
        )
    }

    func refused(_ reason: Refusal) {
        switch reason {
        case .waitingRoomFull: self.refusedWaitingRoomFull.increment()
        case .addressShare: self.refusedAddressShare.increment()
        case .rateLimited: self.refusedRateLimited.increment()
        case .other: self.refusedOther.increment()
        }
    }

    func admitted(resumed: Bool) {
        (resumed ? self.admittedResumed : self.admittedFresh).increment()
    }
}
