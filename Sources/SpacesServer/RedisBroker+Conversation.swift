import NIOCore
import SpacesCore
import SpacesRedis

/// A clustered Space's conversation in Redis: every decision one script call, atomic against
/// every node (docs/PROTOCOL.md §15 lists the keys).
extension RedisBroker {
    /// Applies one conversation operation (ARGV[1]) to a Space's keys, or refuses it with
    /// `{0, code, argument}` (``QuestionQueueError/init(code:argument:)``).
    ///
    /// KEYS: conversation, questions, ranking, askers, finished, hands, closed, reactions, leader.
    /// Listener ids are decimal strings throughout; question records are ``StoredQuestion``s.
    /// Operations and their ARGV:
    /// - `ask` listener, text, now, capacity → {1, id}
    /// - `upvote` listener, id / `withdraw` listener, id → {1, id}
    /// - `raise` listener, now, capacity → {1, position}; `lower` listener → {1, lowered 0/1};
    ///   `invite` listener, shown id → {1, 1}
    /// - `pick` / `answer` / `dismiss` / `pin` / `unpin` id → {1, id, record, …} (what changed)
    /// - `standing` listener → {1, {id, record, rank} or {}, hand position or 0}
    /// - `view` node, lease ms, last rev, last hands, take reactions 0/1, hands shown, read 0/1:
    ///   {1} (another node leads), {1, rev, hands} (nothing new), or {1, rev, hands, ids,
    ///   records, on-air id, on-air record, closed ids, closed records, hands with scores, hands
    ///   in all, reactions}. A `read` is anyone's, takes no lease and consumes nothing.
    static let conversationScript = RedisScript("""
        local op = ARGV[1]
        local PIN = 1099511627776
        local function get(id)
          local r = redis.call('HGET', KEYS[2], id)
          if not r then return nil end
          local s, p, a, t, v, text = string.match(r, '^([%a_]+)|([01])|(%d+)|(%d+)|(%d+)|(.*)$')
          if not s then return nil end
          return {id = id, state = s, pinned = p, asker = a, at = t, votes = tonumber(v), text = text}
        end
        local function put(q)
          local r = q.state .. '|' .. q.pinned .. '|' .. q.asker .. '|' .. q.at .. '|' .. string.format('%d', q.votes) .. '|' .. q.text
          redis.call('HSET', KEYS[2], q.id, r)
          return r
        end
        local function score(q)
          return -(q.votes + (q.pinned == '1' and PIN or 0))
        end
        local function changed() redis.call('HINCRBY', KEYS[1], 'rev', 1) end
        local function voters(id) return KEYS[2] .. ':' .. id .. ':voters' end
        local function outstanding(q) return q.state == 'open' or q.state == 'on_air' end
        local function notOpen(q) return {0, 'not_open', q.id .. ',' .. q.state} end
        local function release(q)
          if redis.call('HGET', KEYS[1], 'onair') == q.id then redis.call('HDEL', KEYS[1], 'onair') end
          if redis.call('HGET', KEYS[4], q.asker) == q.id then redis.call('HDEL', KEYS[4], q.asker) end
          redis.call('ZREM', KEYS[3], q.id)
          redis.call('DEL', voters(q.id))
        end
        local function finish(q, state)
          q.state = state
          q.pinned = '0'
          release(q)
          redis.call('ZADD', KEYS[5], q.votes, q.id)
          redis.call('RPUSH', KEYS[7], q.id)
          redis.call('LTRIM', KEYS[7], -1000, -1)
          return put(q)
        end
        local function forget(q)
          release(q)
          redis.call('HDEL', KEYS[2], q.id)
          redis.call('ZREM', KEYS[5], q.id)
        end

        if op == 'ask' then
          local lid, text, now, capacity = ARGV[2], ARGV[3], ARGV[4], tonumber(ARGV[5])
          local open = redis.call('HGET', KEYS[4], lid)
          if open then return {0, 'one_open_question', open} end
          if redis.call('HLEN', KEYS[2]) >= capacity then
            local victim = redis.call('ZRANGE', KEYS[5], 0, 0)[1]
            if not victim then return {0, 'queue_full', tostring(capacity)} end
            local q = get(victim)
            if q then forget(q) else redis.call('ZREM', KEYS[5], victim); redis.call('HDEL', KEYS[2], victim) end
          end
          local id = string.format('q%09d', redis.call('HINCRBY', KEYS[1], 'seq', 1))
          put({id = id, state = 'open', pinned = '0', asker = lid, at = now, votes = 0, text = text})
          redis.call('HSET', KEYS[4], lid, id)
          redis.call('ZADD', KEYS[3], 0, id)
          changed()
          return {1, id}
        elseif op == 'upvote' then
          local lid, id = ARGV[2], ARGV[3]
          local q = get(id)
          if not q then return {0, 'no_such_question', id} end
          if not outstanding(q) then return notOpen(q) end
          if q.asker == lid then return {0, 'own_question', id} end
          if redis.call('SADD', voters(id), lid) == 0 then return {0, 'already_voted', id} end
          q.votes = q.votes + 1
          put(q)
          if q.state == 'open' then redis.call('ZADD', KEYS[3], score(q), id) end
          changed()
          return {1, id}
        elseif op == 'withdraw' then
          local lid, id = ARGV[2], ARGV[3]
          local q = get(id)
          if not q then return {0, 'no_such_question', id} end
          if q.asker ~= lid then return {0, 'not_yours', id} end
          if q.state ~= 'open' then return notOpen(q) end
          forget(q)
          changed()
          return {1, id}
        elseif op == 'raise' then
          local lid, now, capacity = ARGV[2], ARGV[3], tonumber(ARGV[4])
          local rank = redis.call('ZRANK', KEYS[6], lid)
          if rank then return {1, rank + 1} end
          if redis.call('ZCARD', KEYS[6]) >= capacity then return {0, 'hands_full', tostring(capacity)} end
          redis.call('ZADD', KEYS[6], now, lid)
          redis.call('HINCRBY', KEYS[1], 'hands', 1)
          return {1, redis.call('ZRANK', KEYS[6], lid) + 1}
        elseif op == 'lower' or op == 'invite' then
          if redis.call('ZREM', KEYS[6], ARGV[2]) == 0 then
            if op == 'invite' then return {0, 'hand_not_raised', ARGV[3]} end
            return {1, 0}
          end
          redis.call('HINCRBY', KEYS[1], 'hands', 1)
          return {1, 1}
        elseif op == 'pick' or op == 'answer' or op == 'dismiss' or op == 'pin' or op == 'unpin' then
          local q = get(ARGV[2])
          if not q then return {0, 'no_such_question', ARGV[2]} end
          if op == 'pick' then
            if q.state == 'on_air' then return {1} end
            if q.state ~= 'open' then return notOpen(q) end
            local out = {1}
            local previous = redis.call('HGET', KEYS[1], 'onair')
            local p = previous and get(previous)
            if p then
              local r = finish(p, 'answered')
              table.insert(out, p.id)
              table.insert(out, r)
            end
            q.state = 'on_air'
            q.pinned = '0'
            redis.call('ZREM', KEYS[3], q.id)
            redis.call('HSET', KEYS[1], 'onair', q.id)
            table.insert(out, q.id)
            table.insert(out, put(q))
            changed()
            return out
          elseif op == 'answer' or op == 'dismiss' then
            if not outstanding(q) then return notOpen(q) end
            local r = finish(q, op == 'answer' and 'answered' or 'dismissed')
            changed()
            return {1, q.id, r}
          else
            if q.state ~= 'open' then return notOpen(q) end
            local want = op == 'pin' and '1' or '0'
            if q.pinned ~= want then
              q.pinned = want
              redis.call('ZADD', KEYS[3], score(q), q.id)
              changed()
            end
            return {1, q.id, put(q)}
          end
        elseif op == 'standing' then
          local lid = ARGV[2]
          local own = {}
          local id = redis.call('HGET', KEYS[4], lid)
          local record = id and redis.call('HGET', KEYS[2], id)
          if record then
            local rank = redis.call('ZRANK', KEYS[3], id)
            own = {id, record, rank and rank + 1 or 0}
          end
          local hand = redis.call('ZRANK', KEYS[6], lid)
          return {1, own, hand and hand + 1 or 0}
        elseif op == 'view' then
          local node, read = ARGV[2], ARGV[8] == '1'
          if not read then
            local holder = redis.call('GET', KEYS[9])
            if holder and holder ~= node then return {1} end
            redis.call('SET', KEYS[9], node, 'PX', ARGV[3])
          end
          local rev = redis.call('HGET', KEYS[1], 'rev') or '0'
          local hv = redis.call('HGET', KEYS[1], 'hands') or '0'
          local closed, reactions = {}, {}
          if not read then
            closed = redis.call('LRANGE', KEYS[7], 0, -1)
            redis.call('DEL', KEYS[7])
            if ARGV[6] == '1' then
              reactions = redis.call('HGETALL', KEYS[8])
              redis.call('DEL', KEYS[8])
            end
            if rev == ARGV[4] and hv == ARGV[5] and #closed == 0 and #reactions == 0 then return {1, rev, hv} end
          end
          local ids = redis.call('ZRANGE', KEYS[3], 0, -1)
          local records = {}
          for i, id in ipairs(ids) do records[i] = redis.call('HGET', KEYS[2], id) or '' end
          local onair = redis.call('HGET', KEYS[1], 'onair') or ''
          local onairRecord = onair ~= '' and redis.call('HGET', KEYS[2], onair) or ''
          local closedRecords = {}
          for i, id in ipairs(closed) do closedRecords[i] = redis.call('HGET', KEYS[2], id) or '' end
          local hands = redis.call('ZRANGE', KEYS[6], 0, tonumber(ARGV[7]) - 1, 'WITHSCORES')
          return {1, rev, hv, ids, records, onair, onairRecord, closed, closedRecords, hands, redis.call('ZCARD', KEYS[6]), reactions}
        end
        return redis.error_reply('unknown conversation operation')
        """)

