import Foundation
import Logging
import NIOCore
import SpacesCore
import SpacesRedis
import Synchronization

/// The cluster on Redis: the directory in hashes, the nodes' load under expiring keys, each
/// Space's audio on a sharded channel (`SPUBLISH`), directory events on a classic one.
///
/// One pipelining connection for commands and one in subscribe mode. A node subscribes to a
/// Space's audio only while it has listeners of that Space.
final class RedisBroker: Broker {
    /// What the node does with what arrives from the cluster; called on the subscriber's loop.
    struct Handlers: Sendable {
        var audio: @Sendable (_ spaceID: String, _ envelope: ClusterEnvelope) -> Void
        var ended: @Sendable (_ spaceID: String) -> Void
    }

    let nodeID: String
    let keys: ClusterKeys
    let client: RedisClient
    let subscriber: RedisSubscriber
    private let settings: SpacesConfiguration.Cluster
    /// Set once by ``start(handlers:timeout:)``; read by the subscriber's callback.
    private final class Box: Sendable {
        let handlers = Mutex<Handlers?>(nil)
        /// Serialises subscribe/unsubscribe decisions.
        let subscriptions = Mutex<Void>(())
        init() {}
    }
    private let box = Box()
    private let logger: Logger

    /// Writes a new Space's record unless one with its id exists: ids are unique cluster-wide.
    static let registerScript = RedisScript("""
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], unpack(ARGV))
        redis.call('SADD', KEYS[2], ARGV[4])
        return 1
        """)

    /// Renews this node's lease of a Space's capacity, atomically against the others' fresh
    /// leases. ARGV: node, occupied, waiting, spare, capacity, now µs, stale-before µs. Each
    /// entry is "slots,waiting,at". The arithmetic is ``SlotLease/grant(capacity:othersLeased:othersWaiting:)``.
    static let leaseScript = RedisScript("""
        local entries = redis.call('HGETALL', KEYS[1])
        local others, waiting = 0, 0
        for i = 1, #entries, 2 do
          if entries[i] ~= ARGV[1] then
            local slots, line, at = string.match(entries[i + 1], '^(%d+),(%d+),(%d+)$')
            if slots and tonumber(at) >= tonumber(ARGV[7]) then
              others = others + tonumber(slots)
              waiting = waiting + tonumber(line)
            else
              redis.call('HDEL', KEYS[1], entries[i])
            end
          end
        end
        local need, line, spare, capacity = tonumber(ARGV[2]), tonumber(ARGV[3]), tonumber(ARGV[4]), tonumber(ARGV[5])
        if waiting > 0 then spare = 0 end
        local grant = math.max(need, math.min(need + line + spare, capacity - others))
        redis.call('HSET', KEYS[1], ARGV[1], grant .. ',' .. line .. ',' .. ARGV[6])
        return grant
        """)

