import NIOCore
import SpacesCore
import NIOConcurrencyHelpers

/// One Space's ``Conversation`` on this node, shared by every event loop, and the admitted
/// listeners it may need to reach one by one (an asker's own question, an invitation).
///
/// Embedded, the node holds the conversation: listener messages and host actions take the
/// lock for a few microseconds each; the fan-out of what everyone sees happens outside it,
/// from ``tick(nowMicros:)``. In a cluster, Redis holds it (``RedisBroker``'s conversation
/// script decides each message and action); the node keeps only its listeners' rates and its
/// reaction counts, and, while it leads the Space, digests the shared state for every node
/// (``ConversationDigest``). What every node fans out arrives through ``received(_:)``.
final class LiveConversation: Sendable {
    /// A listener message's answer: at once, or once the cluster decided.
    enum Answer {
        case now(ServerEvent?)
        /// Fails with a ``QuestionQueueError``.
        case later(EventLoopFuture<ServerEvent?>)
    }

    /// An admitted listener, reachable on its own loop.
    struct Member: Sendable {
        let eventLoop: any EventLoop
        let connection: NIOLoopBound<ListenerConnection>
        let identity: ObjectIdentifier
    }

    private let state: NIOLockedValueBox<Conversation>
    private let members = NIOLockedValueBox<[UInt64: Member]>([:])
    private let latest = NIOLockedValueBox<SharedUpdate?>(nil)

    let settings: SpacesConfiguration.Conversation
    /// The cluster's part; nil on an embedded node.
    private let cluster: Clustered?

    /// What a cluster's node keeps of a Space's conversation.
    private final class Clustered: Sendable {
        struct Lead: Sendable {
            var digest: ConversationDigest
            var stateAt: UInt64 = 0
            var reactionsAt: UInt64 = 0
            var prunedAt: UInt64 = 0
            var reading = false
        }

        let broker: any Broker
        let spaceID: String
        let rates: NIOLockedValueBox<ListenerRates>
        let lead: NIOLockedValueBox<Lead>
        /// Listeners of this node with a hand up (as far as this node knows): a leaving
        /// listener's hand is lowered in Redis only if it is here.
        let raised = NIOLockedValueBox<Set<UInt64>>([])
        /// The host's views as last received, for a host who attaches here.
        let host = NIOLockedValueBox<(ServerEvent.Questions?, ServerEvent.Hands?)>((nil, nil))
        /// The versions of the questions and the hands last delivered here: an older view (a
        /// stored one fetched late, a deposed leader's last digest) is dropped, never shown.
        let delivered = NIOLockedValueBox<(questions: UInt64, hands: UInt64)>((0, 0))

        init(broker: any Broker, spaceID: String, settings: SpacesConfiguration.Conversation) {
            self.broker = broker
            self.spaceID = spaceID
            self.rates = NIOLockedValueBox(ListenerRates(configuration: settings.questionQueue))
            self.lead = NIOLockedValueBox(Lead(digest: ConversationDigest(settings: settings)))
        }
    }

    init(settings: SpacesConfiguration.Conversation, spaceID: String = "", broker: (any Broker)? = nil) {
        self.settings = settings
        self.state = NIOLockedValueBox(Conversation(settings: settings))
        self.cluster = broker.map { Clustered(broker: $0, spaceID: spaceID, settings: settings) }
    }

    var isClustered: Bool { self.cluster != nil }

    // MARK: Listeners

    /// Call on the listener's loop when it is admitted. Returns what it should know of its own
    /// part (a listener coming back with a resume token may have a question open or a hand up);
    /// in a cluster that is sent once Redis answered.
    func join(_ listenerID: UInt64, resumed: Bool, connection: ListenerConnection, eventLoop: any EventLoop) -> [ServerEvent] {
        let member = Member(
            eventLoop: eventLoop, connection: NIOLoopBound(connection, eventLoop: eventLoop), identity: ObjectIdentifier(connection)
        )
        self.members.withLockedValue { $0[listenerID] = member }
        guard let cluster = self.cluster else { return self.state.withLockedValue { $0.standing(of: listenerID) } }
        if resumed {
            cluster.broker.standing(of: listenerID, spaceID: cluster.spaceID).whenSuccess { events in
                if events.contains(where: { if case .hand = $0 { true } else { false } }) {
                    cluster.raised.withLockedValue { _ = $0.insert(listenerID) }
                }
                self.send(events.map { (listenerID, $0) })
            }
        }
        return []
    }

