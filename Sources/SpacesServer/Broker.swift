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
    /// This node's first listener of `space` came (true) or its last left (false).
    func listening(to space: LiveSpace, _ active: Bool)
}
