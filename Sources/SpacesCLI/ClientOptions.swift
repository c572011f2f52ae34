import ArgumentParser
import Foundation

/// Where the server is and who we are to it.
struct ClientOptions: ParsableArguments {
    @Option(help: "Base URL of the Spaces node.")
    var server = "http://127.0.0.1:8080"

    @Option(name: .customLong("host-key"), help: "The node's host key (or SPACES_HOST_KEY).")
    var hostKey: String?

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
