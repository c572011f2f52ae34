import Configuration
import SpacesCore
import SystemPackage

extension SpacesConfiguration {
    /// Reads every key from `reader`, keeping the built-in default for keys it lacks.
    init(reader: ConfigReader) {
        self.init()
        let d = SpacesConfiguration()
        self.server.bind = reader.string(forKey: "server.bind", default: d.server.bind)
        self.server.port = reader.int(forKey: "server.port", default: d.server.port)
        self.server.hostKey = reader.string(forKey: "server.hostKey", isSecret: true, default: d.server.hostKey)
        self.server.publicURL = reader.string(forKey: "server.publicURL", default: d.server.publicURL)
        self.server.trustedProxies = reader.stringArray(forKey: "server.trustedProxies", default: d.server.trustedProxies)
        self.server.eventLoops = reader.int(forKey: "server.eventLoops", default: d.server.eventLoops)
        self.server.backlog = reader.int(forKey: "server.backlog", default: d.server.backlog)
        self.server.shutdownGraceSeconds = reader.int(forKey: "server.shutdownGraceSeconds", default: d.server.shutdownGraceSeconds)
        self.server.tls.certificate = reader.string(forKey: "server.tls.certificate", default: d.server.tls.certificate)
        self.server.tls.key = reader.string(forKey: "server.tls.key", default: d.server.tls.key)
        self.relay.stateIntervalMs = reader.int(forKey: "relay.stateIntervalMs", default: d.relay.stateIntervalMs)
        self.relay.writesPerSecondPerCore = reader.int(forKey: "relay.writesPerSecondPerCore", default: d.relay.writesPerSecondPerCore)
        self.relay.fanoutShare = reader.double(forKey: "relay.fanoutShare", default: d.relay.fanoutShare)
        self.relay.maxBatchLatencyMs = reader.int(forKey: "relay.maxBatchLatencyMs", default: d.relay.maxBatchLatencyMs)
        self.relay.writesPerSlice = reader.int(forKey: "relay.writesPerSlice", default: d.relay.writesPerSlice)
        self.relay.maxQueuedBatches = reader.int(forKey: "relay.maxQueuedBatches", default: d.relay.maxQueuedBatches)
        self.relay.maxLagMs = reader.int(forKey: "relay.maxLagMs", default: d.relay.maxLagMs)
        self.relay.permessageDeflate = reader.bool(forKey: "relay.permessageDeflate", default: d.relay.permessageDeflate)
        self.admission.joinsPerSecond = reader.int(forKey: "admission.joinsPerSecond", default: d.admission.joinsPerSecond)
        self.admission.joinBurst = reader.int(forKey: "admission.joinBurst", default: d.admission.joinBurst)
        self.admission.waitingRoomSize = reader.int(forKey: "admission.waitingRoomSize", default: d.admission.waitingRoomSize)
        self.admission.resumeGraceSeconds = reader.int(forKey: "admission.resumeGraceSeconds", default: d.admission.resumeGraceSeconds)
        self.admission.ticketSeconds = reader.int(forKey: "admission.ticketSeconds", default: d.admission.ticketSeconds)
        self.admission.retryAfterSeconds = reader.int(forKey: "admission.retryAfterSeconds", default: d.admission.retryAfterSeconds)
        self.admission.positionUpdateSeconds = reader.int(
            forKey: "admission.positionUpdateSeconds", default: d.admission.positionUpdateSeconds
        )
        self.admission.tickMs = reader.int(forKey: "admission.tickMs", default: d.admission.tickMs)
        self.admission.secret = reader.string(forKey: "admission.secret", isSecret: true, default: d.admission.secret)
        self.backpressure.budgetMs = reader.int(forKey: "backpressure.budgetMs", default: d.backpressure.budgetMs)
        self.backpressure.assumedBitrate = reader.int(forKey: "backpressure.assumedBitrate", default: d.backpressure.assumedBitrate)
        self.backpressure.socketSendBufferBytes = reader.int(
            forKey: "backpressure.socketSendBufferBytes", default: d.backpressure.socketSendBufferBytes
        )
        self.backpressure.evictAfterMs = reader.int(forKey: "backpressure.evictAfterMs", default: d.backpressure.evictAfterMs)
        self.cluster.url = reader.string(forKey: "cluster.url", isSecret: true, default: d.cluster.url)
        self.cluster.nodeID = reader.string(forKey: "cluster.nodeID", default: d.cluster.nodeID)
        self.cluster.publicURL = reader.string(forKey: "cluster.publicURL", default: d.cluster.publicURL)
        self.cluster.heartbeatMs = reader.int(forKey: "cluster.heartbeatMs", default: d.cluster.heartbeatMs)
        self.cluster.nodeTTLSeconds = reader.int(forKey: "cluster.nodeTTLSeconds", default: d.cluster.nodeTTLSeconds)
        self.cluster.slotSpare = reader.int(forKey: "cluster.slotSpare", default: d.cluster.slotSpare)
        self.cluster.prefix = reader.string(forKey: "cluster.prefix", default: d.cluster.prefix)
        self.spaces.defaultCapacity = reader.int(forKey: "spaces.defaultCapacity", default: d.spaces.defaultCapacity)
        self.spaces.maxCapacity = reader.int(forKey: "spaces.maxCapacity", default: d.spaces.maxCapacity)
        self.spaces.maxTitleLength = reader.int(forKey: "spaces.maxTitleLength", default: d.spaces.maxTitleLength)
        self.spaces.maxLive = reader.int(forKey: "spaces.maxLive", default: d.spaces.maxLive)
        self.spaces.retainEndedSeconds = reader.int(forKey: "spaces.retainEndedSeconds", default: d.spaces.retainEndedSeconds)
        self.limits.listenerMessageBytes = reader.int(forKey: "limits.listenerMessageBytes", default: d.limits.listenerMessageBytes)
        self.limits.listenerMessagesPerSecond = reader.int(
            forKey: "limits.listenerMessagesPerSecond", default: d.limits.listenerMessagesPerSecond
        )
        self.limits.publishMessageBytes = reader.int(forKey: "limits.publishMessageBytes", default: d.limits.publishMessageBytes)
        self.limits.httpBodyBytes = reader.int(forKey: "limits.httpBodyBytes", default: d.limits.httpBodyBytes)
        self.limits.requestSeconds = reader.int(forKey: "limits.requestSeconds", default: d.limits.requestSeconds)
        self.limits.idleSeconds = reader.int(forKey: "limits.idleSeconds", default: d.limits.idleSeconds)
        self.limits.waitingPingSeconds = reader.int(forKey: "limits.waitingPingSeconds", default: d.limits.waitingPingSeconds)
        self.limits.linePlacesPerAddress = reader.int(forKey: "limits.linePlacesPerAddress", default: d.limits.linePlacesPerAddress)
        self.limits.connectionsPerAddress = reader.int(forKey: "limits.connectionsPerAddress", default: d.limits.connectionsPerAddress)
        self.limits.handshakesPerSecondPerAddress = reader.int(
            forKey: "limits.handshakesPerSecondPerAddress", default: d.limits.handshakesPerSecondPerAddress
        )
        self.limits.handshakeBurstPerAddress = reader.int(forKey: "limits.handshakeBurstPerAddress", default: d.limits.handshakeBurstPerAddress)
        self.limits.nodeListeners = reader.int(forKey: "limits.nodeListeners", default: d.limits.nodeListeners)
        self.limits.maxFramesPerPublishBatch = reader.int(
            forKey: "limits.maxFramesPerPublishBatch", default: d.limits.maxFramesPerPublishBatch
        )
        let c = d.conversation
        self.conversation.questionLength = reader.int(forKey: "conversation.questionLength", default: c.questionLength)
        self.conversation.questionsPerSpace = reader.int(forKey: "conversation.questionsPerSpace", default: c.questionsPerSpace)
        self.conversation.secondsBetweenAsks = reader.int(forKey: "conversation.secondsBetweenAsks", default: c.secondsBetweenAsks)
        self.conversation.upvotesPerSecond = reader.int(forKey: "conversation.upvotesPerSecond", default: c.upvotesPerSecond)
        self.conversation.topQuestions = reader.int(forKey: "conversation.topQuestions", default: c.topQuestions)
        self.conversation.hostQuestions = reader.int(forKey: "conversation.hostQuestions", default: c.hostQuestions)
        self.conversation.questionsIntervalMs = reader.int(forKey: "conversation.questionsIntervalMs", default: c.questionsIntervalMs)
        self.conversation.reactionsIntervalMs = reader.int(forKey: "conversation.reactionsIntervalMs", default: c.reactionsIntervalMs)
        self.conversation.reactions = reader.stringArray(forKey: "conversation.reactions", default: c.reactions)
        self.conversation.reactionsPerSecond = reader.int(forKey: "conversation.reactionsPerSecond", default: c.reactionsPerSecond)
        self.conversation.raisedHands = reader.int(forKey: "conversation.raisedHands", default: c.raisedHands)
        self.conversation.errorsPerMinute = reader.int(forKey: "conversation.errorsPerMinute", default: c.errorsPerMinute)
    }

    /// Loads the configuration: `overrides` (command-line flags) over `SPACES_*` environment
    /// variables over the YAML file over the built-in defaults.
    ///
    /// - Parameter file: a YAML file; when nil, `Config/spaces.yaml` is read if it exists.
    static func load(file: String?, overrides: [AbsoluteConfigKey: ConfigValue] = [:]) async throws -> SpacesConfiguration {
        let environment = KeyMappingProvider(upstream: EnvironmentVariablesProvider()) { key in
            key.prepending(["spaces"])
        }
        let yaml = try await FileProvider<YAMLSnapshot>(
            filePath: FilePath(file ?? "Config/spaces.yaml"),
            allowMissing: file == nil
        )
        let reader = ConfigReader(providers: [
            InMemoryProvider(name: "flags", values: overrides),
            environment,
            yaml,
        ])
        return SpacesConfiguration(reader: reader)
    }
}