    /// The listener left: it can no longer be reached, and its hand goes down. A resumed
    /// listener joined again under the same id first, so only its own entry is removed.
    func leave(_ listenerID: UInt64, connection: ListenerConnection) {
        let removed = self.members.withLockedValue { members -> Bool in
            guard let member = members[listenerID], member.identity == ObjectIdentifier(connection) else { return false }
            members[listenerID] = nil
            return true
        }
        guard removed else { return }
        guard let cluster = self.cluster else {
            self.state.withLockedValue { $0.listenerLeft(listenerID) }
            return
        }
        if cluster.raised.withLockedValue({ $0.remove(listenerID) }) != nil {
            _ = cluster.broker.listenerAction(.hand(raised: false), listenerID: listenerID, spaceID: cluster.spaceID, settings: self.settings)
        }
    }

    func receive(_ event: ClientEvent, from listenerID: UInt64, nowMicros: UInt64) throws(QuestionQueueError) -> Answer {
        var event = event
        if case .ask(let text) = event {
            // The text's checks walk up to a message's worth of characters: before the lock,
            // so a listener sending long refused texts holds up nobody else. (The queue checks
            // the normalised text again, which is short.)
            event = .ask(text: try Question.normalize(text, maximumLength: self.settings.questionQueue.maximumTextLength))
        }
        guard let cluster = self.cluster else {
            return .now(try self.state.withLockedValueThrowing({ state throws(QuestionQueueError) in try state.receive(event, from: listenerID, nowMicros: nowMicros) }))
        }
        switch event {
        case .react, .ping:
            // Counted here, flushed to the Space's count once per interval.
            return .now(try self.state.withLockedValueThrowing({ state throws(QuestionQueueError) in try state.receive(event, from: listenerID, nowMicros: nowMicros) }))
        case .ask:
            try cluster.rates.withLockedValueThrowing({ rates throws(QuestionQueueError) in try rates.take(.ask, listenerID: listenerID, nowMicros: nowMicros) })
        case .upvote:
            try cluster.rates.withLockedValueThrowing({ rates throws(QuestionQueueError) in try rates.take(.upvote, listenerID: listenerID, nowMicros: nowMicros) })
        case .hand(let raised):
            cluster.raised.withLockedValue { if raised { $0.insert(listenerID) } else { $0.remove(listenerID) } }
        case .withdraw:
            break
        }
        return .later(cluster.broker.listenerAction(event, listenerID: listenerID, spaceID: cluster.spaceID, settings: self.settings))
    }

    // MARK: Host

    /// Applies a host action and sends `invited` to the invited listener (in a cluster, on
    /// whichever node it is). Fails with a ``QuestionQueueError``.
    func perform(_ action: HostAction, on eventLoop: any EventLoop) -> EventLoopFuture<Conversation.Outcome> {
        if let cluster = self.cluster {
            return cluster.broker.hostAction(action, spaceID: cluster.spaceID).hop(to: eventLoop)
        }
        do {
            let outcome = try self.state.withLockedValueThrowing({ state throws(QuestionQueueError) in try state.perform(action) })
            if let invited = outcome.invited {
                self.send([(invited, .invited)])
            }
            return eventLoop.makeSucceededFuture(outcome)
        } catch {
            return eventLoop.makeFailedFuture(error)
        }
    }

