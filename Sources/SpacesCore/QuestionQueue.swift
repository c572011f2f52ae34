/// One Space's questions: listeners ask, upvote and withdraw; the host picks, answers,
/// dismisses and pins; everyone sees a ranked snapshot.
///
/// A plain struct with the time injected, owned by whoever owns the Space: methods take an
/// event and return what changed, or throw a ``QuestionQueueError`` the server sends back as an
/// `error` event. Host actions arrive authorised; this struct only applies them.
///
/// Open questions are ranked by ``Question/ranks(before:)``: pinned first, then votes
/// (descending), then age (older first). At most one question is on air; picking another moves
/// the previous one to answered. A withdrawn question is removed outright (not marked
/// dismissed): the asker took it back, so nobody should see it, and it frees its place under
/// the cap.
///
/// ``version`` counts changes to what ``snapshot()`` shows (the open count, the question on
/// air, the top ``Configuration/snapshotSize`` open questions), so the server can send a
/// snapshot only when it changed.
public struct QuestionQueue: Sendable {
    public struct Configuration: Sendable, Equatable {
        /// Characters in a question after trimming, default 280: room for one question and its
        /// context, short enough that the top 10 fit a phone screen and a snapshot stays a few
        /// kilobytes however many listeners it goes to.
        public var maximumTextLength = 280
        /// Questions kept per Space, default 500: more than a host can take in one session,
        /// and it bounds the memory and the work of ranking. Past it, the answered or dismissed
        /// question with the fewest votes (then the oldest) is forgotten; open and on-air
        /// questions never are, so when only those remain a new ask is refused (`queue_full`).
        public var capacity = 500
        /// Asks per second per listener, default 1/30 (one every 30 s): a listener has one open
        /// question at a time anyway; the rate stops withdraw-and-ask cycles from churning the
        /// queue every listener sees.
        public var asksPerSecond = 1.0 / 30
        /// Asks allowed at once above the rate, default 1.
        public var askBurst = 1.0
        /// Upvotes per second per listener, default 5: faster than anyone reads, and each one
        /// may change the snapshot sent to every listener.
        public var upvotesPerSecond = 5.0
        /// Upvotes allowed at once above the rate, default 10: a listener arriving can vote up
        /// the questions it agrees with in one go.
        public var upvoteBurst = 10.0
        /// Open questions in ``snapshot()`` and tracked by ``version``, default 10: what fits on
        /// a phone screen; the rest is a count.
        public var snapshotSize = 10

        public init() {}
    }

    /// What listeners are shown: fanned out when ``version`` changes.
    public struct Snapshot: Sendable, Equatable {
        /// A question as shown to everyone (the asker is not shown).
        public struct Item: Sendable, Equatable {
            public var id: String
            public var text: String
            public var votes: Int
            public var state: Question.State
            public var pinned: Bool

            public init(id: String, text: String, votes: Int, state: Question.State, pinned: Bool) {
                self.id = id
                self.text = text
                self.votes = votes
                self.state = state
                self.pinned = pinned
            }

            init(_ question: Question) {
                self.init(id: question.id, text: question.text, votes: question.votes, state: question.state, pinned: question.pinned)
            }
        }

        public var version: UInt64
        /// Open questions in all (the question on air not included).
        public var openCount: Int
        public var onAir: Item?
        /// The first open questions, in rank order.
        public var top: [Item]

        /// Same content, whatever the version.
        func shows(sameAs other: Snapshot) -> Bool {
            self.openCount == other.openCount && self.onAir == other.onAir && self.top == other.top
        }
    }

    public let configuration: Configuration
    /// Every question kept, by id.
    private var questions: [String: Question] = [:]
    /// The ids of the open questions, best first.
    private var ranking: [String] = []
    private var onAirID: String?
    /// Listener → its open or on-air question.
    private var outstanding: [UInt64: String] = [:]
    /// Question → the listeners who upvoted it.
    private var voters: [String: Set<UInt64>] = [:]
    private var rates: ListenerRates
    private var nextSequence: UInt64 = 1
    /// The latest snapshot of `snapshotSize` questions; its version is ``version``.
    private var shown = Snapshot(version: 0, openCount: 0, onAir: nil, top: [])

    public init(configuration: Configuration = Configuration()) {
        precondition(configuration.capacity >= 1, "a question queue needs room for one question")
        precondition(configuration.maximumTextLength >= 1 && configuration.snapshotSize >= 0)
        self.configuration = configuration
        self.rates = ListenerRates(configuration: configuration)
    }

    // MARK: Queries

    /// Starts at 0 and grows by one each time what ``snapshot()`` shows changes.
    public var version: UInt64 { self.shown.version }
    /// Starts at 0 and grows with every change to any question (votes and ranks past the
    /// snapshot included), so that askers are told of their own question only when it moved.
    public private(set) var revision: UInt64 = 0
    /// Questions kept, in every state.
    public var count: Int { self.questions.count }
    public var openCount: Int { self.ranking.count }
    public var onAir: Question? { self.onAirID.flatMap { self.questions[$0] } }

