import Synchronization

/// The port a node is bound to, known once it is bound; readable from any thread.
final class BoundPort: Sendable {
    private let storage = Atomic<Int>(0)
    init() {}
    var value: Int { self.storage.load(ordering: .relaxed) }
    func set(_ port: Int) { self.storage.store(port, ordering: .relaxed) }
}
