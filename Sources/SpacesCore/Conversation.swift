/// One Space's conversation: its question queue, raised hands and reactions, and what to tell
/// whom about them, when.
///
/// A plain struct with the time injected, owned by whoever owns the Space (the server keeps it
/// under a lock). Listener messages and host actions go in and get their answer at once; what
/// everyone sees comes out of ``due(nowMicros:)``, which the owner calls on a timer: at most one
/// `questions` update per ``SpacesConfiguration/Conversation/questionsIntervalMs`` and only when
/// it changed, reaction counts at most once per ``SpacesConfiguration/Conversation/reactionsIntervalMs``,
/// and each asker's own question when it moved.
public struct Conversation: Sendable {
    /// What to send after a tick; nil fields have nothing new.
    public struct Updates: Sendable, Equatable {
        /// For every listener of the Space.
        public var questions: ServerEvent.Questions?
        /// For every listener of the Space.
        public var reactions: ServerEvent.Reactions?
        /// For the host: the longer queue.
        public var hostQuestions: ServerEvent.Questions?
        /// For the host.
        public var hands: ServerEvent.Hands?
        /// For one listener each: its own question's state and rank.
        public var personal: [Personal] = []

        public init() {}

        public struct Personal: Sendable, Equatable {
            public var listenerID: UInt64
            public var question: ServerEvent.OwnQuestion

            public init(listenerID: UInt64, question: ServerEvent.OwnQuestion) {
                self.listenerID = listenerID
                self.question = question
            }
        }

        public var isEmpty: Bool {
            self.questions == nil && self.reactions == nil && self.hostQuestions == nil && self.hands == nil && self.personal.isEmpty
        }
    }

    /// The result of a host action.
    public struct Outcome: Sendable, Equatable {
        public var applied: ServerEvent.Applied
        /// The questions changed, after the change.
        public var questions: [Question]
        /// The listener to send `invited` to.
        public var invited: UInt64?

        public init(applied: ServerEvent.Applied, questions: [Question], invited: UInt64?) {
            self.applied = applied
            self.questions = questions
            self.invited = invited
        }
    }

    public let settings: SpacesConfiguration.Conversation
    public private(set) var queue: QuestionQueue
    public private(set) var hands: HandQueue
    private var reactions: ReactionTally
    /// Hands listed in the host's `hands` event.
    public static let handsShown = 50

    private var sentVersion: UInt64 = 0
    private var sentQuestionsAt: UInt64?
    private var sentReactionsAt: UInt64?
    private var sentHost: ServerEvent.Questions?
    private var sentHandsVersion: UInt64 = 0
    private var sentRevision: UInt64 = 0
    private var sentHostRevision: UInt64 = 0
    /// Questions asked since the last tick: an asker hears how its question ended even if it
    /// was answered or dismissed before the tick that would have told it its rank.
    private var fresh: [String] = []
    /// What each asker was last told of its question, by question id.
    private var told: [String: ServerEvent.OwnQuestion] = [:]
    private var prunedAt: UInt64 = 0
    /// How often ``due(nowMicros:)`` forgets the rate-limit state of listeners who are quiet again.
    static let pruneIntervalMicros: UInt64 = 60_000_000

    public init(settings: SpacesConfiguration.Conversation = .init()) {
        self.settings = settings
        self.queue = QuestionQueue(configuration: settings.questionQueue)
        self.hands = HandQueue(configuration: settings.handQueue)
        self.reactions = ReactionTally(configuration: settings.reactionTally)
    }

    // MARK: Listeners

