import Fluent
import Foundation

/// Liên kết đặt mật khẩu (issue 18, item 7): single-use links that set an account's password — a
/// self-service reset (short-lived) or the first sign-in of an account made in bulk. Only the
/// SHA-256 of the token is kept.
struct CreateAccountLinks: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(AccountLink.schema)
            .id()
            .field("user_id", .uuid, .required)
            .field("token_hash", .string, .required)
            .field("purpose", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("used_at", .datetime)
            .field("created_at", .datetime, .required)
            .field("created_by", .string, .required)
            .unique(on: "token_hash")
            .create()
        try await SQLIndex.create(db, "account_links_user", on: AccountLink.schema, "user_id")
    }

    func revert(on db: any Database) async throws {
        try await db.schema(AccountLink.schema).delete()
    }
}

/// Dữ liệu cá nhân (issue 18, item 9): when each account acknowledged the personal-data notice.
struct AddPrivacyNotice: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(User.schema).field("privacy_ack_at", .datetime).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(User.schema).deleteField("privacy_ack_at").update()
    }
}

final class AccountLink: Model, @unchecked Sendable {
    static let schema = "account_links"
    /// Quên mật khẩu: asked for by the user, valid `AccountLinks.resetMinutes`.
    static let reset = "quen-mat-khau"
    /// Tài khoản mới: made by an administrator in bulk, valid `AccountLinks.firstSignInDays`.
    static let firstSignIn = "tai-khoan-moi"

    @ID var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "purpose") var purpose: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "created_by") var createdBy: String

    init() {}
}