    private func conversationKeys(_ spaceID: String) -> [RedisArgument] {
        [
            self.keys.conversation(spaceID), self.keys.questions(spaceID), self.keys.ranking(spaceID), self.keys.askers(spaceID),
            self.keys.finished(spaceID), self.keys.hands(spaceID), self.keys.closed(spaceID), self.keys.reactions(spaceID),
            self.keys.leader(spaceID),
        ].map { .string($0) }
    }

    /// Runs one operation; a refusal fails the future with its ``QuestionQueueError``, Redis
    /// being away with ``QuestionQueueError/unavailable``.
    private func converse(_ spaceID: String, _ arguments: [RedisArgument]) -> EventLoopFuture<[RESPValue]> {
        self.client.evaluate(Self.conversationScript, keys: self.conversationKeys(spaceID), arguments: arguments)
            .flatMapErrorThrowing { error in
                self.logger.debug("conversation script failed", metadata: ["space": "\(spaceID)", "error": "\(error)"])
                throw QuestionQueueError.unavailable
            }
            .flatMapThrowing { reply in
                guard let elements = reply.elements, let status = elements.first?.integer else { throw QuestionQueueError.unavailable }
                guard status == 1 else {
                    let code = elements.count > 1 ? elements[1].string ?? "" : ""
                    let argument = elements.count > 2 ? elements[2].string ?? "" : ""
                    throw QuestionQueueError(code: code, argument: argument) ?? .unavailable
                }
                return Array(elements.dropFirst())
            }
    }

