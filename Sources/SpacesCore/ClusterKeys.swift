/// The names of the cluster's Redis keys and channels (docs/PROTOCOL.md §9).
///
/// A Space's keys and its audio channel share the hash tag `{id}`, so on Redis Cluster they
/// live in one slot and its sharded channel travels within one shard.
public struct ClusterKeys: Sendable, Equatable {
    public let prefix: String

    public init(prefix: String) {
        self.prefix = prefix
    }

    /// Hash: the ``SpaceRecord``.
    public func space(_ id: String) -> String { "\(self.prefix):space:{\(id)}" }
    /// Hash: node id → "listeners,unix-µs" of that node's last heartbeat.
    public func listeners(_ id: String) -> String { "\(self.prefix):space:{\(id)}:listeners" }
    /// Hash: node id → "granted,occupied,waiting,unix-µs,epoch,admissions-per-second", each
    /// node's lease of the Space's capacity.
    public func slots(_ id: String) -> String { "\(self.prefix):space:{\(id)}:slots" }
    /// Sorted set: the Space's one line, member "node/connection", score the arrival (Unix µs).
    public func line(_ id: String) -> String { "\(self.prefix):space:{\(id)}:line" }
    /// Hash: listener id → "<end of grace, unix µs>,<node>": slots held for a resume, which a
    /// listener may take to another node.
    public func held(_ id: String) -> String { "\(self.prefix):space:{\(id)}:held" }
    /// Set: listener ids whose held slot another node took over; read and emptied by `node`.
    public func moved(_ id: String, node: String) -> String { "\(self.prefix):space:{\(id)}:moved:\(node)" }
    /// Set: listener ids whose slot moved to another node after their node died (each moves once).
    public func resumed(_ id: String) -> String { "\(self.prefix):space:{\(id)}:resumed" }
    /// The Space's conversation (docs/PROTOCOL.md §15). Hash: `seq` (questions asked), `rev`
    /// (changes to the questions), `hands` (changes to the hands), `onair` (the question on air).
    public func conversation(_ id: String) -> String { "\(self.prefix):space:{\(id)}:conversation" }
    /// Hash: question id → ``StoredQuestion`` record. Each question's voters are the set
    /// `<this key>:<question id>:voters`, deleted when the question closes.
    public func questions(_ id: String) -> String { "\(self.prefix):space:{\(id)}:questions" }
    /// Sorted set: the open questions, score −(votes + 2⁴⁰ if pinned), ties in order of asking.
    public func ranking(_ id: String) -> String { "\(self.prefix):space:{\(id)}:ranking" }
    /// Hash: listener id → its open or on-air question.
    public func askers(_ id: String) -> String { "\(self.prefix):space:{\(id)}:askers" }
    /// Sorted set: closed questions by votes, the first evicted when the queue is full.
    public func finished(_ id: String) -> String { "\(self.prefix):space:{\(id)}:finished" }
    /// Sorted set: raised hands, listener id → raised at (Unix µs).
    public func hands(_ id: String) -> String { "\(self.prefix):space:{\(id)}:hands" }
    /// List: questions closed since the leader last read them (their askers are told).
    public func closed(_ id: String) -> String { "\(self.prefix):space:{\(id)}:closed" }
    /// Hash: emoji → reactions counted by every node since the leader last read them.
    public func reactions(_ id: String) -> String { "\(self.prefix):space:{\(id)}:reactions" }
    /// String: the node leading the Space's conversation, expiring (the lease).
    public func leader(_ id: String) -> String { "\(self.prefix):space:{\(id)}:leader" }
    /// String: the latest shared views (a ``ConversationBroadcast`` without personal parts),
    /// for a node that starts serving the Space.
    public func view(_ id: String) -> String { "\(self.prefix):space:{\(id)}:view" }
    /// Set: the ids of every Space in the directory.
    public var spaces: String { "\(self.prefix):spaces" }
    /// String (JSON ``NodeLoad``), expiring after `cluster.nodeTTLSeconds`.
    public func node(_ id: String) -> String { "\(self.prefix):node:\(id)" }
    /// Set: the ids of nodes that have beaten at least once (pruned when their key expired).
    public var nodes: String { "\(self.prefix):nodes" }
    /// Sharded channel: the Space's audio and its conversation updates, as ``ClusterEnvelope``s.
    public func audio(_ id: String) -> String { "\(self.prefix):audio:{\(id)}" }
    /// Classic channel: directory events, `ended <id>`.
    public var events: String { "\(self.prefix):events" }

    /// The Space id of an audio channel's name, or nil if the name is not one.
    public func spaceID(ofAudioChannel name: String) -> String? {
        let head = "\(self.prefix):audio:{"
        guard name.hasPrefix(head), name.hasSuffix("}"), name.count > head.count + 1 else { return nil }
        return String(name.dropFirst(head.count).dropLast())
    }
}
