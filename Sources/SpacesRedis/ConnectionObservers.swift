import Synchronization

/// Callbacks told when a connection to Redis comes up (true) or is lost (false).
final class ConnectionObservers: Sendable {
    private let observers = Mutex<[@Sendable (Bool) -> Void]>([])

    func add(_ observer: @escaping @Sendable (Bool) -> Void) {
        self.observers.withLock { $0.append(observer) }
    }

    func notify(_ up: Bool) {
        for observer in self.observers.withLock({ $0 }) { observer(up) }
    }
}