    func listenerAction(_ event: ClientEvent, listenerID: UInt64, spaceID: String, settings: SpacesConfiguration.Conversation) -> EventLoopFuture<ServerEvent?> {
        let listener = RedisArgument.string(String(listenerID))
        let now = RedisArgument(WallClock.nowMicros())
        switch event {
        case .ask(let text):
            return self.converse(spaceID, ["ask", listener, .string(text), now, RedisArgument(settings.questionQueue.capacity)]).map { reply in
                .asked(.init(id: reply.first?.string ?? ""))
            }
        case .upvote(let id):
            return self.converse(spaceID, ["upvote", listener, .string(id)]).map { _ in .upvoted(.init(id: id)) }
        case .withdraw(let id):
            return self.converse(spaceID, ["withdraw", listener, .string(id)]).map { _ in .withdrawn(.init(id: id)) }
        case .hand(raised: true):
            return self.converse(spaceID, ["raise", listener, now, RedisArgument(settings.handQueue.capacity)]).map { reply in
                .hand(.init(raised: true, position: Int(reply.first?.integer ?? 0)))
            }
        case .hand(raised: false):
            return self.converse(spaceID, ["lower", listener]).map { _ in .hand(.init(raised: false, position: nil)) }
        case .ping, .react:
            // Answered on the node: a ping by the connection, a reaction by the local tally.
            return self.client.eventLoop.makeSucceededFuture(nil)
        }
    }