    /// The host's view right now: the queue (as long as `conversation.hostQuestions`, or all of
    /// it) and the hands; in a cluster, read from Redis.
    func hostView(all: Bool = false, on eventLoop: any EventLoop) -> EventLoopFuture<(ServerEvent.Questions, ServerEvent.Hands)> {
        let now = WallClock.nowMicros()
        guard let cluster = self.cluster else {
            return eventLoop.makeSucceededFuture(self.state.withLockedValue {
                ($0.hostQuestions(top: all ? nil : $0.settings.hostQuestionCount), $0.hostHands(nowMicros: now))
            })
        }
        var wanted = self.settings
        if all { wanted.hostQuestions = wanted.questionsPerSpace }
        let settings = wanted
        return cluster.broker.conversationState(
            spaceID: cluster.spaceID, lead: false, revision: nil, handsVersion: nil, takeReactions: false, leaseMillis: 0
        ).hop(to: eventLoop).flatMapThrowing { input in
            guard let input else { throw QuestionQueueError.unavailable }
            var digest = ConversationDigest(settings: settings)
            let updates = digest.digest(input, nowMicros: now)
            guard let questions = updates.hostQuestions, let hands = updates.hands else { throw QuestionQueueError.unavailable }
            return (questions, hands)
        }
    }

    /// The host's view as this node knows it now, for a host who attaches: in a cluster, the
    /// views last received (nil parts before any).
    func hostViewNow(nowMicros: UInt64) -> (ServerEvent.Questions?, ServerEvent.Hands?) {
        if let cluster = self.cluster { return cluster.host.withLockedValue { $0 } }
        return self.state.withLockedValue { ($0.hostQuestions(top: $0.settings.hostQuestionCount), $0.hostHands(nowMicros: nowMicros)) }
    }

    // MARK: Fan-out

    /// The `questions` update last fanned out, framed: a listener admitted later gets it with
    /// its `welcome`, so it sees the queue at once instead of at the next change.
    var latestQuestions: SharedUpdate? {
        get { self.latest.withLockedValue { $0 } }
        set { self.latest.withLockedValue { $0 = newValue } }
    }

    /// What is due now; personal messages are sent from here, each on its listener's loop. In
    /// a cluster nothing is due here: the node flushes its reactions and, if it leads the
    /// Space, publishes the digest for every node (``received(_:)`` delivers it).
    func tick(nowMicros: UInt64) -> Conversation.Updates {
        if let cluster = self.cluster {
            self.lead(cluster, nowMicros: nowMicros)
            return Conversation.Updates()
        }
        let updates = self.state.withLockedValue { $0.due(nowMicros: nowMicros) }
        if !updates.personal.isEmpty {
            self.send(updates.personal.map { ($0.listenerID, ServerEvent.question($0.question)) })
        }
        return updates
    }

    /// Updates published by the node leading a clustered Space (or invitations by any node's
    /// host): personal parts go to this node's listeners here, the host's views are kept for a
    /// host who attaches; the shared parts are returned for the fan-out.
    ///
    /// An update older than what was delivered here is dropped, whether it came on the channel
    /// or from the stored views fetched when the node follows the channel (again): whichever
    /// arrives second and is older loses. After the subscriber reconnects the versions are
    /// forgotten first (``forgetVersions()``): a Redis that restarted without its data counts
    /// again from 0.
    func received(_ broadcast: ConversationBroadcast) -> Conversation.Updates {
        var updates = broadcast.updates
        if let cluster = self.cluster {
            cluster.delivered.withLockedValue { delivered in
                if let questions = updates.questions?.version ?? updates.hostQuestions?.version {
                    if questions < delivered.questions {
                        updates.questions = nil
                        updates.hostQuestions = nil
                    } else {
                        delivered.questions = questions
                    }
                }
                if let hands = updates.hands {
                    if hands.version < delivered.hands { updates.hands = nil } else { delivered.hands = hands.version }
                }
            }
        }
        if let cluster = self.cluster, updates.hostQuestions != nil || updates.hands != nil {
            cluster.host.withLockedValue { host in
                host = (updates.hostQuestions ?? host.0, updates.hands ?? host.1)
            }
        }
        var messages = updates.personal.map { ($0.listenerID, ServerEvent.question($0.question)) }
        for invited in broadcast.invitedListeners {
            self.cluster?.raised.withLockedValue { _ = $0.remove(invited) }
            messages.append((invited, .invited))
        }
        if !messages.isEmpty { self.send(messages) }
        return updates
    }

