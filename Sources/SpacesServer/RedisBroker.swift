import Foundation
import Logging
import NIOCore
import SpacesCore
import SpacesRedis
import NIOConcurrencyHelpers

/// The cluster on Redis: the directory in hashes, the nodes' load under expiring keys, each
/// Space's audio on a sharded channel (`SPUBLISH`), directory events on a classic one.
///
/// One pipelining connection for commands and one in subscribe mode. A node subscribes to a
/// Space's audio only while it has listeners of that Space.
final class RedisBroker: Broker {
    /// What the node does with what arrives from the cluster; called on the subscriber's loop.
    struct Handlers: Sendable {
        var audio: @Sendable (_ spaceID: String, _ envelope: ClusterEnvelope) -> Void
        /// A broadcast from the channel, or the Space's stored views fetched when its channel is
        /// followed (again); both go through the same version filter.
        var conversation: @Sendable (_ spaceID: String, _ broadcast: ConversationBroadcast) -> Void
        /// The subscriber reconnected: Redis may have restarted without its data and count
        /// versions from 0 again, so what was delivered before must not hold newer views back.
        var resync: @Sendable (_ spaceID: String) -> Void
        var ended: @Sendable (_ spaceID: String) -> Void
    }

    let nodeID: String
    let keys: ClusterKeys
    let client: RedisClient
    let subscriber: RedisSubscriber
    private let settings: SpacesConfiguration.Cluster
    /// `spaces.retainEndedSeconds`: how long an ended Space's keys stay in Redis.
    private let retainEndedSeconds: Int
    /// Set once by ``start(handlers:timeout:)``; read by the subscriber's callback.
    private final class Box: Sendable {
        let handlers = NIOLockedValueBox<Handlers?>(nil)
        /// The Spaces whose channel this node follows; serialises subscribe/unsubscribe decisions.
        let subscriptions = NIOLockedValueBox<Set<String>>([])
        init() {}
    }
    private let box = Box()
    /// Live nodes' URLs as of the last heartbeat, for ``failoverNodes``.
    private let known = NIOLockedValueBox<[String]?>(nil)
    let logger: Logger

    /// Writes a new Space's record unless one with its id exists: ids are unique cluster-wide.
    static let registerScript = RedisScript("""
        if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
        redis.call('HSET', KEYS[1], unpack(ARGV))
        redis.call('SADD', KEYS[2], ARGV[4])
        return 1
        """)

    /// One lease entry: "granted,occupied,waiting,at µs,epoch,admissions per second".
    private static let entryPattern = "'^(%d+),(%d+),(%d+),(%d+),(%d+),([%d%.]+)$'"