    func hostAction(_ action: HostAction, spaceID: String) -> EventLoopFuture<Conversation.Outcome> {
        let applied = ServerEvent.Applied(action: action.name, target: action.target)
        if case .invite(let shown) = action {
            guard let listenerID = UInt64(shown, radix: 36) else {
                return self.client.eventLoop.makeFailedFuture(QuestionQueueError.handNotRaised(listenerID: shown))
            }
            return self.converse(spaceID, ["invite", .string(String(listenerID)), .string(shown)]).map { _ in
                self.broadcast(ConversationBroadcast(invited: [listenerID]), spaceID: spaceID)
                return Conversation.Outcome(applied: applied, questions: [], invited: listenerID)
            }
        }
        return self.converse(spaceID, [.string(action.name), .string(action.target)]).map { reply in
            var changed: [Question] = []
            var index = 0
            while index + 1 < reply.count {
                if let id = reply[index].string, let record = reply[index + 1].string,
                    let question = StoredQuestion.decode(id: id, record: record[...])
                {
                    changed.append(question)
                }
                index += 2
            }
            return Conversation.Outcome(applied: applied, questions: changed, invited: nil)
        }
    }

    /// What a resumed listener should know of its own part: its question, its hand.
    func standing(of listenerID: UInt64, spaceID: String) -> EventLoopFuture<[ServerEvent]> {
        self.converse(spaceID, ["standing", .string(String(listenerID))]).map { reply in
            var events: [ServerEvent] = []
            if let own = reply.first?.elements, own.count == 3, let id = own[0].string, let record = own[1].string,
                let question = StoredQuestion.decode(id: id, record: record[...])
            {
                let rank = Int(own[2].integer ?? 0)
                events.append(.question(.init(id: id, state: question.state.rawValue, rank: rank > 0 ? rank : nil, votes: question.votes)))
            }
            if reply.count > 1, let position = reply[1].integer, position > 0 {
                events.append(.hand(.init(raised: true, position: Int(position))))
            }
            return events
        }
    }

    /// Adds this node's reaction counts to the Space's (fire and forget: a lost flush loses
    /// one interval's counts, which are only a show of applause).
    func addReactions(_ counts: [String: Int], spaceID: String) {
        let key = RedisArgument.string(self.keys.reactions(spaceID))
        _ = self.client.send(counts.map { RedisCommand("HINCRBY", key, .string($0.key), RedisArgument($0.value)) })
    }

