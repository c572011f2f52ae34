import NIOCore
import SpacesCore

/// What a node shares with the other nodes of its cluster: the directory of Spaces, the
/// nodes' load, and each Space's audio. An embedded node has none (`nil`).
///
/// Every call returns at once; what needs Redis completes a future on the caller's loop, and
/// fails (never hangs) while Redis is unavailable.
protocol Broker: AnyObject, Sendable {
    var nodeID: String { get }

    /// Writes a new Space to the directory.
    func register(_ space: LiveSpace, on eventLoop: any EventLoop) -> EventLoopFuture<Void>
    /// Marks a Space ended in the directory and tells every node.
    func ended(_ space: LiveSpace)
    /// The directory's record of a Space this node does not hold yet.
    func record(id: String, on eventLoop: any EventLoop) -> EventLoopFuture<SpaceRecord?>
    /// Every Space in the directory, newest first.
    func records(on eventLoop: any EventLoop) -> EventLoopFuture<[SpaceRecord]>
    /// Listeners of each Space over all live nodes.
    func listenerCounts(ids: [String], on eventLoop: any EventLoop) -> EventLoopFuture<[String: Int]>
    /// The nodes whose heartbeat has not expired.
    func liveNodes(on eventLoop: any EventLoop) -> EventLoopFuture<[NodeLoad]>
    /// A validated, sequenced batch (as listeners receive it) from a host on this node.
    func publish(_ batch: ByteBuffer, space: LiveSpace)
    /// Where a listener goes if this node is lost: live nodes' WebSocket bases, at most 8 (as
    /// of the last heartbeat; nil while none is known).
    var failoverNodes: [String]? { get }
    /// This node's first listener (or the host) of `space` came (true) or its last left (false).
    func listening(to space: LiveSpace, _ active: Bool)

    // The conversation of a Space, kept in the cluster (``RedisBroker`` documents each). The
    // futures complete on the broker's loop and fail with a ``QuestionQueueError``.
    func listenerAction(_ event: ClientEvent, listenerID: UInt64, spaceID: String, settings: SpacesConfiguration.Conversation) -> EventLoopFuture<ServerEvent?>
    func hostAction(_ action: HostAction, spaceID: String) -> EventLoopFuture<Conversation.Outcome>
    func standing(of listenerID: UInt64, spaceID: String) -> EventLoopFuture<[ServerEvent]>
    func addReactions(_ counts: [String: Int], spaceID: String)
    func conversationState(
        spaceID: String, lead: Bool, revision: UInt64?, handsVersion: UInt64?, takeReactions: Bool, leaseMillis: Int
    ) -> EventLoopFuture<ConversationDigest.Input?>
    func broadcast(_ broadcast: ConversationBroadcast, spaceID: String, keep: ConversationBroadcast?)
}
