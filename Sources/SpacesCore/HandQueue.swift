/// One Space's raised hands, in the order they were raised, for the host to invite to speak.
///
/// A plain struct with the time injected, owned by whoever owns the Space. ``version`` grows
/// with every change, so the host's view is sent only when it changed.
public struct HandQueue: Sendable, Equatable {
    public struct Configuration: Sendable, Equatable {
        /// Raised hands kept, default 1,000: far more than a host can look through, and it bounds
        /// the list sent to the host. Past it a raise is refused (`hands_full`); nobody already
        /// in line loses its place.
        public var capacity = 1_000

        public init() {}
    }

    /// A raised hand.
    public struct Hand: Sendable, Equatable {
        public var listenerID: UInt64
        public var raisedAtMicros: UInt64

        public init(listenerID: UInt64, raisedAtMicros: UInt64) {
            self.listenerID = listenerID
            self.raisedAtMicros = raisedAtMicros
        }
    }

    public let configuration: Configuration
    private var hands: [Hand] = []
    private var raised: Set<UInt64> = []
    /// Starts at 0 and grows by one with every change to ``list()``.
    public private(set) var version: UInt64 = 0

    public init(configuration: Configuration = Configuration()) {
        precondition(configuration.capacity >= 0)
        self.configuration = configuration
    }

    public var count: Int { self.hands.count }

    /// The raised hands, first raised first.
    public func list() -> [Hand] { self.hands }

    /// 1-based place of a listener's hand, nil if its hand is down.
    public func position(of listenerID: UInt64) -> Int? {
        guard self.raised.contains(listenerID) else { return nil }
        return self.hands.firstIndex { $0.listenerID == listenerID }.map { $0 + 1 }
    }

    /// Raises a listener's hand at the end of the line and returns its place. Raising a hand
    /// already up changes nothing and keeps its place.
    @discardableResult
    public mutating func raise(listenerID: UInt64, nowMicros: UInt64) throws(QuestionQueueError) -> Int {
        if let position = self.position(of: listenerID) { return position }
        guard self.hands.count < self.configuration.capacity else { throw .handsFull(limit: self.configuration.capacity) }
        self.hands.append(Hand(listenerID: listenerID, raisedAtMicros: nowMicros))
        self.raised.insert(listenerID)
        self.version += 1
        return self.hands.count
    }

    /// Lowers a listener's hand (the listener changed its mind, or left). False if it was down.
    @discardableResult
    public mutating func lower(listenerID: UInt64) -> Bool {
        self.take(listenerID) != nil
    }

    /// The host invites a listener to speak: its hand leaves the line and is returned; nil if
    /// its hand was down.
    public mutating func invite(listenerID: UInt64) -> Hand? {
        self.take(listenerID)
    }

    private mutating func take(_ listenerID: UInt64) -> Hand? {
        guard self.raised.remove(listenerID) != nil,
            let index = self.hands.firstIndex(where: { $0.listenerID == listenerID })
        else { return nil }
        self.version += 1
        return self.hands.remove(at: index)
    }
}
