import NIOConcurrencyHelpers

/// Callbacks told when a connection to Redis comes up (true) or is lost (false).
final class ConnectionObservers: Sendable {
    private let observers = NIOLockedValueBox<[@Sendable (Bool) -> Void]>([])

    func add(_ observer: @escaping @Sendable (Bool) -> Void) {
        self.observers.withLockedValue { $0.append(observer) }
    }

    /// Forgets every observer: a closed connection calls nobody, and holds nothing its
    /// observers hold (they often hold its owner: a cycle that would outlive the owner).
    func removeAll() {
        self.observers.withLockedValue { $0.removeAll() }
    }

    func notify(_ up: Bool) {
        for observer in self.observers.withLockedValue({ $0 }) { observer(up) }
    }
}