    public func question(_ id: String) -> Question? { self.questions[id] }

    /// The listener's open or on-air question, if any.
    public func question(askedBy listenerID: UInt64) -> Question? {
        self.outstanding[listenerID].flatMap { self.questions[$0] }
    }

    /// The open questions, best first.
    public func openQuestions() -> [Question] { self.ranking.map { self.questions[$0]! } }

    /// 1-based place of an open question in the queue; nil when it is on air, answered,
    /// dismissed or unknown (``question(_:)`` tells its state).
    public func rank(of questionID: String) -> Int? {
        guard let question = self.questions[questionID], question.state == .open else { return nil }
        return self.index(of: question) + 1
    }

    /// The top ``Configuration/snapshotSize`` open questions: the snapshot ``version`` tracks.
    public func snapshot() -> Snapshot { self.shown }

    /// The top `top` open questions. With `top` above ``Configuration/snapshotSize``, changes
    /// past that size show here without a new ``version``.
    public func snapshot(top: Int) -> Snapshot {
        precondition(top >= 0)
        return Snapshot(
            version: self.shown.version, openCount: self.ranking.count, onAir: self.onAir.map(Snapshot.Item.init),
            top: self.ranking.prefix(top).map { Snapshot.Item(self.questions[$0]!) }
        )
    }

    // MARK: Listener events

    /// A listener asks. The checks run cheapest first, and only an ask that is accepted spends a
    /// token: a listener whose text was too long can fix it and send it again at once.
    @discardableResult
    public mutating func ask(listenerID: UInt64, text: String, nowMicros: UInt64) throws(QuestionQueueError) -> Question {
        let text = try Question.normalize(text, maximumLength: self.configuration.maximumTextLength)
        if let id = self.outstanding[listenerID] { throw .oneOpenQuestion(id: id) }
        var evicted: String?
        if self.questions.count >= self.configuration.capacity {
            guard let victim = self.evictionCandidate() else { throw .queueFull(limit: self.configuration.capacity) }
            evicted = victim
        }
        try self.rates.take(.ask, listenerID: listenerID, nowMicros: nowMicros)
        if let evicted { self.forget(evicted) }
        let question = Question(sequence: self.nextSequence, askerListenerID: listenerID, text: text, askedAtMicros: nowMicros)
        self.nextSequence += 1
        self.questions[question.id] = question
        self.outstanding[listenerID] = question.id
        self.insert(question)
        self.publish()
        return question
    }

    /// A listener upvotes an open or on-air question, once, and never its own.
    @discardableResult
    public mutating func upvote(listenerID: UInt64, questionID: String, nowMicros: UInt64) throws(QuestionQueueError) -> Question {
        guard var question = self.questions[questionID] else { throw .noSuchQuestion(id: questionID) }
        guard question.state.isOutstanding else { throw .notOpen(id: questionID, state: question.state) }
        guard question.askerListenerID != listenerID else { throw .ownQuestion(id: questionID) }
        guard self.voters[questionID]?.contains(listenerID) != true else { throw .alreadyVoted(id: questionID) }
        try self.rates.take(.upvote, listenerID: listenerID, nowMicros: nowMicros)
        self.voters[questionID, default: []].insert(listenerID)
        question = self.update(questionID) { $0.votes += 1 }
        self.publish()
        return question
    }

    /// The asker takes back its own open question; it is removed. An on-air question can no
    /// longer be withdrawn (`not_open`): the host is answering it.
    @discardableResult
    public mutating func withdraw(listenerID: UInt64, questionID: String) throws(QuestionQueueError) -> Question {
        guard let question = self.questions[questionID] else { throw .noSuchQuestion(id: questionID) }
        guard question.askerListenerID == listenerID else { throw .notYours(id: questionID) }
        guard question.state == .open else { throw .notOpen(id: questionID, state: question.state) }
        self.forget(questionID)
        self.publish()
        return question
    }

    // MARK: Host actions

    /// Puts an open question on air; the question on air before it becomes answered. Returns
    /// the questions changed, after the change (the previous one first); none if it was
    /// already on air.
    @discardableResult
    public mutating func pick(_ questionID: String) throws(QuestionQueueError) -> [Question] {
        guard let question = self.questions[questionID] else { throw .noSuchQuestion(id: questionID) }
        if question.state == .onAir { return [] }
        guard question.state == .open else { throw .notOpen(id: questionID, state: question.state) }
        var changed: [Question] = []
        if let previous = self.onAirID {
            changed.append(self.finish(previous, as: .answered))
        }
        self.onAirID = questionID
        changed.append(self.update(questionID) {
            $0.state = .onAir
            $0.pinned = false
        })
        self.publish()
        return changed
    }