    /// Syncs this node's part of a Space's one line and renews its lease, atomically against
    /// the other nodes (``LineSync`` in, ``LineView`` out; the arithmetic is ``SlotLease``).
    /// KEYS: slots, line, held, moved-from-this-node. ARGV: node, occupied, waiting, spare,
    /// capacity, now, stale-before, reserve-before, epoch, rate, line size, reset, then counts
    /// and lists of adds (connection, arrival), removes, holds (listener, until), releases and
    /// ranks (connection, index here). A stale node's line is dropped; its occupied slots stay
    /// reserved for its listeners to resume elsewhere until reserve-before, then go.
    static let syncScript = RedisScript("""
        local node, pattern = ARGV[1], \(entryPattern)
        local prefix = node .. '/'
        local function forget(owner)
          local p = owner .. '/'
          for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, -1)) do
            if string.sub(m, 1, #p) == p then redis.call('ZREM', KEYS[2], m) end
          end
        end
        local stale, reserveBefore = tonumber(ARGV[7]), tonumber(ARGV[8])
        local othersLeased, othersOccupied, othersRate, live = 0, 0, 0, 1
        local entries = redis.call('HGETALL', KEYS[1])
        for i = 1, #entries, 2 do
          local owner = entries[i]
          if owner ~= node then
            local g, o, w, at, e, r = string.match(entries[i + 1], pattern)
            if not g then
              redis.call('HDEL', KEYS[1], owner)
            elseif tonumber(at) >= stale then
              othersLeased = othersLeased + tonumber(g)
              othersOccupied = othersOccupied + tonumber(o)
              othersRate = othersRate + tonumber(r)
              live = live + 1
            else
              if tonumber(w) > 0 then forget(owner) end
              if tonumber(at) < reserveBefore then
                redis.call('HDEL', KEYS[1], owner)
              else
                othersLeased = othersLeased + tonumber(o)
                othersOccupied = othersOccupied + tonumber(o)
                if tonumber(w) > 0 then redis.call('HSET', KEYS[1], owner, o .. ',' .. o .. ',0,' .. at .. ',' .. e .. ',0') end
              end
            end
          end
        end
        if ARGV[12] == '1' then forget(node) end
        local nAdd, nRemove, nHold, nRelease, nRank = tonumber(ARGV[13]), tonumber(ARGV[14]), tonumber(ARGV[15]), tonumber(ARGV[16]), tonumber(ARGV[17])
        local at = 18
        local adds = at; at = at + 2 * nAdd
        for i = 0, nRemove - 1 do redis.call('ZREM', KEYS[2], prefix .. ARGV[at + i]) end
        at = at + nRemove
        for i = 0, nHold - 1 do redis.call('HSET', KEYS[3], ARGV[at + 2 * i], ARGV[at + 2 * i + 1] .. ',' .. node) end
        if nHold > 0 then redis.call('PEXPIRE', KEYS[3], 86400000) end
        at = at + 2 * nHold
        for i = 0, nRelease - 1 do redis.call('HDEL', KEYS[3], ARGV[at + i]) end
        at = at + nRelease
        local size, count, refused = tonumber(ARGV[11]), redis.call('ZCARD', KEYS[2]), {}
        for i = 0, nAdd - 1 do
          if count < size then
            count = count + redis.call('ZADD', KEYS[2], ARGV[adds + 2 * i + 1], prefix .. ARGV[adds + 2 * i])
          else
            refused[#refused + 1] = ARGV[adds + 2 * i]
          end
        end
        local mine = math.max(0, tonumber(ARGV[3]) - #refused)
        local need, capacity = tonumber(ARGV[2]), tonumber(ARGV[5])
        local free, first = math.max(0, capacity - othersOccupied - need), 0
        if free >= count then
          -- Room for the whole line: all of this node's people are among the first.
          first = mine
        elseif free > 0 then
          for _, m in ipairs(redis.call('ZRANGE', KEYS[2], 0, math.min(free, 4096) - 1)) do
            if string.sub(m, 1, #prefix) == prefix then first = first + 1 end
          end
        end
        local spare = math.min(tonumber(ARGV[4]), math.floor(math.max(0, capacity - othersLeased - need - count) / live))
        local grant = math.max(need, math.min(need + first + spare, capacity - othersLeased))
        redis.call('HSET', KEYS[1], node, grant .. ',' .. need .. ',' .. mine .. ',' .. ARGV[6] .. ',' .. ARGV[9] .. ',' .. ARGV[10])
        redis.call('PEXPIRE', KEYS[1], 86400000)
        if count > 0 then redis.call('PEXPIRE', KEYS[2], 86400000) end
        local ahead = {}
        for i = 0, nRank - 1 do
          local rank = redis.call('ZRANK', KEYS[2], prefix .. ARGV[at + 2 * i])
          if rank then
            ahead[#ahead + 1] = ARGV[at + 2 * i]
            ahead[#ahead + 1] = math.max(0, rank - tonumber(ARGV[at + 2 * i + 1]))
          end
        end
        local moved = redis.call('SMEMBERS', KEYS[4])
        if #moved > 0 then redis.call('DEL', KEYS[4]) end
        return {grant, math.max(0, count - mine), math.floor(othersRate * 1000), refused, ahead, moved}
        """)