    /// Applies a listener's message; returns its acknowledgement (none for a reaction) or throws
    /// the refusal to send back as an `error` event. `ping` is the connection's, not this.
    public mutating func receive(
        _ event: ClientEvent, from listenerID: UInt64, nowMicros: UInt64
    ) throws(QuestionQueueError) -> ServerEvent? {
        switch event {
        case .ping:
            return .pong
        case .ask(let text):
            let question = try self.queue.ask(listenerID: listenerID, text: text, nowMicros: nowMicros)
            self.fresh.append(question.id)
            return .asked(.init(id: question.id))
        case .upvote(let id):
            let question = try self.queue.upvote(listenerID: listenerID, questionID: id, nowMicros: nowMicros)
            return .upvoted(.init(id: question.id))
        case .withdraw(let id):
            let question = try self.queue.withdraw(listenerID: listenerID, questionID: id)
            self.told[question.id] = nil
            return .withdrawn(.init(id: question.id))
        case .hand(raised: true):
            let position = try self.hands.raise(listenerID: listenerID, nowMicros: nowMicros)
            return .hand(.init(raised: true, position: position))
        case .hand(raised: false):
            self.hands.lower(listenerID: listenerID)
            return .hand(.init(raised: false, position: nil))
        case .react(let emoji):
            try self.reactions.react(listenerID: listenerID, emoji: emoji, nowMicros: nowMicros)
            return nil
        }
    }

    /// What a listener coming back (a resume) should know of its own part: its open or on-air
    /// question, and its hand if still raised.
    public func standing(of listenerID: UInt64) -> [ServerEvent] {
        var events: [ServerEvent] = []
        if let question = self.queue.question(askedBy: listenerID) {
            events.append(.question(.init(
                id: question.id, state: question.state.rawValue, rank: self.queue.rank(of: question.id), votes: question.votes
            )))
        }
        if let position = self.hands.position(of: listenerID) {
            events.append(.hand(.init(raised: true, position: position)))
        }
        return events
    }

    /// A listener left the Space: its hand goes down (its question stays: others voted for it).
    public mutating func listenerLeft(_ listenerID: UInt64) {
        self.hands.lower(listenerID: listenerID)
    }

    // MARK: Host

    /// Applies a host action (already authorised).
    public mutating func perform(_ action: HostAction) throws(QuestionQueueError) -> Outcome {
        var changed: [Question] = []
        var invited: UInt64?
        switch action {
        case .pick(let id): changed = try self.queue.pick(id)
        case .answer(let id): changed = [try self.queue.answer(id)]
        case .dismiss(let id): changed = [try self.queue.dismiss(id)]
        case .pin(let id): changed = [try self.queue.pin(id)]
        case .unpin(let id): changed = [try self.queue.unpin(id)]
        case .invite(let id):
            guard let listenerID = UInt64(id, radix: 36), self.hands.invite(listenerID: listenerID) != nil else {
                throw .handNotRaised(listenerID: id)
            }
            invited = listenerID
        }
        return Outcome(applied: .init(action: action.name, target: action.target), questions: changed, invited: invited)
    }

    /// The host's view of the queue: up to `top` open questions (all of them by default).
    public func hostQuestions(top: Int? = nil) -> ServerEvent.Questions {
        ServerEvent.Questions(self.queue.snapshot(top: top ?? self.queue.openCount))
    }

    /// The host's view of the raised hands, up to `limit` of them.
    public func hostHands(nowMicros: UInt64, limit: Int = Conversation.handsShown) -> ServerEvent.Hands {
        let hands = self.hands.list()
        return ServerEvent.Hands(
            version: self.hands.version, total: hands.count,
            hands: hands.prefix(limit).map {
                .init(listenerId: String($0.listenerID, radix: 36), waitedSeconds: Int(nowMicros.saturatingSubtract($0.raisedAtMicros) / 1_000_000))
            }
        )
    }

    // MARK: Fan-out

