import NIOCore
import SpacesCore

/// The listeners of one event loop, grouped by Space.
///
/// Owned by its event loop: every method runs on it. A broadcast reaches a shard in one hop
/// and is written to each of its listeners of that Space with the same buffer, with no
/// promise and no await; a listener that cannot take it misses it.
public final class Shard {
    public let eventLoop: any EventLoop
    private var spaces: [ObjectIdentifier: Group] = [:]
    /// Batches not written because a listener was behind, since start.
    public private(set) var droppedBatches = 0
    /// Audio writes made, since start.
    public private(set) var audioWrites = 0

    final class Group {
        var listeners: ContiguousArray<ListenerConnection> = []
    }

    init(eventLoop: any EventLoop) {
        self.eventLoop = eventLoop
    }

    /// Number of listeners on this shard, all Spaces together.
    public var listenerCount: Int {
        self.eventLoop.assertInEventLoop()
        return self.spaces.values.reduce(0) { $0 + $1.listeners.count }
    }

    func add(_ listener: ListenerConnection) {
        self.eventLoop.assertInEventLoop()
        let key = ObjectIdentifier(listener.space)
        let group: Group
        if let existing = self.spaces[key] {
            group = existing
        } else {
            group = Group()
            self.spaces[key] = group
        }
        listener.slot = group.listeners.count
        group.listeners.append(listener)
    }

    func remove(_ listener: ListenerConnection) {
        self.eventLoop.assertInEventLoop()
        let key = ObjectIdentifier(listener.space)
        guard let group = self.spaces[key], listener.slot >= 0, listener.slot < group.listeners.count,
            group.listeners[listener.slot] === listener
        else { return }
        let slot = listener.slot
        let last = group.listeners.removeLast()
        if slot < group.listeners.count {
            group.listeners[slot] = last
            last.slot = slot
        }
        listener.slot = -1
        if group.listeners.isEmpty { self.spaces[key] = nil }
    }

    /// Writes a pre-framed audio batch to every listener of `space` that can take it.
    func deliverAudio(_ bytes: ByteBuffer, to space: ObjectIdentifier) {
        self.eventLoop.assertInEventLoop()
        guard let group = self.spaces[space] else { return }
        var sent = 0
        for listener in group.listeners where listener.sendAudio(bytes) {
            sent &+= 1
        }
        self.audioWrites &+= sent
        self.droppedBatches &+= group.listeners.count - sent
    }

    /// Writes a pre-framed control event to every listener of `space`.
    func deliverControl(_ bytes: ByteBuffer, to space: ObjectIdentifier) {
        self.eventLoop.assertInEventLoop()
        guard let group = self.spaces[space] else { return }
        for listener in group.listeners {
            listener.sendControl(bytes)
        }
    }

    /// Sends `ended` to every listener of `space` and starts closing them.
    func end(_ space: ObjectIdentifier, reason: String) {
        self.eventLoop.assertInEventLoop()
        guard let group = self.spaces[space] else { return }
        for listener in Array(group.listeners) {
            listener.sendEndedAndClose(reason: reason)
        }
    }

    /// Closes every listener with `code` (server drain).
    func closeAll(_ code: CloseCode, reason: String) {
        self.eventLoop.assertInEventLoop()
        for group in Array(self.spaces.values) {
            for listener in Array(group.listeners) {
                listener.close(code, reason: reason)
            }
        }
    }
}

@available(*, unavailable)
extension Shard: Sendable {}
