/// `GET /v1/spaces/{id}`: the public view of a Space.
public struct SpaceInfo: Codable, Sendable, Equatable {
    public var id: String
    public var title: String
    public var state: SpaceState
    public var listeners: Int
    /// Connections in the waiting room.
    public var waiting: Int
    /// Audio batches not sent to listeners that could not keep up, since the Space started.
    public var dropped: Int
    public var capacity: Int
    /// ISO 8601, UTC.
    public var createdAt: String
    /// `open` or `invite` (absent from nodes before invites: open).
    public var access: SpaceAccess?
    /// In a cluster: where to listen, on a live node with room (absent on a single node).
    public var listenURL: String?
    /// In a cluster: the WebSocket bases (`ws://host:port`) of the live nodes, at most 64,
    /// for clients that fail over or spread themselves (`spaces loadtest`).
    public var nodes: [String]?

    public init(
        id: String, title: String, state: SpaceState, listeners: Int, waiting: Int = 0, dropped: Int = 0, capacity: Int,
        createdAt: String, listenURL: String? = nil, access: SpaceAccess? = nil
    ) {
        self.access = access
        self.listenURL = listenURL
        self.id = id
        self.title = title
        self.state = state
        self.listeners = listeners
        self.waiting = waiting
        self.dropped = dropped
        self.capacity = capacity
        self.createdAt = createdAt
    }
}

/// `GET /v1/spaces`.
public struct SpaceList: Codable, Sendable, Equatable {
    public var spaces: [SpaceInfo]
    public init(spaces: [SpaceInfo]) { self.spaces = spaces }
}
