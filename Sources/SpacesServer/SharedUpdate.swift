import NIOCore
import SpacesCore

/// A text event for every listener of a Space, framed once (and compressed once) for all.
///
/// The shard writes the same buffer to each listener, as it does audio: `plain` to listeners
/// without permessage-deflate, `deflated` (when there is one) to those that negotiated it. A
/// listener that cannot take it now keeps only the latest update of its ``Kind``.
struct SharedUpdate: Sendable {
    /// What a listener keeps at most one of while it cannot be written to: the latest of each
    /// kind replaces the older, so a slow listener catches up with one message per kind, never
    /// a backlog. `control` events are not coalesced (an invitation, an end).
    enum Kind: Int, CaseIterable, Sendable {
        case state
        case questions
        case reactions
        /// An asker's own question: personal, but coalesced like the shared ones.
        case ownQuestion
        case control
    }

    let kind: Kind
    let plain: ByteBuffer
    let deflated: ByteBuffer?

    init(kind: Kind, plain: ByteBuffer, deflated: ByteBuffer? = nil) {
        self.kind = kind
        self.plain = plain
        self.deflated = deflated
    }

    /// Frames `event` once, and compresses it once when `deflate` is given. A compressed frame
    /// no smaller than the plain one is not kept: everyone gets the plain one.
    init(kind: Kind, event: ServerEvent, deflate: ((String) -> ByteBuffer)? = nil) {
        let json = event.json()
        let plain = PreframedMessage.text(json).bytes
        let deflated = deflate?(json)
        self.init(kind: kind, plain: plain, deflated: deflated.flatMap { $0.readableBytes < plain.readableBytes ? $0 : nil })
    }

    /// The frame for a listener that did or did not negotiate compression.
    func bytes(compressed: Bool) -> ByteBuffer {
        compressed ? (self.deflated ?? self.plain) : self.plain
    }
}
