import ArgumentParser
import Foundation
import SpacesClient

/// Where the server is and who we are to it.
struct ClientOptions: ParsableArguments {
    @Option(help: "Base URL of the Spaces node.")
    var server = "http://127.0.0.1:8080"

    @Option(name: .customLong("host-key"), help: "The node's host key (or SPACES_HOST_KEY).")
    var hostKey: String?

    @Option(name: .customLong("cacert"), help: "Also trust the certificates in this PEM file for https:// (or SPACES_CA_CERTIFICATE).")
    var caCertificate: String?

    /// Runs when the command line is parsed, before any connection: `--cacert` applies to
    /// every connection the command makes.
    func validate() throws {
        if let caCertificate {
            guard FileManager.default.isReadableFile(atPath: caCertificate) else {
                throw ValidationError("--cacert: cannot read \(caCertificate)")
            }
            ClientTLS.trust(certificatesIn: caCertificate)
        }
    }

    /// The host key from the flag or the environment.
    func requireHostKey() throws -> String {
        try Self.hostKey(self.hostKey)
    }

    /// `flag` if given, else SPACES_HOST_KEY; an error naming both when neither is set.
    static func hostKey(_ flag: String?) throws -> String {
        if let flag, !flag.isEmpty { return flag }
        if let key = ProcessInfo.processInfo.environment["SPACES_HOST_KEY"], !key.isEmpty { return key }
        throw ValidationError("a host key is needed: --host-key or SPACES_HOST_KEY")
    }
}
