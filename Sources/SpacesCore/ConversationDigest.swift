/// What the node leading a clustered Space's conversation tells everyone, computed from the
/// state the cluster holds (Redis): the same coalesced updates as ``Conversation/due(nowMicros:)``
/// gives an embedded node, from a state read whole instead of kept here.
///
/// One node at a time leads a Space (it holds a short lease in Redis). It reads the state once
/// per `conversation.questionsIntervalMs` when it changed, digests it here, and publishes the
/// ``Conversation/Updates`` once for every node. A new leader starts from an empty digest: each
/// asker hears of its question once more, which changes nothing it shows.
public struct ConversationDigest: Sendable {
    /// The conversation as the cluster holds it, read in one step.
    public struct Input: Sendable, Equatable {
        /// Counts every change to the questions; the `questions` events' version.
        public var revision: UInt64
        /// Counts every change to the hands; the `hands` events' version.
        public var handsVersion: UInt64
        /// Open questions, in rank order.
        public var open: [Question]
        public var onAir: Question?
        /// Questions answered or dismissed since the last digest (their askers hear how they ended).
        public var closed: [Question]
        /// The first raised hands, first raised first, and how many there are in all.
        public var hands: [HandQueue.Hand]
        public var handsTotal: Int
        /// Reactions counted by every node since the last digest.
        public var reactions: [String: Int]

        public init(
            revision: UInt64, handsVersion: UInt64, open: [Question] = [], onAir: Question? = nil, closed: [Question] = [],
            hands: [HandQueue.Hand] = [], handsTotal: Int = 0, reactions: [String: Int] = [:]
        ) {
            self.revision = revision
            self.handsVersion = handsVersion
            self.open = open
            self.onAir = onAir
            self.closed = closed
            self.hands = hands
            self.handsTotal = handsTotal
            self.reactions = reactions
        }
    }

    public let settings: SpacesConfiguration.Conversation
    /// The revision and hands version last digested (nil before the first): the leader asks
    /// Redis for the whole state only when either moved.
    public private(set) var revision: UInt64?
    public private(set) var handsVersion: UInt64?
    /// What was last sent of each shared view (the latest, for a node that comes later).
    public private(set) var questions: ServerEvent.Questions?
    public private(set) var hostQuestions: ServerEvent.Questions?
    public private(set) var hands: ServerEvent.Hands?
    private var told: [String: ServerEvent.OwnQuestion] = [:]

    public init(settings: SpacesConfiguration.Conversation = .init()) {
        self.settings = settings
    }

    public mutating func digest(_ input: Input, nowMicros: UInt64) -> Conversation.Updates {
        var updates = Conversation.Updates()
        if input.revision != self.revision || !input.closed.isEmpty {
            self.revision = input.revision
            let onAir = input.onAir.map(ServerEvent.QuestionItem.init)
            let top = ServerEvent.Questions(
                version: input.revision, total: input.open.count, onAir: onAir,
                top: input.open.prefix(self.settings.questionQueue.snapshotSize).map(ServerEvent.QuestionItem.init)
            )
            if self.questions.map({ !$0.showsSame(as: top) }) ?? true {
                self.questions = top
                updates.questions = top
            }
            let host = ServerEvent.Questions(
                version: input.revision, total: input.open.count, onAir: onAir,
                top: input.open.prefix(self.settings.hostQuestionCount).map(ServerEvent.QuestionItem.init)
            )
            if self.hostQuestions.map({ !$0.showsSame(as: host) }) ?? true {
                self.hostQuestions = host
                updates.hostQuestions = host
            }
            updates.personal = self.askersToTell(input)
        }
        if input.handsVersion != self.handsVersion {
            self.handsVersion = input.handsVersion
            let hands = ServerEvent.Hands(
                version: input.handsVersion, total: input.handsTotal,
                hands: input.hands.prefix(Conversation.handsShown).map {
                    .init(listenerId: String($0.listenerID, radix: 36), waitedSeconds: Int(nowMicros.saturatingSubtract($0.raisedAtMicros) / 1_000_000))
                }
            )
            self.hands = hands
            updates.hands = hands
        }
        if !input.reactions.isEmpty {
            updates.reactions = ServerEvent.Reactions(counts: input.reactions)
        }
        return updates
    }

    /// Each asker whose question's state, rank or votes changed since it was last told, and
    /// each whose question was closed.
    private mutating func askersToTell(_ input: Input) -> [Conversation.Updates.Personal] {
        var personal: [Conversation.Updates.Personal] = []
        var current: [String: ServerEvent.OwnQuestion] = [:]
        var outstanding = input.open.enumerated().map { ($0.element, Optional($0.offset + 1)) }
        if let onAir = input.onAir { outstanding.append((onAir, nil)) }
        for (question, rank) in outstanding {
            let own = ServerEvent.OwnQuestion(id: question.id, state: question.state.rawValue, rank: rank, votes: question.votes)
            current[question.id] = own
            if self.told[question.id] != own {
                personal.append(.init(listenerID: question.askerListenerID, question: own))
            }
        }
        for question in input.closed where current[question.id] == nil && !question.state.isOutstanding {
            personal.append(.init(
                listenerID: question.askerListenerID,
                question: .init(id: question.id, state: question.state.rawValue, rank: nil, votes: question.votes)
            ))
        }
        // A withdrawn question is simply gone: its asker had its answer (`withdrawn`).
        self.told = current
        return personal
    }
}
