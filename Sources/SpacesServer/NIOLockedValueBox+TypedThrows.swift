import NIOConcurrencyHelpers

extension NIOLockedValueBox {
    /// `withLockedValue` for a body that throws a typed error (NIO's rethrows `any Error`).
    func withLockedValueThrowing<T, E: Error>(_ body: (inout Value) throws(E) -> T) throws(E) -> T {
        try self.withLockedValue { value in Result { () throws(E) -> T in try body(&value) } }.get()
    }
}