    init(settings: SpacesConfiguration.Cluster, eventLoop: any EventLoop, logger: Logger) throws {
        var redis = RedisConfiguration(url: try RedisURL(settings.url))
        let nodeID = settings.nodeID.isEmpty ? Token.random(bytes: 6) : settings.nodeID
        guard nodeID.utf8.count <= ClusterEnvelope.maximumOriginLength,
            nodeID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber || $0 == "-" || $0 == "_" || $0 == ".") })
        else {
            throw RedisError.invalidURL("cluster.nodeID must be 1…64 of A–Z a–z 0–9 - _ . (got \"\(nodeID.prefix(80))\")")
        }
        redis.clientName = "spaces-\(nodeID)"
        self.nodeID = nodeID
        self.settings = settings
        self.keys = ClusterKeys(prefix: settings.prefix)
        self.logger = logger
        self.client = RedisClient(configuration: redis, eventLoop: eventLoop, logger: logger)
        let box = self.box
        let keys = self.keys
        let me = nodeID
        self.subscriber = RedisSubscriber(configuration: redis, eventLoop: eventLoop, logger: logger) { message in
            guard let handlers = box.handlers.withLock({ $0 }) else { return }
            if message.channel.sharded, let id = keys.spaceID(ofAudioChannel: message.channel.name) {
                guard let envelope = try? ClusterEnvelope.decode(message.payload), envelope.origin != me else { return }
                handlers.audio(id, envelope)
            } else if message.channel == .classic(keys.events) {
                let text = String(buffer: message.payload)
                if text.hasPrefix("ended "), text.count < 100 { handlers.ended(String(text.dropFirst(6))) }
            }
        }
    }

    /// Connects (waiting up to `timeout` for Redis; a node starts anyway and keeps trying).
    func start(handlers: Handlers, timeout: Duration = .seconds(3)) async {
        self.box.handlers.withLock { $0 = handlers }
        self.subscriber.start()
        self.subscriber.subscribe(.classic(self.keys.events))
        do {
            try await self.client.connect(timeout: timeout)
        } catch {
            self.logger.warning("Redis is not reachable yet; the node keeps trying", metadata: ["redis": "\(self.client.configuration.url)"])
        }
    }

    func stop() async {
        _ = try? await self.client.send(RedisCommand("DEL", .string(self.keys.node(self.nodeID)))).get()
        await self.subscriber.close()
        await self.client.close()
    }

    /// The cluster's token secret: the first node to ask makes it (`SET NX`), every node reads
    /// the same one, so tickets and resume tokens verify on any node.
    func sharedSecret() async throws -> String {
        let key = RedisArgument.string("\(self.keys.prefix):secret")
        _ = try await self.client.send(RedisCommand("SET", key, .string(Token.random(bytes: 32)), "NX")).get()
        guard let secret = try await self.client.send(RedisCommand("GET", key)).get().string, !secret.isEmpty else {
            throw RedisError.unexpectedReply("no cluster secret")
        }
        return secret
    }

    // MARK: Directory

    func register(_ space: LiveSpace, on eventLoop: any EventLoop) -> EventLoopFuture<Void> {
        let arguments = space.record.fields.flatMap { [RedisArgument.string($0.0), .string($0.1)] }
        return self.client.evaluate(Self.registerScript, keys: [.string(self.keys.space(space.id)), .string(self.keys.spaces)], arguments: arguments)
            .hop(to: eventLoop)
            .flatMapThrowing { reply in
                guard reply.integer == 1 else { throw RedisError.unexpectedReply("Space id \(space.id) is taken") }
            }
    }

    func ended(_ space: LiveSpace) {
        let record = space.record
        _ = self.client.send([
            RedisCommand("HSET", .string(self.keys.space(space.id)), "state", .string(record.state.rawValue), "ended", RedisArgument(record.endedMicros)),
            RedisCommand("PUBLISH", .string(self.keys.events), .string("ended \(space.id)")),
        ])
    }

    func record(id: String, on eventLoop: any EventLoop) -> EventLoopFuture<SpaceRecord?> {
        // An id that could not be ours is not worth a round trip.
        guard id.count <= 64, id.allSatisfy({ $0.isLetter || $0.isNumber }) else { return eventLoop.makeSucceededFuture(nil) }
        return self.client.send(RedisCommand("HGETALL", .string(self.keys.space(id)))).hop(to: eventLoop).map(Self.record(from:))
    }

    func records(on eventLoop: any EventLoop) -> EventLoopFuture<[SpaceRecord]> {
        let client = self.client
        let keys = self.keys
        return client.send(RedisCommand("SMEMBERS", .string(keys.spaces))).flatMap { reply in
            let ids = (reply.elements ?? []).compactMap(\.string).prefix(10_000)
            let replies = client.send(ids.map { RedisCommand("HGETALL", .string(keys.space($0))) })
            return EventLoopFuture.whenAllSucceed(replies, on: client.eventLoop)
        }
        .map { replies in replies.compactMap(Self.record(from:)).sorted { $0.createdMicros > $1.createdMicros } }
        .hop(to: eventLoop)
    }

    private static func record(from reply: RESPValue) -> SpaceRecord? {
        guard let elements = reply.elements, !elements.isEmpty, elements.count % 2 == 0 else { return nil }
        var fields: [String: String] = [:]
        for index in stride(from: 0, to: elements.count, by: 2) {
            guard let key = elements[index].string, let value = elements[index + 1].string else { return nil }
            fields[key] = value
        }
        return SpaceRecord(fields: fields)
    }

    func listenerCounts(ids: [String], on eventLoop: any EventLoop) -> EventLoopFuture<[String: Int]> {
        let freshAfter = WallClock.nowMicros() &- UInt64(self.settings.nodeTTLSeconds) * 1_000_000
        let replies = self.client.send(ids.map { RedisCommand("HVALS", .string(self.keys.listeners($0))) })
        return EventLoopFuture.whenAllSucceed(replies, on: self.client.eventLoop).map { replies in
            var counts: [String: Int] = [:]
            for (id, reply) in zip(ids, replies) {
                counts[id] = (reply.elements ?? []).reduce(0) { total, value in
                    // "listeners,at": a dead node's last count is left out once it is stale.
                    let parts = value.string?.split(separator: ",") ?? []
                    guard parts.count == 2, let count = Int(parts[0]), let at = UInt64(parts[1]), at >= freshAfter else { return total }
                    return total.addingReportingOverflow(max(0, count)).overflow ? Int.max : total + max(0, count)
                }
            }
            return counts
        }.hop(to: eventLoop)
    }

    /// Renews this node's lease of `spaceID`'s capacity; the future holds the slots granted.
    func lease(spaceID: String, capacity: Int, _ lease: SlotLease) -> EventLoopFuture<Int> {
        let now = WallClock.nowMicros()
        let stale = now &- UInt64(self.settings.nodeTTLSeconds) * 1_000_000
        return self.client.evaluate(
            Self.leaseScript, keys: [.string(self.keys.slots(spaceID))],
            arguments: [.string(self.nodeID), RedisArgument(lease.need), RedisArgument(lease.waiting), RedisArgument(lease.spare),
                        RedisArgument(capacity), RedisArgument(now), RedisArgument(stale)]
        ).flatMapThrowing { reply in
            guard let granted = reply.integer else { throw RedisError.unexpectedReply("lease: \(reply)") }
            return Int(granted)
        }
    }

    // MARK: Nodes

    /// Writes this node's load, and its listener count of each Space it serves.
    func heartbeat(_ load: NodeLoad, spaces: [(id: String, listeners: Int)]) {
        let ttl = Int64(self.settings.nodeTTLSeconds) * 1000
        var commands = [
            RedisCommand("SET", .string(self.keys.node(self.nodeID)), .string(String(decoding: try! JSONEncoder().encode(load), as: UTF8.self)), "PX", .integer(ttl)),
            RedisCommand("SADD", .string(self.keys.nodes), .string(self.nodeID)),
        ]
        for space in spaces {
            commands.append(RedisCommand("HSET", .string(self.keys.listeners(space.id)), .string(self.nodeID), .string("\(space.listeners),\(load.at)")))
        }
        _ = self.client.send(commands)
    }

    /// The nodes whose heartbeat has not expired; the ids of expired ones are pruned.
    func liveNodes() -> EventLoopFuture<[NodeLoad]> {
        let client = self.client
        let keys = self.keys
        return client.send(RedisCommand("SMEMBERS", .string(keys.nodes))).flatMap { reply in
            let ids = (reply.elements ?? []).compactMap(\.string).prefix(10_000)
            guard !ids.isEmpty else { return client.eventLoop.makeSucceededFuture([]) }
            return client.send(RedisCommand("MGET", ids.map { .string(keys.node($0)) })).map { values in
                var live: [NodeLoad] = []
                var dead: [RedisArgument] = []
                for (id, value) in zip(ids, values.elements ?? []) {
                    if let bytes = value.bytes, let load = try? JSONDecoder().decode(NodeLoad.self, from: Data(bytes.readableBytesView)) {
                        live.append(load)
                    } else {
                        dead.append(.string(id))
                    }
                }
                if !dead.isEmpty { _ = client.send(RedisCommand("SREM", [.string(keys.nodes)] + dead)) }
                return live
            }
        }
    }

    func chooseNode(on eventLoop: any EventLoop) -> EventLoopFuture<NodeLoad?> {
        self.liveNodes().map { NodeLoad.choose(from: $0) }.hop(to: eventLoop)
    }

    // MARK: Audio

    func publish(_ batch: ByteBuffer, space: LiveSpace) {
        var message = ByteBuffer()
        message.reserveCapacity(batch.readableBytes + 3 + self.nodeID.utf8.count)
        ClusterEnvelope(origin: self.nodeID, batch: batch).encode(into: &message)
        // Fire and forget: while Redis is away the other nodes miss this audio (and count it
        // as a gap); this node's own listeners were served already.
        _ = self.client.send(RedisCommand("SPUBLISH", .string(self.keys.audio(space.id)), .bytes(message)))
    }

    func listening(to space: LiveSpace, _ active: Bool) {
        let channel = RedisChannel.sharded(self.keys.audio(space.id))
        // Decided from the count read under the lock, not from `active`: calls from two loops
        // (one listener leaving, another arriving) may come in either order, and the last one
        // must leave the subscription matching the listeners there are.
        self.box.subscriptions.withLock { _ in
            if space.listenerCount > 0 && space.state == .live {
                self.subscriber.subscribe(channel)
            } else {
                self.subscriber.unsubscribe(channel)
            }
        }
    }
}
