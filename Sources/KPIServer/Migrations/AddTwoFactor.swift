import Fluent
import Foundation
import SQLKit

/// Two-step sign-in (issue 16): each account's sealed TOTP secret (and one being set up), when it was
/// turned on, the last step used (a code works once); recovery codes (hashed); and the short-lived
/// challenges between the password and the code.
struct AddTwoFactor: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(User.schema).field("mfa_secret", .string).update()
        try await db.schema(User.schema).field("mfa_pending_secret", .string).update()
        try await db.schema(User.schema).field("mfa_enabled_at", .datetime).update()
        try await db.schema(User.schema).field("mfa_last_step", .int64).update()
        try await db.schema(RecoveryCode.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("code_hash", .string, .required)
            .field("used_at", .datetime)
            .create()
        try await SQLIndex.create(db, "mfa_recovery_codes_user", on: RecoveryCode.schema, "user_id")
        try await db.schema(SignInChallenge.schema)
            .id()
            .field("token_hash", .string, .required).unique(on: "token_hash")
            .field("user_id", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("created_at", .datetime, .required)
            .field("attempts", .int, .required)
            .field("ip", .string, .required)
            .field("must_change", .bool, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(SignInChallenge.schema).delete()
        try await db.schema(RecoveryCode.schema).delete()
        for f in ["mfa_secret", "mfa_pending_secret", "mfa_enabled_at", "mfa_last_step"] {
            try await db.schema(User.schema).deleteField(FieldKey(stringLiteral: f)).update()
        }
    }
}

/// A recovery code (mã khôi phục), stored as a salted SHA-256; used once.
final class RecoveryCode: Model, @unchecked Sendable {
    static let schema = "mfa_recovery_codes"

    @ID var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "code_hash") var codeHash: String
    @OptionalField(key: "used_at") var usedAt: Date?

    init() {}
}

/// Between a right password and the second step: the browser holds the token (a cookie), the
/// database its hash; it lasts five minutes and five wrong codes.
final class SignInChallenge: Model, @unchecked Sendable {
    static let schema = "sign_in_challenges"

    @ID var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "user_id") var userID: UUID
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "attempts") var attempts: Int
    @Field(key: "ip") var ip: String
    /// The password was below the policy: it must be changed once the second step is passed.
    @Field(key: "must_change") var mustChange: Bool
    /// The first step was the identity provider's: its ID token, carried on to the session.
    @OptionalField(key: "id_token_hint") var idTokenHint: String?

    init() {}
}
