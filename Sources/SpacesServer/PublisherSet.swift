import NIOCore
import SpacesCore
import Synchronization

/// The publisher connections of the node, so that a drain can close them too.
final class PublisherSet: Sendable {
    private struct Entry: Sendable {
        let eventLoop: any EventLoop
        let connection: NIOLoopBound<PublisherConnection>
        let space: ObjectIdentifier
    }

    private let entries = Mutex<[ObjectIdentifier: Entry]>([:])

    /// Call on the connection's loop.
    func insert(_ connection: PublisherConnection, eventLoop: any EventLoop) {
        let entry = Entry(
            eventLoop: eventLoop, connection: NIOLoopBound(connection, eventLoop: eventLoop), space: ObjectIdentifier(connection.space)
        )
        self.entries.withLock { $0[ObjectIdentifier(connection)] = entry }
    }

    func remove(_ connection: PublisherConnection) {
        self.entries.withLock { $0[ObjectIdentifier(connection)] = nil }
    }

    var count: Int { self.entries.withLock { $0.count } }

    /// Sends text events to the publisher of `space`, if one is attached, on its loop.
    func send(_ events: [ServerEvent], to space: LiveSpace) {
        let key = ObjectIdentifier(space)
        guard let entry = self.entries.withLock({ $0.values.first { $0.space == key } }) else { return }
        let frames = events.map { PreframedMessage.text($0.json()).bytes }
        let connection = entry.connection
        entry.eventLoop.execute { connection.value.sendUpdates(frames) }
    }

    /// Closes every publisher with `code`, each on its loop.
    func closeAll(_ code: CloseCode, reason: String) {
        for entry in self.entries.withLock({ Array($0.values) }) {
            let connection = entry.connection
            entry.eventLoop.execute { connection.value.close(code, reason: reason) }
        }
    }
}
