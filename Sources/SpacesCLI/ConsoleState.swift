import SpacesCore

/// What the host's console shows and which row is selected: a plain value that takes server
/// events, Space figures and key presses, and answers with what to send.
///
/// No I/O and no clock of its own: the caller passes the time (seconds on a monotonic clock), so
/// that tests drive it event by event. ``HostConsole`` carries the effects out and
/// ``ConsoleScreen`` draws it.
struct ConsoleState: Sendable {
    /// The list the arrow keys move in.
    enum Focus: Sendable, Equatable {
        case questions
        case hands
    }

    /// What a key press asks the caller to do.
    enum Effect: Sendable, Equatable {
        /// Send this action on the publish socket.
        case send(HostAction)
        /// Stop hosting, as Ctrl-C does.
        case quit
    }

    /// A reply to the host's last action, or a note about a key that did nothing.
    struct Status: Sendable, Equatable {
        enum Kind: Sendable, Equatable {
            /// Sent, no answer yet.
            case pending
            case applied
            case refused
            case note
        }

        var kind: Kind
        var text: String
    }

    /// How far back joins are counted for joins/s: long enough to smooth the 1 s state ticks
    /// and 2 s polls, short enough to show a surge while it lasts.
    static let joinWindowSeconds = 10.0
    /// How long the latest reaction counts stay shown: reactions come at most once a second,
    /// and only when there were some, so older counts mean "none lately".
    static let recentReactionSeconds = 2.0

    var spaceID: String
    var title: String
    var startedAt: Double
    /// The time of the latest event or tick.
    var now: Double
    var ended = false

    var listeners: Int?
    var waiting: Int?
    var framesRelayed: Int?
    /// (time, arrivals) for the last ``joinWindowSeconds``.
    private var arrivals: [(time: Double, count: Int)] = []
    private var population: Int?

    /// On air, if any.
    var onAir: ServerEvent.QuestionItem?
    /// Open questions, ranked.
    var openQuestions: [ServerEvent.QuestionItem] = []
    /// Open questions in all (the list may hold fewer).
    var openTotal = 0
    private var questionsVersion: UInt64?

    var hands: [ServerEvent.Hands.Item] = []
    var handsTotal = 0
    /// When the hands list arrived: `waitedSeconds` grows from there.
    var handsReceivedAt: Double
    private var handsVersion: UInt64?

    /// Reactions of the latest `reactions` event and when it came.
    var recentReactions: [String: Int] = [:]
    var recentReactionsAt: Double?
    var reactionTotals: [String: Int] = [:]

    var focus = Focus.questions
    /// Index into ``questionRows``.
    private(set) var selectedQuestion = 0
    /// The selected question's id: a re-ranked list keeps the selection on the same question.
    private(set) var selectedQuestionID: String?
    private(set) var selectedHand = 0
    private(set) var selectedHandID: String?
    var status: Status?

    init(spaceID: String, title: String, now: Double) {
        self.spaceID = spaceID
        self.title = title
        self.startedAt = now
        self.now = now
        self.handsReceivedAt = now
    }

    /// The rows of the question list: the one on air first, then the open ones by rank.
    var questionRows: [ServerEvent.QuestionItem] {
        (self.onAir.map { [$0] } ?? []) + self.openQuestions
    }

    var selectedQuestionItem: ServerEvent.QuestionItem? {
        let rows = self.questionRows
        return rows.indices.contains(self.selectedQuestion) ? rows[self.selectedQuestion] : nil
    }

    var selectedHandItem: ServerEvent.Hands.Item? {
        self.hands.indices.contains(self.selectedHand) ? self.hands[self.selectedHand] : nil
    }

    /// Joins per second over the last ``joinWindowSeconds``: increases of listeners plus
    /// waiting between samples. A join and a leave between two samples cancel out, so this is a
    /// floor of the true rate; a listener moving from the waiting room to a slot is no join.
    var joinsPerSecond: Double? {
        guard let first = self.arrivals.first else { return self.population == nil ? nil : 0 }
        let span = max(1, min(Self.joinWindowSeconds, self.now - first.time))
        return Double(self.arrivals.reduce(0) { $0 + $1.count }) / span
    }

    /// The reaction counts to show as "now", empty once they are stale.
    var currentReactions: [String: Int] {
        guard let at = self.recentReactionsAt, self.now - at <= Self.recentReactionSeconds else { return [:] }
        return self.recentReactions
    }

    /// How long `hand` has waited, as of ``now``.
    func waited(_ hand: ServerEvent.Hands.Item) -> Int {
        hand.waitedSeconds + max(0, Int(self.now - self.handsReceivedAt))
    }

    // MARK: Events

