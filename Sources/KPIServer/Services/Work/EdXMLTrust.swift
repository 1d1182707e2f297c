import Crypto
import Fluent
import Foundation
import KPICore
import Vapor
import X509

/// Chứng thư số tin cậy (issue 20, item 5): the certificates a system administrator trusts for the
/// signatures of edXML packages — a signer's own certificate, or a certification authority's (the
/// Government Cipher Committee's CA, a provincial CA) whose issued certificates are then trusted too.
final class TrustedCertificate: Model, @unchecked Sendable {
    static let schema = "trusted_certificates"

    @ID var id: UUID?
    /// The subject's common name (or whole name), and the issuer's, as shown.
    @Field(key: "subject") var subject: String
    @Field(key: "issuer") var issuer: String
    /// SHA-256 of the DER, hex: unique.
    @Field(key: "fingerprint") var fingerprint: String
    /// The certificate, DER in base64.
    @Field(key: "der") var der: String
    @Field(key: "not_after") var notAfter: Date
    @Field(key: "added_by") var addedBy: String
    @OptionalField(key: "created_at") var createdAt: Date?

    init() {}
}

extension TrustedCertificate: CreationStamped {}

struct CreateTrustedCertificates: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(TrustedCertificate.schema)
            .id()
            .field("subject", .string, .required)
            .field("issuer", .string, .required)
            .field("fingerprint", .string, .required).unique(on: "fingerprint")
            .field("der", .sql(unsafeRaw: "TEXT"), .required)
            .field("not_after", .datetime, .required)
            .field("added_by", .string, .required)
            .field("created_at", .datetime)
            .create()
    }

    func revert(on db: any Database) async throws { try await db.schema(TrustedCertificate.schema).delete() }
}

/// Adding and removing trusted certificates (system administrators, audited), and reading them for a check.
struct EdXMLTrust {
    let store: Store
    let principal: Principal
    let actor: Actor

    struct Refused: Error { var message: String }

    static let maxPEM = 20_000

    func requireAdmin() throws {
        guard AccessPolicy.mayGrantAnywhere(principal.grants, role: .apiClient) else {
            throw Abort(.forbidden, reason: "Chỉ quản trị hệ thống quản lý chứng thư số tin cậy.")
        }
    }

    static func certificates(on db: any Database) async throws -> [Certificate] {
        try await TrustedCertificate.query(on: db).all().compactMap { row in
            Data(base64Encoded: row.der).flatMap { try? Certificate(derEncoded: [UInt8]($0)) }
        }
    }

    /// The DER of the first certificate block of a PEM text.
    static func der(pem: String) -> [UInt8]? {
        let lines = pem.split(whereSeparator: \.isNewline).map { $0.trimmingCharacters(in: .whitespaces) }
        guard let begin = lines.firstIndex(of: "-----BEGIN CERTIFICATE-----"),
              let end = lines[begin...].firstIndex(of: "-----END CERTIFICATE-----") else { return nil }
        return Data(base64Encoded: lines[(begin + 1)..<end].joined()).map { [UInt8]($0) }
    }

    func list() async throws -> [TrustedCertificate] {
        try requireAdmin()
        return try await TrustedCertificate.query(on: store.db).sort(\.$subject).all()
    }

    /// Adds the certificate written in PEM (one `BEGIN CERTIFICATE` block).
    @discardableResult
    func add(pem text: String) async throws -> TrustedCertificate {
        try requireAdmin()
        guard text.count <= Self.maxPEM, let der = Self.der(pem: text), let cert = try? Certificate(derEncoded: der) else {
            throw Refused(message: """
                Không đọc được chứng thư: dán nguyên khối «-----BEGIN CERTIFICATE-----» … «-----END CERTIFICATE-----» \
                (tệp .pem hoặc .crt dạng văn bản).
                """)
        }
        let fingerprint = AuditLog.hex(SHA256.hash(data: der))
        let (principal, actor) = (principal, actor)
        return try await store.write { db in
            guard try await TrustedCertificate.query(on: db).filter(\.$fingerprint == fingerprint).count() == 0 else {
                throw Refused(message: "Chứng thư «\(EdXMLSignatureCheck.subjectName(cert))» đã có trong danh sách tin cậy.")
            }
            let row = TrustedCertificate()
            row.subject = EdXMLSignatureCheck.subjectName(cert)
            row.issuer = String(describing: cert.issuer)
            row.fingerprint = fingerprint
            row.der = Data(der).base64EncodedString()
            row.notAfter = cert.notValidAfter
            row.addedBy = principal.displayName
            try await row.create(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "edxml.certificate.add", entityType: "certificate",
                                      entityID: row.id!.uuidString, scopePath: "/",
                                      after: ["ten": row.subject, "cap_boi": row.issuer, "sha256": fingerprint])
            return row
        }
    }

    func remove(_ id: UUID) async throws {
        try requireAdmin()
        let actor = actor
        try await store.write { db in
            guard let row = try await TrustedCertificate.find(id, on: db) else { throw Abort(.notFound) }
            try await row.delete(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "edxml.certificate.remove", entityType: "certificate",
                                      entityID: id.uuidString, scopePath: "/", before: ["ten": row.subject, "sha256": row.fingerprint])
        }
    }
}
