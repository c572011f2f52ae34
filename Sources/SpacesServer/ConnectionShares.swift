import NIOCore
import SpacesCore
import NIOConcurrencyHelpers

/// Open connections per source address (`limits.connectionsPerAddress`): one machine cannot take
/// every file the node may open. Trusted proxies (`server.trustedProxies`) are not counted:
/// everyone behind them would share their address.
final class ConnectionShares: Sendable {
    let limit: Int
    private let trusted: [AddressRange]
    private let open = NIOLockedValueBox<[SourceAddress: Int]>([:])

    init(limit: Int, trusted: [AddressRange]) {
        self.limit = max(0, limit)
        self.trusted = trusted
    }

    /// Takes a place for a new connection from `peer`; false if its address holds all of its
    /// share. The place is given back when the channel closes.
    func admit(_ channel: any Channel) -> Bool {
        guard self.limit > 0, let bytes = channel.remoteAddress?.bytes, !self.trusted.contains(where: { $0.contains(bytes) }),
            let source = SourceAddress(bytes: bytes)
        else { return true }
        let taken = self.open.withLockedValue { open -> Bool in
            let count = open[source] ?? 0
            guard count < self.limit else { return false }
            open[source] = count + 1
            return true
        }
        guard taken else { return false }
        channel.closeFuture.whenComplete { _ in
            self.open.withLockedValue { open in
                let count = (open[source] ?? 1) - 1
                open[source] = count > 0 ? count : nil
            }
        }
        return true
    }

    /// Connections open from `source` now.
    func count(_ source: SourceAddress) -> Int { self.open.withLockedValue { $0[source] ?? 0 } }
}
