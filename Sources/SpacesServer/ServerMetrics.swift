import Prometheus

/// The node's Prometheus metrics, served at `GET /metrics`.
///
/// Counters are bumped once per batch or per event, never per listener per batch.
public final class ServerMetrics: Sendable {
    public let registry: PrometheusCollectorRegistry
    let spacesCreated: Counter
    let spacesEnded: Counter
    let listenersJoined: Counter
    let joinsRefused: Counter
    let framesRelayed: Counter
    let batchesRelayed: Counter
    let invalidPackets: Counter
    let invalidBatches: Counter
    let listeners: Gauge
    let liveSpaces: Gauge
    let droppedBatches: Gauge
    let audioWrites: Gauge

    public init(registry: PrometheusCollectorRegistry = PrometheusCollectorRegistry()) {
        self.registry = registry
        self.spacesCreated = registry.makeCounter(name: "spaces_created_total", help: "Spaces created")
        self.spacesEnded = registry.makeCounter(name: "spaces_ended_total", help: "Spaces ended")
        self.listenersJoined = registry.makeCounter(name: "spaces_listeners_joined_total", help: "Listeners admitted")
        self.joinsRefused = registry.makeCounter(name: "spaces_joins_refused_total", help: "Joins answered with an HTTP error")
        self.framesRelayed = registry.makeCounter(name: "spaces_audio_frames_relayed_total", help: "Opus frames accepted from publishers and relayed")
        self.batchesRelayed = registry.makeCounter(name: "spaces_audio_batches_relayed_total", help: "Batches broadcast")
        self.invalidPackets = registry.makeCounter(name: "spaces_audio_invalid_packets_total", help: "Host packets dropped as invalid Opus")
        self.invalidBatches = registry.makeCounter(name: "spaces_audio_invalid_batches_total", help: "Host batches refused as malformed")
        self.listeners = registry.makeGauge(name: "spaces_listeners", help: "Listeners connected to this node")
        self.liveSpaces = registry.makeGauge(name: "spaces_live", help: "Live Spaces on this node")
        self.droppedBatches = registry.makeGauge(name: "spaces_audio_batches_dropped", help: "Batch writes skipped for slow listeners, since start")
        self.audioWrites = registry.makeGauge(name: "spaces_audio_writes", help: "Batch writes to listeners, since start")
    }
}
