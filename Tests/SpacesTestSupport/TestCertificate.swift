import Crypto
import Foundation
import SwiftASN1
import X509

/// A private certificate authority and a server certificate it signed, made by the test that
/// needs them (nothing is read from the repository): PEM files in a fresh folder, removed with
/// ``remove()``. The server certificate names `localhost`, `spaces.test` and `127.0.0.1`.
public struct TestCertificate: Sendable {
    /// The authority's certificate: what a client trusts (`--cacert`, `SPACES_CA_CERTIFICATE`).
    public let authorityPath: String
    /// The server's certificate (`server.tls.certificate`).
    public let certificatePath: String
    /// The server's private key (`server.tls.key`).
    public let keyPath: String
    /// Base64 of the SHA-256 of the server key's SubjectPublicKeyInfo, as Chromium's
    /// `--ignore-certificate-errors-spki-list` takes it.
    public let publicKeyHash: String
    private let folder: String

    /// Names the server certificate is valid for.
    public static let names = ["localhost", "spaces.test"]

    public init(validFor lifetime: TimeInterval = 3600) throws {
        let now = Date()
        let authorityKey = P256.Signing.PrivateKey()
        let authorityName = try DistinguishedName {
            OrganizationName("Spaces tests")
            CommonName("Spaces test authority")
        }
        let authority = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(authorityKey.publicKey),
            notValidBefore: now - 60, notValidAfter: now + lifetime, issuer: authorityName, subject: authorityName,
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.isCertificateAuthority(maxPathLength: 0))
                Critical(KeyUsage(keyCertSign: true))
            },
            issuerPrivateKey: .init(authorityKey)
        )
        let serverKey = P256.Signing.PrivateKey()
        let server = try Certificate(
            version: .v3, serialNumber: Certificate.SerialNumber(), publicKey: .init(serverKey.publicKey),
            notValidBefore: now - 60, notValidAfter: now + lifetime, issuer: authorityName,
            subject: try DistinguishedName { CommonName("spaces.test") },
            signatureAlgorithm: .ecdsaWithSHA256,
            extensions: try Certificate.Extensions {
                Critical(BasicConstraints.notCertificateAuthority)
                Critical(KeyUsage(digitalSignature: true))
                try ExtendedKeyUsage([.serverAuth])
                SubjectAlternativeNames(
                    Self.names.map { GeneralName.dnsName($0) } + [.ipAddress(ASN1OctetString(contentBytes: [127, 0, 0, 1]))]
                )
            },
            issuerPrivateKey: .init(authorityKey)
        )
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("spaces-tls-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        self.folder = folder
        self.authorityPath = folder + "/authority.pem"
        self.certificatePath = folder + "/server.pem"
        self.keyPath = folder + "/server-key.pem"
        try Self.pem(authority).write(toFile: self.authorityPath, atomically: true, encoding: .utf8)
        try Self.pem(server).write(toFile: self.certificatePath, atomically: true, encoding: .utf8)
        try serverKey.pemRepresentation.write(toFile: self.keyPath, atomically: true, encoding: .utf8)
        self.publicKeyHash = Data(SHA256.hash(data: serverKey.publicKey.derRepresentation)).base64EncodedString()
    }

    private static func pem(_ certificate: Certificate) throws -> String {
        var serializer = DER.Serializer()
        try serializer.serialize(certificate)
        return PEMDocument(type: "CERTIFICATE", derBytes: serializer.serializedBytes).pemString + "\n"
    }

    /// Deletes the files.
    public func remove() {
        try? FileManager.default.removeItem(atPath: self.folder)
    }
}
