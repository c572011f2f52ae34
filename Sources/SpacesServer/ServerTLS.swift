import Foundation
import NIOSSL
import SpacesCore
import SwiftASN1
import X509

/// The node's TLS, from `server.tls.certificate` and `server.tls.key`: one context for every
/// connection, made (and its files checked) when the node is created, so a missing or wrong
/// file stops the node at start with a message naming the setting, not at the first client.
enum ServerTLS {
    /// A setting that cannot be used.
    struct Invalid: Error, CustomStringConvertible {
        var description: String
    }

    /// The context, or nil when TLS is off (both settings empty).
    static func context(_ settings: SpacesConfiguration.Server.TLS) throws -> NIOSSLContext? {
        guard settings.enabled else { return nil }
        guard !settings.certificate.isEmpty, !settings.key.isEmpty else {
            throw Invalid(description: "server.tls.certificate and server.tls.key go together: set both (PEM files) or neither")
        }
        let chain: [NIOSSLCertificate]
        do {
            chain = try NIOSSLCertificate.fromPEMFile(settings.certificate)
        } catch {
            throw Invalid(description: "server.tls.certificate: cannot read a PEM certificate from \(settings.certificate): \(error)")
        }
        guard !chain.isEmpty else {
            throw Invalid(description: "server.tls.certificate: no certificate in \(settings.certificate)")
        }
        let key: NIOSSLPrivateKey
        let pem: [UInt8]
        do {
            guard let data = FileManager.default.contents(atPath: settings.key) else { throw Invalid(description: "the file cannot be read") }
            pem = Array(data)
            key = try NIOSSLPrivateKey(bytes: pem, format: .pem)
        } catch {
            throw Invalid(description: "server.tls.key: cannot read a PEM private key from \(settings.key): \(error)")
        }
        // Checked before the context is made: swift-nio-ssl does not free its SSL_CTX when the key
        // turns out not to be the certificate's.
        if !Self.key(pem: pem, matches: chain[0]) {
            throw Invalid(description: "server.tls: the certificate and key cannot be used together: the key in \(settings.key) is not the certificate's")
        }
        var configuration = TLSConfiguration.makeServerConfiguration(
            certificateChain: chain.map { .certificate($0) }, privateKey: .privateKey(key)
        )
        configuration.minimumTLSVersion = .tlsv12
        // HTTP/1.1 only: the WebSocket upgrade is an HTTP/1.1 mechanism.
        configuration.applicationProtocols = ["http/1.1"]
        do {
            return try NIOSSLContext(configuration: configuration)
        } catch {
            throw Invalid(description: "server.tls: the certificate and key cannot be used together: \(error)")
        }
    }

    /// Whether the PEM private key `pem` is the one `certificate` names; true when either cannot
    /// be read here (a key type X509 does not know): the context then decides.
    static func key(pem: [UInt8], matches certificate: NIOSSLCertificate) -> Bool {
        guard let key = try? Certificate.PrivateKey(pemEncoded: String(decoding: pem, as: UTF8.self)),
            let der = try? certificate.toDERBytes(),
            let parsed = try? Certificate(derEncoded: der)
        else { return true }
        return key.publicKey == parsed.publicKey
    }
}