    /// This node stopped following the Space's channel: what it kept may go stale.
    func forgetShared() {
        self.latestQuestions = nil
        self.cluster?.host.withLockedValue { $0 = (nil, nil) }
        self.forgetVersions()
    }

    /// Takes the next views whatever their versions.
    func forgetVersions() {
        self.cluster?.delivered.withLockedValue { $0 = (0, 0) }
    }

    /// How long a leader's lease lasts: a few of its reads, so a dead leader is replaced within
    /// about two seconds.
    var leaseMillis: Int { max(2000, 4 * self.settings.questionsIntervalMs) }

    private func lead(_ cluster: Clustered, nowMicros: UInt64) {
        let interval = UInt64(max(1, self.settings.questionsIntervalMs)) * 1000
        let reactionsInterval = UInt64(max(1, self.settings.reactionsIntervalMs)) * 1000
        let due = cluster.lead.withLockedValue { lead -> (revision: UInt64?, hands: UInt64?, reactions: Bool)? in
            if nowMicros &- lead.prunedAt >= 60_000_000 {
                lead.prunedAt = nowMicros
                cluster.rates.withLockedValue { $0.prune(nowMicros: nowMicros) }
                self.state.withLockedValue { $0.prune(nowMicros: nowMicros) }
            }
            guard !lead.reading, nowMicros &- lead.stateAt >= interval else { return nil }
            lead.reading = true
            lead.stateAt = nowMicros
            let reactions = nowMicros &- lead.reactionsAt >= reactionsInterval
            if reactions { lead.reactionsAt = nowMicros }
            return (lead.digest.revision, lead.digest.handsVersion, reactions)
        }
        guard let due else { return }
        if due.reactions, let counts = self.state.withLockedValue({ $0.takeReactions() }) {
            cluster.broker.addReactions(counts, spaceID: cluster.spaceID)
        }
        cluster.broker.conversationState(
            spaceID: cluster.spaceID, lead: true, revision: due.revision, handsVersion: due.hands, takeReactions: due.reactions,
            leaseMillis: self.leaseMillis
        ).whenComplete { result in
            let published = cluster.lead.withLockedValue { lead -> (ConversationBroadcast, ConversationBroadcast)? in
                lead.reading = false
                guard case .success(let input?) = result else { return nil }
                let updates = lead.digest.digest(input, nowMicros: WallClock.nowMicros())
                guard !updates.isEmpty else { return nil }
                var latest = Conversation.Updates()
                latest.questions = lead.digest.questions
                latest.hostQuestions = lead.digest.hostQuestions
                latest.hands = lead.digest.hands
                return (ConversationBroadcast(updates), ConversationBroadcast(latest))
            }
            if let (broadcast, latest) = published {
                let shared = broadcast.questions != nil || broadcast.hostQuestions != nil || broadcast.hands != nil
                cluster.broker.broadcast(broadcast, spaceID: cluster.spaceID, keep: shared ? latest : nil)
            }
        }
    }

    /// Sends each event to its listener: one hop per event loop, whatever the count.
    private func send(_ messages: [(UInt64, ServerEvent)]) {
        // The members are looked up under the lock; the messages are encoded outside it, so
        // admissions and leaves on every loop never wait for JSON.
        let found: [(Member, ServerEvent)] = self.members.withLockedValue { members in
            messages.compactMap { listenerID, event in members[listenerID].map { ($0, event) } }
        }
        var byLoop: [ObjectIdentifier: (any EventLoop, [(NIOLoopBound<ListenerConnection>, ByteBuffer, SharedUpdate.Kind)])] = [:]
        for (member, event) in found {
            // An asker's question is coalesced like a shared update (the latest one counts); an
            // invitation is never dropped.
            let kind: SharedUpdate.Kind = if case .question = event { .ownQuestion } else { .control }
            byLoop[ObjectIdentifier(member.eventLoop), default: (member.eventLoop, [])].1.append(
                (member.connection, PreframedMessage.text(event.json()).bytes, kind)
            )
        }
        for (loop, batch) in byLoop.values {
            loop.execute {
                for (connection, bytes, kind) in batch { connection.value.sendLatest(kind, bytes) }
            }
        }
    }
}