    /// The conversation's state for the digest: as leader (`lead`, taking or renewing the lease
    /// and consuming what was closed and reacted), or a plain read. Nil: another node leads, or
    /// nothing changed since `revision`/`handsVersion`.
    func conversationState(
        spaceID: String, lead: Bool, revision: UInt64?, handsVersion: UInt64?, takeReactions: Bool, leaseMillis: Int
    ) -> EventLoopFuture<ConversationDigest.Input?> {
        let arguments: [RedisArgument] = [
            "view", .string(self.nodeID), RedisArgument(leaseMillis), .string(revision.map(String.init) ?? "-"),
            .string(handsVersion.map(String.init) ?? "-"), takeReactions ? "1" : "0", RedisArgument(Conversation.handsShown), lead ? "0" : "1",
        ]
        return self.converse(spaceID, arguments).flatMapThrowing { reply in
            guard reply.count >= 11 else { return nil }
            func questions(_ ids: RESPValue, _ records: RESPValue) -> [Question] {
                zip(ids.elements ?? [], records.elements ?? []).compactMap { id, record in
                    guard let id = id.string, let record = record.string else { return nil }
                    return StoredQuestion.decode(id: id, record: record[...])
                }
            }
            var input = ConversationDigest.Input(revision: UInt64(reply[0].string ?? "") ?? 0, handsVersion: UInt64(reply[1].string ?? "") ?? 0)
            input.open = questions(reply[2], reply[3])
            if let id = reply[4].string, !id.isEmpty, let record = reply[5].string {
                input.onAir = StoredQuestion.decode(id: id, record: record[...])
            }
            input.closed = questions(reply[6], reply[7])
            let hands = reply[8].elements ?? []
            input.hands = stride(from: 0, to: hands.count - 1, by: 2).compactMap { index in
                guard let listener = hands[index].string.flatMap({ UInt64($0) }), let at = hands[index + 1].string.flatMap({ Double($0) }) else {
                    return nil
                }
                return HandQueue.Hand(listenerID: listener, raisedAtMicros: UInt64(max(0, at)))
            }
            input.handsTotal = Int(reply[9].integer ?? 0)
            let reactions = reply.count > 10 ? reply[10].elements ?? [] : []
            for index in stride(from: 0, to: reactions.count - 1, by: 2) {
                if let emoji = reactions[index].string, let count = reactions[index + 1].string.flatMap({ Int($0) }) {
                    input.reactions[emoji] = count
                }
            }
            return input
        }
    }

    /// Publishes conversation updates once for every node (itself included); with `keep`, the
    /// shared views also become the Space's latest, for nodes that come later.
    func broadcast(_ broadcast: ConversationBroadcast, spaceID: String, keep: ConversationBroadcast? = nil) {
        var message = ByteBuffer()
        ClusterEnvelope(.conversation, origin: self.nodeID, payload: ByteBuffer(bytes: broadcast.json())).encode(into: &message)
        // The view first: a node that fetches it after this message reaches it gets this one or
        // a later one (older ones are dropped by version, ``LiveConversation/received(_:)``).
        var commands: [RedisCommand] = []
        if let keep {
            commands.append(RedisCommand("SET", .string(self.keys.view(spaceID)), .bytes(ByteBuffer(bytes: keep.json())), "KEEPTTL"))
        }
        commands.append(RedisCommand("SPUBLISH", .string(self.keys.audio(spaceID)), .bytes(message)))
        _ = self.client.send(commands)
    }

    /// The Space's latest shared views (nil before any).
    func latestView(spaceID: String) -> EventLoopFuture<ConversationBroadcast?> {
        self.client.send(RedisCommand("GET", .string(self.keys.view(spaceID)))).map { reply in
            reply.bytes.flatMap { ConversationBroadcast.decode($0.readableBytesView) }
        }
    }
}