    /// What is due now. Call it on a timer shorter than the intervals (e.g. every 100 ms).
    public mutating func due(nowMicros: UInt64) -> Updates {
        var updates = Updates()
        let questionsDue = self.sentQuestionsAt.map { nowMicros.saturatingSubtract($0) >= UInt64(self.settings.questionsIntervalMs) * 1000 } ?? true
        if questionsDue {
            var sent = false
            if self.queue.version != self.sentVersion {
                self.sentVersion = self.queue.version
                updates.questions = ServerEvent.Questions(self.queue.snapshot())
                sent = true
            }
            if self.queue.revision != self.sentHostRevision {
                // Something changed somewhere in the queue: the host's longer view may show it.
                self.sentHostRevision = self.queue.revision
                let host = ServerEvent.Questions(self.queue.snapshot(top: self.settings.hostQuestionCount))
                if self.sentHost.map({ !$0.showsSame(as: host) }) ?? true {
                    self.sentHost = host
                    updates.hostQuestions = host
                    sent = true
                }
            }
            if self.queue.revision != self.sentRevision {
                self.sentRevision = self.queue.revision
                updates.personal = self.askersToTell()
                sent = true
            }
            if self.hands.version != self.sentHandsVersion {
                self.sentHandsVersion = self.hands.version
                updates.hands = self.hostHands(nowMicros: nowMicros)
                sent = true
            }
            if sent { self.sentQuestionsAt = nowMicros }
        }
        let reactionsDue = self.sentReactionsAt.map { nowMicros.saturatingSubtract($0) >= UInt64(self.settings.reactionsIntervalMs) * 1000 } ?? true
        if reactionsDue, let counts = self.reactions.drain() {
            updates.reactions = ServerEvent.Reactions(counts: counts)
            self.sentReactionsAt = nowMicros
        }
        if nowMicros.saturatingSubtract(self.prunedAt) >= Self.pruneIntervalMicros {
            self.prunedAt = nowMicros
            self.prune(nowMicros: nowMicros)
        }
        return updates
    }

    /// The reactions counted since the last call, for a cluster's node to add to the Space's
    /// shared count (its updates come from ``ConversationDigest`` instead of ``due(nowMicros:)``).
    public mutating func takeReactions() -> [String: Int]? {
        self.reactions.drain()
    }

    /// Forgets rate-limit state nobody needs any more; call now and then (e.g. once a minute).
    public mutating func prune(nowMicros: UInt64) {
        self.queue.prune(nowMicros: nowMicros)
        self.reactions.prune(nowMicros: nowMicros)
    }

    /// Each asker whose question's state, rank or votes changed since it was last told.
    private mutating func askersToTell() -> [Updates.Personal] {
        var personal: [Updates.Personal] = []
        var current: [String: ServerEvent.OwnQuestion] = [:]
        var outstanding = self.queue.openQuestions()
        if let onAir = self.queue.onAir { outstanding.append(onAir) }
        for (index, question) in outstanding.enumerated() {
            let own = ServerEvent.OwnQuestion(
                id: question.id, state: question.state.rawValue, rank: question.state == .open ? index + 1 : nil, votes: question.votes
            )
            current[question.id] = own
            if self.told[question.id] != own {
                personal.append(.init(listenerID: question.askerListenerID, question: own))
            }
        }
        // Questions that left the queue since (told before, or asked since the last tick): tell
        // the asker how they ended.
        let fresh = self.fresh
        self.fresh.removeAll()
        for id in Set(self.told.keys).union(fresh) where current[id] == nil {
            guard let question = self.queue.question(id), !question.state.isOutstanding else { continue }
            personal.append(.init(
                listenerID: question.askerListenerID,
                question: .init(id: id, state: question.state.rawValue, rank: nil, votes: question.votes)
            ))
        }
        self.told = current
        return personal
    }
}

extension ServerEvent.Questions {
    /// Same content, whatever the version.
    func showsSame(as other: ServerEvent.Questions) -> Bool {
        self.total == other.total && self.onAir == other.onAir && self.top == other.top
    }
}

extension UInt64 {
    func saturatingSubtract(_ other: UInt64) -> UInt64 { self >= other ? self - other : 0 }
}
