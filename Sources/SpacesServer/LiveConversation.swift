import NIOCore
import SpacesCore
import Synchronization

/// One Space's ``Conversation`` on this node, shared by every event loop, and the admitted
/// listeners it may need to reach one by one (an asker's own question, an invitation).
///
/// Listener messages and host actions take the lock for a few microseconds each; the fan-out of
/// what everyone sees happens outside it, from ``tick(nowMicros:)``.
final class LiveConversation: Sendable {
    /// An admitted listener, reachable on its own loop.
    struct Member: Sendable {
        let eventLoop: any EventLoop
        let connection: NIOLoopBound<ListenerConnection>
        let identity: ObjectIdentifier
    }

    private let state: Mutex<Conversation>
    private let members = Mutex<[UInt64: Member]>([:])
    private let latest = Mutex<SharedUpdate?>(nil)

    let settings: SpacesConfiguration.Conversation

    init(settings: SpacesConfiguration.Conversation) {
        self.settings = settings
        self.state = Mutex(Conversation(settings: settings))
    }

    // MARK: Listeners

    /// Call on the listener's loop when it is admitted. Returns what it should know of its own
    /// part (a listener coming back with a resume token may have a question open or a hand up).
    func join(_ listenerID: UInt64, connection: ListenerConnection, eventLoop: any EventLoop) -> [ServerEvent] {
        let member = Member(
            eventLoop: eventLoop, connection: NIOLoopBound(connection, eventLoop: eventLoop), identity: ObjectIdentifier(connection)
        )
        self.members.withLock { $0[listenerID] = member }
        return self.state.withLock { $0.standing(of: listenerID) }
    }

    /// The listener left: it can no longer be reached, and its hand goes down. A resumed
    /// listener joined again under the same id first, so only its own entry is removed.
    func leave(_ listenerID: UInt64, connection: ListenerConnection) {
        let removed = self.members.withLock { members -> Bool in
            guard let member = members[listenerID], member.identity == ObjectIdentifier(connection) else { return false }
            members[listenerID] = nil
            return true
        }
        if removed { self.state.withLock { $0.listenerLeft(listenerID) } }
    }

    func receive(_ event: ClientEvent, from listenerID: UInt64, nowMicros: UInt64) throws(QuestionQueueError) -> ServerEvent? {
        var event = event
        if case .ask(let text) = event {
            // The text's checks walk up to a message's worth of characters: before the lock,
            // so a listener sending long refused texts holds up nobody else. (The queue checks
            // the normalised text again, which is short.)
            event = .ask(text: try Question.normalize(text, maximumLength: self.settings.questionQueue.maximumTextLength))
        }
        return try self.state.withLock { state throws(QuestionQueueError) in try state.receive(event, from: listenerID, nowMicros: nowMicros) }
    }

    // MARK: Host

    /// Applies a host action and sends `invited` to the invited listener.
    func perform(_ action: HostAction) throws(QuestionQueueError) -> Conversation.Outcome {
        let outcome = try self.state.withLock { state throws(QuestionQueueError) in try state.perform(action) }
        if let invited = outcome.invited {
            self.send([(invited, .invited)])
        }
        return outcome
    }

    func hostQuestions() -> ServerEvent.Questions { self.state.withLock { $0.hostQuestions() } }
    func hostHands(nowMicros: UInt64) -> ServerEvent.Hands { self.state.withLock { $0.hostHands(nowMicros: nowMicros) } }

    /// The host's view right now: the queue (as long as `conversation.hostQuestions`) and the hands.
    func hostView(nowMicros: UInt64) -> (ServerEvent.Questions, ServerEvent.Hands) {
        self.state.withLock { ($0.hostQuestions(top: $0.settings.hostQuestionCount), $0.hostHands(nowMicros: nowMicros)) }
    }

    // MARK: Fan-out

    /// The `questions` update last fanned out, framed: a listener admitted later gets it with
    /// its `welcome`, so it sees the queue at once instead of at the next change.
    var latestQuestions: SharedUpdate? {
        get { self.latest.withLock { $0 } }
        set { self.latest.withLock { $0 = newValue } }
    }

    /// What is due now; personal messages are sent from here, each on its listener's loop.
    func tick(nowMicros: UInt64) -> Conversation.Updates {
        let updates = self.state.withLock { $0.due(nowMicros: nowMicros) }
        if !updates.personal.isEmpty {
            self.send(updates.personal.map { ($0.listenerID, ServerEvent.question($0.question)) })
        }
        return updates
    }

    /// Sends each event to its listener: one hop per event loop, whatever the count.
    private func send(_ messages: [(UInt64, ServerEvent)]) {
        // The members are looked up under the lock; the messages are encoded outside it, so
        // admissions and leaves on every loop never wait for JSON.
        let found: [(Member, ServerEvent)] = self.members.withLock { members in
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
