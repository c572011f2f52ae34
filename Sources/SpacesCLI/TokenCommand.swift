import ArgumentParser
import Foundation
import SpacesServer

/// `spaces token issue`: host tokens, minted from the node's key.
struct TokenCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "token",
        abstract: "Mint host tokens from the node's key, for hosts who should not hold the key itself.",
        subcommands: [Issue.self]
    )

    struct Issue: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a signed host token (JWT, HS256 with the node's key): who, what it may do, until when.",
            discussion: """
                The host passes it where the key would go (`spaces host start --host-key TOKEN`, or \
                `Authorization: Bearer TOKEN`). Spaces it creates are its own: it may end and \
                moderate those and no one else's. Every node of a cluster with the same key accepts it.
                """
        )

        @Option(help: "Who the host is (the token's subject; 1…128 bytes).")
        var subject: String

        @Option(help: "What it may do, comma-separated: create, moderate, end.")
        var can = "create,moderate,end"

        @Option(help: "Seconds until it expires (60…31536000).")
        var ttl = 86_400

        @Option(name: .customLong("host-key"), help: "The node's key, server.hostKey (or SPACES_HOST_KEY).")
        var hostKey: String?

        func rights() throws -> [HostClaims.Right] {
            try self.can.split(separator: ",").map { name in
                let trimmed = name.trimmingCharacters(in: .whitespaces)
                guard let right = HostClaims.Right(rawValue: trimmed) else {
                    throw ValidationError("--can: unknown right \"\(trimmed)\"; use create, moderate, end")
                }
                return right
            }
        }

        func validate() throws {
            guard !self.subject.isEmpty, self.subject.utf8.count <= HostClaims.maxSubjectLength else {
                throw ValidationError("--subject must have 1…\(HostClaims.maxSubjectLength) bytes")
            }
            guard (60...31_536_000).contains(self.ttl) else { throw ValidationError("--ttl must be within 60…31536000 seconds") }
            guard try !self.rights().isEmpty else { throw ValidationError("--can needs at least one right") }
        }

        func run() async throws {
            print(try await self.mint())
        }

        /// The token `run` prints.
        func mint(now: Date = Date()) async throws -> String {
            let key = try ClientOptions.hostKey(self.hostKey)
            let claims = HostClaims(subject: self.subject, rights: try self.rights(), issuedAt: now, expiresAt: now + Double(self.ttl))
            return try await HostTokens.issue(claims, key: key)
        }
    }
}