    /// Moves a listener's slot to this node when it resumes here from another: a slot its node
    /// holds for it (the node is alive; it learns at its next sync), or one of a dead node's
    /// reserved slots (each listener once). KEYS: slots, held, resumed, the moved sets' name
    /// without the node. ARGV: node, listener
    /// id, its epoch, now, stale-before, reserve-before, this node's epoch, grace ms.
    /// 1: moved here; 0: no slot to move (an ordinary arrival); -1: its node is alive and holds
    /// no slot for it yet (the old socket is not closed there): try again shortly.
    static let claimScript = RedisScript("""
        local node, pattern = ARGV[1], \(entryPattern)
        local function take(owner, entry)
          local g, o, w, at, e, r = string.match(entry, pattern)
          local left = math.max(0, tonumber(o) - 1)
          redis.call('HSET', KEYS[1], owner, math.max(0, tonumber(g) - 1) .. ',' .. left .. ',' .. w .. ',' .. at .. ',' .. e .. ',' .. r)
          local mg, mo, mw, mat, me, mr = '0', '0', '0', ARGV[4], ARGV[7], '0'
          local mine = redis.call('HGET', KEYS[1], node)
          if mine then
            local a, b, c, d, f, h = string.match(mine, pattern)
            if a then mg, mo, mw, mat, me, mr = a, b, c, d, f, h end
          end
          redis.call('HSET', KEYS[1], node, (tonumber(mg) + 1) .. ',' .. (tonumber(mo) + 1) .. ',' .. mw .. ',' .. mat .. ',' .. me .. ',' .. mr)
        end
        local held = redis.call('HGET', KEYS[2], ARGV[2])
        if held then
          local untilMicros, owner = string.match(held, '^(%d+),(.+)$')
          redis.call('HDEL', KEYS[2], ARGV[2])
          if owner and owner ~= node and tonumber(untilMicros) > tonumber(ARGV[4]) then
            local entry = redis.call('HGET', KEYS[1], owner)
            if entry and string.match(entry, pattern) then
              take(owner, entry)
              redis.call('SADD', KEYS[4] .. owner, ARGV[2])
              redis.call('PEXPIRE', KEYS[4] .. owner, 86400000)
              return 1
            end
          end
          return 0
        end
        local entries = redis.call('HGETALL', KEYS[1])
        for i = 1, #entries, 2 do
          local g, o, w, at, e, r = string.match(entries[i + 1], pattern)
          if g and e == ARGV[3] and entries[i] ~= node then
            if tonumber(at) >= tonumber(ARGV[5]) then return -1 end
            if tonumber(at) < tonumber(ARGV[6]) or tonumber(o) < 1 then return 0 end
            if redis.call('SADD', KEYS[3], ARGV[2]) == 0 then return 0 end
            redis.call('PEXPIRE', KEYS[3], ARGV[8])
            take(entries[i], entries[i + 1])
            return 1
          end
        end
        return 0
        """)

    /// An ended Space's keys: every key of the Space expires after `ARGV[1]` seconds (the
    /// directory answers `ended` until then, as a single node keeps an ended Space for
    /// `spaces.retainEndedSeconds`), the voters of its still-open questions included; the line,
    /// the leases, the held slots and the nodes' `moved` sets serve nobody and go at once. `LT`:
    /// a key that already expires sooner (`:resumed`) keeps its sooner end. KEYS[1]: the
    /// Space's record key, every other key's prefix (one hash tag).
    static let endScript = RedisScript("""
        local base, ttl = KEYS[1], ARGV[1]
        local open = redis.call('ZRANGE', base .. ':ranking', 0, -1)
        local onair = redis.call('HGET', base .. ':conversation', 'onair')
        if onair then table.insert(open, onair) end
        for _, id in ipairs(open) do redis.call('EXPIRE', base .. ':questions:' .. id .. ':voters', ttl) end
        for _, suffix in ipairs({'', ':listeners', ':conversation', ':questions', ':ranking', ':askers', ':finished',
                                 ':hands', ':closed', ':reactions', ':view', ':resumed'}) do
          redis.call('EXPIRE', base .. suffix, ttl, 'LT')
        end
        for _, node in ipairs(redis.call('HKEYS', base .. ':slots')) do redis.call('UNLINK', base .. ':moved:' .. node) end
        redis.call('UNLINK', base .. ':line', base .. ':slots', base .. ':held')
        return 1
        """)

