import NIOCore
import NIOHTTP1

/// When an HTTP connection that is not (yet) a WebSocket is closed: its request must arrive in
/// time, and a keep-alive one may not stay idle too long (`limits.requestSeconds`,
/// `limits.idleSeconds`).
///
/// Kept by ``APIHandler``, which sits after the HTTP decoder and writes every answer: a request
/// counts as arrived at its `.end`. The clock starts when the connection opens (the request must
/// be whole within `requestSeconds`), when a request's head comes after an idle spell
/// (`requestSeconds` for the rest of it), and when an answer ends (the next request must be
/// whole within the longer of `idleSeconds` and `requestSeconds`: a browser's idle keep-alive is
/// not cut short; after a closing answer, the peer must have read it by then). A connection that upgrades to a WebSocket loses it with the handler. Touched
/// on its channel's event loop only.
struct RequestDeadline {
    private let request: TimeAmount
    private let idle: TimeAmount
    private var timer: Scheduled<Void>?
    /// A request is under way (its head came, its end not yet).
    private var receiving = false

    init(requestSeconds: Int, idleSeconds: Int) {
        self.request = .seconds(Int64(max(1, requestSeconds)))
        self.idle = .seconds(Int64(max(1, max(requestSeconds, idleSeconds))))
    }

    /// The connection is open: its first request has `requestSeconds`.
    mutating func opened(_ channel: any Channel) {
        self.arm(self.request, channel)
    }

    /// A part of a request arrived.
    mutating func received(_ part: HTTPServerRequestPart, _ channel: any Channel) {
        switch part {
        case .head:
            if !self.receiving {
                // A new request after an idle spell: it has `requestSeconds` from now.
                self.receiving = true
                self.arm(self.request, channel)
            }
        case .body:
            break
        case .end:
            // Arrived whole: the answer is the node's to give (in a cluster it may wait on Redis).
            self.receiving = false
            self.cancel()
        }
    }

    /// An answer is being ended: the next request (or, for a closing answer, the peer's reading
    /// of this one) has until the idle limit. Called before the end is written.
    mutating func answered(_ channel: any Channel) {
        if !self.receiving { self.arm(self.idle, channel) }
    }

    mutating func cancel() {
        self.timer?.cancel()
        self.timer = nil
    }

    private mutating func arm(_ delay: TimeAmount, _ channel: any Channel) {
        self.timer?.cancel()
        self.timer = channel.eventLoop.scheduleTask(in: delay) { channel.close(promise: nil) }
    }
}
