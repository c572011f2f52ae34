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

    init(settings: SpacesConfiguration.Conversation) {
        self.state = Mutex(Conversation(settings: settings))
    }

    var settings: SpacesConfiguration.Conversation { self.state.withLock { $0.settings } }

    // MARK: Listeners

    /// Call on the listener's loop when it is admitted.
    func join(_ listenerID: UInt64, connection: ListenerConnection, eventLoop: any EventLoop) {
        let member = Member(
            eventLoop: eventLoop, connection: NIOLoopBound(connection, eventLoop: eventLoop), identity: ObjectIdentifier(connection)
        )
        self.members.withLock { $0[listenerID] = member }
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
        try self.state.withLock { state throws(QuestionQueueError) in try state.receive(event, from: listenerID, nowMicros: nowMicros) }
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
        self.state.withLock { ($0.hostQuestions(top: $0.settings.hostQuestions), $0.hostHands(nowMicros: nowMicros)) }
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
        var byLoop: [ObjectIdentifier: (any EventLoop, [(NIOLoopBound<ListenerConnection>, ByteBuffer, SharedUpdate.Kind)])] = [:]
        self.members.withLock { members in
            for (listenerID, event) in messages {
                guard let member = members[listenerID] else { continue }
                let key = ObjectIdentifier(member.eventLoop)
                // An asker's question is coalesced like a shared update (the latest one counts);
                // an invitation is never dropped.
                let kind: SharedUpdate.Kind = if case .question = event { .ownQuestion } else { .control }
                byLoop[key, default: (member.eventLoop, [])].1.append((member.connection, PreframedMessage.text(event.json()).bytes, kind))
            }
        }
        for (loop, batch) in byLoop.values {
            loop.execute {
                for (connection, bytes, kind) in batch { connection.value.sendLatest(kind, bytes) }
            }
        }
    }
}