    /// Marks an open or on-air question answered.
    @discardableResult
    public mutating func answer(_ questionID: String) throws(QuestionQueueError) -> Question {
        try self.close(questionID, as: .answered)
    }

    /// Marks an open or on-air question dismissed.
    @discardableResult
    public mutating func dismiss(_ questionID: String) throws(QuestionQueueError) -> Question {
        try self.close(questionID, as: .dismissed)
    }

    /// Pins an open question (several may be pinned: they rank among themselves by votes,
    /// then age). Pinning a pinned question changes nothing.
    @discardableResult
    public mutating func pin(_ questionID: String) throws(QuestionQueueError) -> Question {
        try self.setPinned(questionID, true)
    }

    /// Unpins an open question. Unpinning a question that is not pinned changes nothing.
    @discardableResult
    public mutating func unpin(_ questionID: String) throws(QuestionQueueError) -> Question {
        try self.setPinned(questionID, false)
    }

    // MARK: Housekeeping

    /// Forgets the rate-limit state of listeners whose buckets are full again (they would get
    /// the same fresh bucket on their next action), so that listeners who have left cost
    /// nothing. Call it now and then (e.g. once a minute).
    public mutating func prune(nowMicros: UInt64) {
        self.rates.prune(nowMicros: nowMicros)
    }

    /// Listeners with rate-limit state kept (for tests and metrics).
    var trackedListeners: Int { self.rates.trackedListeners }

    // MARK: Internals

    private mutating func close(_ questionID: String, as state: Question.State) throws(QuestionQueueError) -> Question {
        guard let question = self.questions[questionID] else { throw .noSuchQuestion(id: questionID) }
        guard question.state.isOutstanding else { throw .notOpen(id: questionID, state: question.state) }
        let closed = self.finish(questionID, as: state)
        self.publish()
        return closed
    }

    private mutating func setPinned(_ questionID: String, _ pinned: Bool) throws(QuestionQueueError) -> Question {
        guard let question = self.questions[questionID] else { throw .noSuchQuestion(id: questionID) }
        guard question.state == .open else { throw .notOpen(id: questionID, state: question.state) }
        guard question.pinned != pinned else { return question }
        let updated = self.update(questionID) { $0.pinned = pinned }
        self.publish()
        return updated
    }

    /// Moves an outstanding question to a final state.
    private mutating func finish(_ questionID: String, as state: Question.State) -> Question {
        let question = self.update(questionID) {
            $0.state = state
            $0.pinned = false
        }
        if self.onAirID == questionID { self.onAirID = nil }
        if self.outstanding[question.askerListenerID] == questionID { self.outstanding[question.askerListenerID] = nil }
        // A finished question takes no more votes: who voted need not be kept (it would grow
        // with listeners × questions over a long session).
        self.voters[questionID] = nil
        return question
    }

    /// Changes a question and keeps the ranking in step: out of it under its old rank, back in
    /// under its new one if it is still open.
    private mutating func update(_ questionID: String, _ change: (inout Question) -> Void) -> Question {
        var question = self.questions[questionID]!
        if question.state == .open { self.ranking.remove(at: self.index(of: question)) }
        change(&question)
        self.questions[questionID] = question
        if question.state == .open { self.insert(question) }
        return question
    }

    /// Removes a question and everything about it.
    private mutating func forget(_ questionID: String) {
        guard let question = self.questions[questionID] else { return }
        // Out of the ranking first: its search reads the question.
        if question.state == .open { self.ranking.remove(at: self.index(of: question)) }
        self.questions[questionID] = nil
        if self.onAirID == questionID { self.onAirID = nil }
        if self.outstanding[question.askerListenerID] == questionID { self.outstanding[question.askerListenerID] = nil }
        self.voters[questionID] = nil
    }

    /// The answered or dismissed question to forget first: fewest votes, then oldest.
    private func evictionCandidate() -> String? {
        var victim: Question?
        for question in self.questions.values where !question.state.isOutstanding {
            guard let current = victim else {
                victim = question
                continue
            }
            if (question.votes, question.askedAtMicros, question.sequence) < (current.votes, current.askedAtMicros, current.sequence) {
                victim = question
            }
        }
        return victim?.id
    }

    /// Where `question` stands in the ranking, or would stand if inserted: the first place
    /// whose question does not rank before it.
    private func index(of question: Question) -> Int {
        var low = 0
        var high = self.ranking.count
        while low < high {
            let mid = (low + high) / 2
            if self.questions[self.ranking[mid]]!.ranks(before: question) { low = mid + 1 } else { high = mid }
        }
        return low
    }

    private mutating func insert(_ question: Question) {
        self.ranking.insert(question.id, at: self.index(of: question))
    }

    /// Recomputes the snapshot; a new version only if its content changed.
    private mutating func publish() {
        self.revision += 1
        var next = self.snapshot(top: self.configuration.snapshotSize)
        guard !next.shows(sameAs: self.shown) else { return }
        next.version = self.shown.version + 1
        self.shown = next
    }
}