    init(settings: SpacesConfiguration.Cluster, eventLoop: any EventLoop, logger: Logger, retainEndedSeconds: Int = 3600) throws {
        self.retainEndedSeconds = max(1, retainEndedSeconds)
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
            guard let handlers = box.handlers.withLockedValue({ $0 }) else { return }
            if message.channel.sharded, let id = keys.spaceID(ofAudioChannel: message.channel.name) {
                guard let envelope = try? ClusterEnvelope.decode(message.payload) else { return }
                switch envelope.kind {
                case .audio where envelope.origin != me:
                    handlers.audio(id, envelope)
                case .conversation:
                    guard let broadcast = ConversationBroadcast.decode(envelope.payload.readableBytesView) else { return }
                    handlers.conversation(id, broadcast)
                case .audio:
                    break
                }
            } else if message.channel == .classic(keys.events) {
                let text = String(buffer: message.payload)
                if text.hasPrefix("ended "), text.count < 100 { handlers.ended(String(text.dropFirst(6))) }
            }
        }
    }

    /// Connects (waiting up to `timeout` for Redis; a node starts anyway and keeps trying).
    func start(handlers: Handlers, timeout: Duration = .seconds(3)) async {
        self.box.handlers.withLockedValue { $0 = handlers }
        self.subscriber.onConnectionChange { [weak self] up in
            guard up, let self else { return }
            let handlers = self.box.handlers.withLockedValue { $0 }
            for id in self.box.subscriptions.withLockedValue({ $0 }) {
                handlers?.resync(id)
                self.catchUp(id)
                // An `ended` published while the subscriber was away was not heard: the record
                // says. (A record that is gone, as after Redis lost its data, ends nothing.)
                self.record(id: id, on: self.client.eventLoop).whenSuccess { record in
                    if record?.state == .ended { handlers?.ended(id) }
                }
            }
        }
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
        // The handlers hold the node's registry, which holds this broker.
        self.box.handlers.withLockedValue { $0 = nil }
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
        // Then gone from Redis after the retention, its conversation included (the directory's
        // set forgets the id when a listing finds the record gone).
        _ = self.client.evaluate(
            Self.endScript, keys: [.string(self.keys.space(space.id))], arguments: [RedisArgument(self.retainEndedSeconds)]
        )
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
            return EventLoopFuture.whenAllSucceed(replies, on: client.eventLoop).map { replies in
                // An id whose record expired (an ended Space past its retention) leaves the set.
                let gone = zip(ids, replies).filter { $0.1.elements?.isEmpty ?? false }.map { RedisArgument.string($0.0) }
                if !gone.isEmpty { _ = client.send(RedisCommand("SREM", [.string(keys.spaces)] + gone)) }
                return replies.compactMap(Self.record(from:)).sorted { $0.createdMicros > $1.createdMicros }
            }
        }
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

    /// Syncs this node's part of `spaceID`'s line and renews its lease (``syncScript``).
    func sync(spaceID: String, capacity: Int, lineSize: Int, epoch: UInt32, graceSeconds: Int, _ sync: LineSync) -> EventLoopFuture<LineView> {
        let now = WallClock.nowMicros()
        let stale = now &- UInt64(self.settings.nodeTTLSeconds) * 1_000_000
        let reserveBefore = stale &- UInt64(max(0, graceSeconds)) * 1_000_000
        let adds = sync.changes.addedInOrder
        let holds = sync.changes.held.sorted { $0.key < $1.key }
        var arguments: [RedisArgument] = [
            .string(self.nodeID), RedisArgument(sync.occupied), RedisArgument(sync.waiting), RedisArgument(sync.spare),
            RedisArgument(capacity), RedisArgument(now), RedisArgument(stale), RedisArgument(reserveBefore),
            .string(String(epoch)), .string(String(format: "%.3f", max(0, sync.admissionsPerSecond))), RedisArgument(lineSize),
            .string(sync.reset ? "1" : "0"),
            RedisArgument(adds.count), RedisArgument(sync.changes.removed.count), RedisArgument(holds.count),
            RedisArgument(sync.changes.released.count), RedisArgument(sync.ranks.count),
        ]
        arguments.reserveCapacity(arguments.count + 2 * adds.count + sync.changes.removed.count + 2 * holds.count + sync.changes.released.count + 2 * sync.ranks.count)
        for add in adds { arguments += [RedisArgument(add.connection), RedisArgument(add.arrivalMicros)] }
        for connection in sync.changes.removed { arguments.append(RedisArgument(connection)) }
        for (listener, until) in holds { arguments += [RedisArgument(listener), RedisArgument(until)] }
        for listener in sync.changes.released { arguments.append(RedisArgument(listener)) }
        for rank in sync.ranks { arguments += [RedisArgument(rank.connection), RedisArgument(rank.index)] }
        let keys: [RedisArgument] = [
            .string(self.keys.slots(spaceID)), .string(self.keys.line(spaceID)), .string(self.keys.held(spaceID)),
            .string(self.keys.moved(spaceID, node: self.nodeID)),
        ]
        return self.client.evaluate(Self.syncScript, keys: keys, arguments: arguments).flatMapThrowing { reply in
            guard let parts = reply.elements, parts.count == 6, let granted = parts[0].integer, let othersWaiting = parts[1].integer,
                let rate = parts[2].integer
            else { throw RedisError.unexpectedReply("line sync: \(reply)") }
            let number: (RESPValue) -> UInt64? = { $0.string.flatMap { UInt64($0) } }
            var ahead: [UInt64: Int] = [:]
            let pairs = parts[4].elements ?? []
            for index in stride(from: 0, to: pairs.count - 1, by: 2) {
                if let connection = number(pairs[index]), let others = pairs[index + 1].integer { ahead[connection] = Int(others) }
            }
            return LineView(
                granted: Int(granted), othersWaiting: Int(othersWaiting), othersAdmissionsPerSecond: Double(rate) / 1000,
                othersAhead: ahead, refused: (parts[3].elements ?? []).compactMap(number),
                movedAway: (parts[5].elements ?? []).compactMap(number)
            )
        }
    }

    /// What ``claimScript`` found for a listener resuming here from another node.
    enum Claim: Sendable, Equatable {
        /// Its slot moved here: it is held here for it now.
        case moved
        /// No slot to move: it joins as an ordinary arrival.
        case none
        /// Its node is alive and has not released it yet: ask again shortly.
        case notYet
    }

    /// Moves `listenerID`'s slot from the node that held it to this one (``claimScript``).
    func claim(spaceID: String, listenerID: UInt64, epoch: UInt32, graceSeconds: Int) -> EventLoopFuture<Claim> {
        let now = WallClock.nowMicros()
        let stale = now &- UInt64(self.settings.nodeTTLSeconds) * 1_000_000
        let reserveBefore = stale &- UInt64(max(0, graceSeconds)) * 1_000_000
        let keys: [RedisArgument] = [
            .string(self.keys.slots(spaceID)), .string(self.keys.held(spaceID)), .string(self.keys.resumed(spaceID)),
            .string(self.keys.moved(spaceID, node: "")),
        ]
        let arguments: [RedisArgument] = [
            .string(self.nodeID), RedisArgument(listenerID), .string(String(listenerID >> 32)), RedisArgument(now),
            RedisArgument(stale), RedisArgument(reserveBefore), .string(String(epoch)), RedisArgument(max(1, graceSeconds) * 2000),
        ]
        return self.client.evaluate(Self.claimScript, keys: keys, arguments: arguments).flatMapThrowing { reply in
            switch reply.integer {
            case 1: .moved
            case 0: .none
            case -1: .notYet
            default: throw RedisError.unexpectedReply("claim: \(reply)")
            }
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

    var failoverNodes: [String]? { self.known.withLockedValue { $0 } }

    /// Reads the live nodes again for ``failoverNodes`` (each heartbeat).
    func refreshNodes() {
        self.liveNodes().whenSuccess { nodes in
            let urls = Array(nodes.map(\.url).shuffled().prefix(8))
            self.known.withLockedValue { $0 = urls.isEmpty ? nil : urls }
        }
    }

    func liveNodes(on eventLoop: any EventLoop) -> EventLoopFuture<[NodeLoad]> {
        self.liveNodes().hop(to: eventLoop)
    }

    // MARK: Audio

    func publish(_ batch: ByteBuffer, space: LiveSpace) {
        var message = ByteBuffer()
        message.reserveCapacity(batch.readableBytes + 3 + self.nodeID.utf8.count)
        ClusterEnvelope(.audio, origin: self.nodeID, payload: batch).encode(into: &message)
        // Fire and forget: while Redis is away the other nodes miss this audio (and count it
        // as a gap); this node's own listeners were served already.
        _ = self.client.send(RedisCommand("SPUBLISH", .string(self.keys.audio(space.id)), .bytes(message)))
    }

    /// Once the Space's channel is followed (again), its latest shared views (the queue so far)
    /// are fetched and delivered like a broadcast; later changes come on the channel. After a
    /// reconnection this also makes up for what was published while the subscriber was away.
    private func catchUp(_ id: String) {
        let box = self.box
        self.subscriber.subscribe(.sharded(self.keys.audio(id))).flatMap { self.latestView(spaceID: id) }.whenSuccess { view in
            // A node that stopped following the Space meanwhile must not keep what may go stale.
            guard let view, box.subscriptions.withLockedValue({ $0.contains(id) }), let handlers = box.handlers.withLockedValue({ $0 }) else { return }
            handlers.conversation(id, view)
        }
    }

    func listening(to space: LiveSpace, _ active: Bool) {
        let channel = RedisChannel.sharded(self.keys.audio(space.id))
        // Decided from the count read under the lock, not from `active`: calls from two loops
        // (one listener leaving, another arriving) may come in either order, and the last one
        // must leave the subscription matching the listeners there are.
        self.box.subscriptions.withLockedValue { subscribed in
            let wanted = (space.listenerCount > 0 || space.hasPublisher) && space.state == .live
            if wanted {
                guard subscribed.insert(space.id).inserted else { return }
                self.catchUp(space.id)
            } else {
                guard subscribed.remove(space.id) != nil else { return }
                self.subscriber.unsubscribe(channel)
                space.conversation.forgetShared()
            }
        }
    }
}
