import NIOConcurrencyHelpers

/// Callbacks told when a connection to Redis comes up (true) or is lost (false).
final class ConnectionObservers: Sendable {
    private let observers = NIOLockedValueBox<[@Sendable (Bool) -> Void]>([])

    func add(_ observer: @escaping @Sendable (Bool) -> Void) {
        self.observers.withLockedValue { $0.append(observer) }
    }

    func notify(_ up: Bool) {
        for observer in self.observers.withLockedValue({ $0 }) { observer(up) }
    }
}
