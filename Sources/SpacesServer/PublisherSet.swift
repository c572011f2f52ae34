import NIOCore
import SpacesCore
import NIOConcurrencyHelpers

/// The publisher connections of the node, by Space (a Space has one publisher seat), so that
/// the host's view reaches it and a drain can close them too.
final class PublisherSet: Sendable {
    private struct Entry: Sendable {
        let eventLoop: any EventLoop
        let connection: NIOLoopBound<PublisherConnection>
        let identity: ObjectIdentifier
    }

    private let entries = NIOLockedValueBox<[ObjectIdentifier: Entry]>([:])

    /// Call on the connection's loop, once it holds its Space's seat.
    func insert(_ connection: PublisherConnection, eventLoop: any EventLoop) {
        let entry = Entry(
            eventLoop: eventLoop, connection: NIOLoopBound(connection, eventLoop: eventLoop), identity: ObjectIdentifier(connection)
        )
        self.entries.withLockedValue { $0[ObjectIdentifier(connection.space)] = entry }
    }

    func remove(_ connection: PublisherConnection) {
        let key = ObjectIdentifier(connection.space)
        self.entries.withLockedValue { entries in
            if entries[key]?.identity == ObjectIdentifier(connection) { entries[key] = nil }
        }
    }

    var count: Int { self.entries.withLockedValue { $0.count } }

    /// Sends text events to the publisher of `space`, if one is attached, on its loop.
    func send(_ events: [ServerEvent], to space: LiveSpace) {
        guard let entry = self.entries.withLockedValue({ $0[ObjectIdentifier(space)] }) else { return }
        let frames = events.map { PreframedMessage.text($0.json()).bytes }
        let connection = entry.connection
        entry.eventLoop.execute { connection.value.sendUpdates(frames) }
    }

    /// Closes every publisher with `code`, each on its loop.
    func closeAll(_ code: CloseCode, reason: String) {
        for entry in self.entries.withLockedValue({ Array($0.values) }) {
            let connection = entry.connection
            entry.eventLoop.execute { connection.value.close(code, reason: reason) }
        }
    }
}