    /// Takes one event from the publish socket. Returns true when the screen changed.
    @discardableResult
    mutating func apply(_ event: ServerEvent, at now: Double) -> Bool {
        self.now = max(self.now, now)
        switch event {
        case .publishing(let publishing):
            self.spaceID = publishing.space.id
            self.title = publishing.space.title
        case .state(let state):
            self.listeners = state.listeners
            if let frames = state.framesRelayed { self.framesRelayed = frames }
            self.sample()
        case .questions(let questions):
            // One socket keeps order; the version guards against a stale copy all the same.
            if let version = self.questionsVersion, questions.version < version { return false }
            self.questionsVersion = questions.version
            self.onAir = questions.onAir
            self.openQuestions = questions.top
            self.openTotal = questions.total
            self.reselectQuestion()
        case .hands(let hands):
            if let version = self.handsVersion, hands.version < version { return false }
            self.handsVersion = hands.version
            self.hands = hands.hands
            self.handsTotal = hands.total
            self.handsReceivedAt = self.now
            self.reselectHand()
        case .reactions(let reactions):
            self.recentReactions = reactions.counts
            self.recentReactionsAt = self.now
            for (emoji, count) in reactions.counts { self.reactionTotals[emoji, default: 0] += count }
        case .applied(let applied):
            self.status = Status(kind: .applied, text: "✓ \(applied.action) \(applied.target)")
        case .error(let error):
            self.status = Status(kind: .refused, text: "✗ \(error.code): \(error.message)")
        case .ended:
            self.ended = true
            self.status = Status(kind: .note, text: "the Space ended")
        default:
            return false
        }
        return true
    }

    /// Takes the figures of `GET /v1/spaces/{id}` (the only source of `waiting`).
    mutating func apply(_ info: SpaceInfo, at now: Double) {
        self.now = max(self.now, now)
        self.title = info.title
        self.listeners = info.listeners
        self.waiting = info.waiting
        if info.state == .ended { self.ended = true }
        self.sample()
    }

    /// Moves the clock on (waited seconds, stale reactions, the window of joins).
    mutating func tick(at now: Double) {
        self.now = max(self.now, now)
        self.arrivals.removeAll { self.now - $0.time > Self.joinWindowSeconds }
    }

    private mutating func sample() {
        let population = (self.listeners ?? 0) + (self.waiting ?? 0)
        if let previous = self.population, population > previous {
            self.arrivals.append((self.now, population - previous))
        }
        self.population = population
        self.arrivals.removeAll { self.now - $0.time > Self.joinWindowSeconds }
    }

    private mutating func reselectQuestion() {
        let rows = self.questionRows
        if let id = self.selectedQuestionID, let index = rows.firstIndex(where: { $0.id == id }) {
            self.selectedQuestion = index
        } else {
            self.selectedQuestion = Self.clamp(self.selectedQuestion, rows.count)
            self.selectedQuestionID = rows.isEmpty ? nil : rows[self.selectedQuestion].id
        }
    }

    private mutating func reselectHand() {
        if let id = self.selectedHandID, let index = self.hands.firstIndex(where: { $0.listenerId == id }) {
            self.selectedHand = index
        } else {
            self.selectedHand = Self.clamp(self.selectedHand, self.hands.count)
            self.selectedHandID = self.hands.isEmpty ? nil : self.hands[self.selectedHand].listenerId
        }
    }

    private static func clamp(_ index: Int, _ count: Int) -> Int {
        max(0, min(index, count - 1))
    }

    // MARK: Keys

    /// Takes one key; returns what to send (or to quit).
    ///
    /// Question keys act on the selected question and `i` on the selected hand whichever list
    /// has the focus: each key names its kind of target, and the arrows move in the focused list.
    mutating func press(_ key: ConsoleKey) -> [Effect] {
        switch key {
        case .up, .character("k"):
            self.move(by: -1)
        case .down, .character("j"):
            self.move(by: 1)
        case .tab:
            self.focus = self.focus == .questions ? .hands : .questions
        case .character("q"), .interrupt:
            return [.quit]
        case .character("p"):
            return self.questionAction { .pick(questionID: $0.id) }
        case .character("a"):
            return self.questionAction { .answer(questionID: $0.id) }
        case .character("d"):
            return self.questionAction { .dismiss(questionID: $0.id) }
        case .character("n"):
            return self.questionAction { $0.pinned ? .unpin(questionID: $0.id) : .pin(questionID: $0.id) }
        case .character("i"):
            guard let hand = self.selectedHandItem else {
                self.status = Status(kind: .note, text: "no hand selected")
                return []
            }
            return self.sending(.invite(listenerID: hand.listenerId))
        case .character:
            break
        }
        return []
    }

    private mutating func questionAction(_ make: (ServerEvent.QuestionItem) -> HostAction) -> [Effect] {
        guard let question = self.selectedQuestionItem else {
            self.status = Status(kind: .note, text: "no question selected")
            return []
        }
        return self.sending(make(question))
    }

    private mutating func sending(_ action: HostAction) -> [Effect] {
        self.status = Status(kind: .pending, text: "… \(action.name) \(action.target)")
        return [.send(action)]
    }

    private mutating func move(by delta: Int) {
        switch self.focus {
        case .questions:
            let rows = self.questionRows
            self.selectedQuestion = Self.clamp(self.selectedQuestion + delta, rows.count)
            self.selectedQuestionID = rows.isEmpty ? nil : rows[self.selectedQuestion].id
        case .hands:
            self.selectedHand = Self.clamp(self.selectedHand + delta, self.hands.count)
            self.selectedHandID = self.hands.isEmpty ? nil : self.hands[self.selectedHand].listenerId
        }
    }
}
