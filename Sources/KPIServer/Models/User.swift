import Fluent
import Foundation

/// A sign-in account, linked to a person.
final class User: Model, @unchecked Sendable {
    static let schema = "users"

    @ID var id: UUID?
    @Field(key: "username") var username: String
    @Field(key: "password_hash") var passwordHash: String
    @OptionalField(key: "person_id") var personID: UUID?
    /// The person's organization path, or "/" for an account with no person.
    @Field(key: "scope_path") var scopePath: String
    @Field(key: "must_change_password") var mustChangePassword: Bool
    @Field(key: "failed_attempts") var failedAttempts: Int
    @OptionalField(key: "held_until") var heldUntil: Date?
    @OptionalField(key: "last_login_at") var lastLoginAt: Date?
    /// When the account was made (from issue 16 on; older accounts: when that migration ran).
    @OptionalField(key: "created_at") var createdAt: Date?
    @Field(key: "active") var active: Bool
    /// Xác thực hai bước: the TOTP secret sealed by `SecretBox`, one being set up, when it was turned
    /// on, and the last step used.
    @OptionalField(key: "mfa_secret") var mfaSecret: String?
    @OptionalField(key: "mfa_pending_secret") var mfaPendingSecret: String?
    @OptionalField(key: "mfa_enabled_at") var mfaEnabledAt: Date?
    @OptionalField(key: "mfa_last_step") var mfaLastStep: Int64?
    @OptionalField(key: "updated_at") var updatedAt: Date?
    /// When the person acknowledged the personal-data notice (Nghị định 13/2023), nil until then.
    @OptionalField(key: "privacy_ack_at") var privacyAckAt: Date?

    init() {}
}

/// A role granted to a user on an organization subtree (nil organization: the whole system).
final class RoleGrant: Model, @unchecked Sendable {
    static let schema = "role_grants"

    @ID var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "role") var role: String
    @OptionalField(key: "organization_id") var organizationID: UUID?
    @Field(key: "scope_path") var scopePath: String
    @Field(key: "granted_by") var grantedBy: String
    @OptionalField(key: "created_at") var createdAt: Date?

    init() {}
}

/// One entry of the hash-chained, append-only audit trail.
final class AuditEntry: Model, @unchecked Sendable {
    static let schema = "audit_entries"

    @ID(custom: "seq", generatedBy: .user) var id: Int?
    @Field(key: "at_ms") var atMillis: Int64
    @Field(key: "actor") var actor: String
    @Field(key: "ip") var ip: String
    @Field(key: "action") var action: String
    @Field(key: "entity_type") var entityType: String
    @Field(key: "entity_id") var entityID: String
    @Field(key: "scope_path") var scopePath: String
    @Field(key: "before") var before: String
    @Field(key: "after") var after: String
    @Field(key: "prev_hash") var previousHash: String
    @Field(key: "hash") var hash: String

    init() {}
}
