/// A Space as the cluster's directory holds it (one Redis hash per Space).
///
/// Every node reads it to serve a Space it did not create: its identity, its limits, where it
/// started, and the digest of its host token (never the token itself), so that a host can
/// publish or end it through any node.
public struct SpaceRecord: Sendable, Equatable {
    public var id: String
    public var title: String
    public var state: SpaceState
    public var capacity: Int
    public var channels: Int
    /// The node that created it.
    public var origin: String
    /// Unix µs.
    public var createdMicros: UInt64
    public var endedMicros: UInt64
    /// SHA-256 of the host token, hex.
    public var hostTokenDigest: String
    /// Who may listen (v2; a v1 record is open).
    public var access: SpaceAccess
    /// The host that created it: a host token's subject, or empty for the operator's key (v2).
    public var owner: String

    public init(
        id: String, title: String, state: SpaceState, capacity: Int, channels: Int, origin: String, createdMicros: UInt64,
        endedMicros: UInt64 = 0, hostTokenDigest: String, access: SpaceAccess = .open, owner: String = ""
    ) {
        self.access = access
        self.owner = owner
        self.id = id
        self.title = title
        self.state = state
        self.capacity = capacity
        self.channels = channels
        self.origin = origin
        self.createdMicros = createdMicros
        self.endedMicros = endedMicros
        self.hostTokenDigest = hostTokenDigest
    }

    /// The hash's fields and values, in a fixed order (`HSET key f1 v1 f2 v2 …`).
    public var fields: [(String, String)] {
        [
            ("v", String(Self.version)), ("id", self.id), ("title", self.title), ("state", self.state.rawValue),
            ("capacity", String(self.capacity)), ("channels", String(self.channels)), ("origin", self.origin),
            ("created", String(self.createdMicros)), ("ended", String(self.endedMicros)), ("host", self.hostTokenDigest),
            ("access", self.access.rawValue), ("owner", self.owner),
        ]
    }

    /// No record is dated after 2100 (a larger value is corrupt, and would not fit a `Date`).
    static let latestMicros: UInt64 = 4_102_444_800_000_000

    /// The record format written in the `v` field; a node refuses a newer one it cannot read.
    /// 2 added `access` and `owner`: a node of version 1 would let anyone into an invite-only
    /// Space, so it must not read one.
    public static let version = 2

    /// Reads `HGETALL`'s field/value pairs; nil when a field is missing or malformed, or the
    /// record is of a newer version.
    public init?(fields: [String: String]) {
        guard let version = fields["v"].flatMap(Int.init), version <= Self.version,
            let id = fields["id"], !id.isEmpty, let title = fields["title"],
            let state = fields["state"].flatMap(SpaceState.init(rawValue:)),
            let capacity = fields["capacity"].flatMap(Int.init), capacity > 0,
            let channels = fields["channels"].flatMap(Int.init), (1...2).contains(channels),
            let origin = fields["origin"], let created = fields["created"].flatMap(UInt64.init), created < Self.latestMicros,
            let host = fields["host"], host.count == 64
        else { return nil }
        let access: SpaceAccess
        if version >= 2 {
            guard let value = fields["access"].flatMap(SpaceAccess.init(rawValue:)) else { return nil }
            access = value
        } else {
            access = .open
        }
        self.init(
            id: id, title: title, state: state, capacity: capacity, channels: channels, origin: origin, createdMicros: created,
            endedMicros: fields["ended"].flatMap(UInt64.init) ?? 0, hostTokenDigest: host, access: access,
            owner: fields["owner"] ?? ""
        )
    }
}
