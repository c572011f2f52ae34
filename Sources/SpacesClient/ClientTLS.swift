#if canImport(Glibc)
import Glibc
#endif
import NIOCore
import NIOSSL
import NIOConcurrencyHelpers

/// TLS for `https://` and `wss://` URLs: the system's trust roots, plus the certificates of
/// one extra PEM file when set (`--cacert`, or `SPACES_CA_CERTIFICATE`), for a node whose
/// certificate comes from a private authority. The server's name (or, for an address
/// literal, its IP) must match the certificate: nothing here turns verification off.
public enum ClientTLS {
    private struct State {
        var extraRoots: String?
        var context: NIOSSLContext?
    }

    private static let state = NIOLockedValueBox(State())

    /// Trusts the certificates in `path` (PEM) as well as the system's, for every connection
    /// made after this call.
    public static func trust(certificatesIn path: String?) {
        Self.state.withLockedValue { state in
            state.extraRoots = path
            state.context = nil
        }
    }

    /// `SPACES_CA_CERTIFICATE`, used when ``trust(certificatesIn:)`` was not called.
    private static var environmentRoots: String? {
        getenv("SPACES_CA_CERTIFICATE").map { String(cString: $0) }
    }

    /// One context for the whole process, made at first use.
    static func context() throws -> NIOSSLContext {
        try Self.state.withLockedValue { state in
            if let context = state.context { return context }
            var configuration = TLSConfiguration.makeClientConfiguration()
            configuration.minimumTLSVersion = .tlsv12
            configuration.applicationProtocols = ["http/1.1"]
            if let path = state.extraRoots ?? Self.environmentRoots, !path.isEmpty {
                configuration.additionalTrustRoots = [.file(path)]
            }
            let context = try NIOSSLContext(configuration: configuration)
            state.context = context
            return context
        }
    }

    /// Adds the TLS client handler first in `channel`'s pipeline when `url` is secure. The
    /// name goes in SNI and is checked against the certificate; an address literal is checked
    /// against the certificate's IP addresses instead (SNI carries no addresses).
    static func addHandler(to channel: any Channel, for url: ServerURL) throws {
        guard url.secure else { return }
        let isAddress = (try? SocketAddress(ipAddress: url.host, port: 0)) != nil
        let handler = try NIOSSLClientHandler(context: Self.context(), serverHostname: isAddress ? nil : url.host)
        try channel.pipeline.syncOperations.addHandler(handler, position: .first)
    }
}
