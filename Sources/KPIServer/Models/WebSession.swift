import Fluent
import Foundation

/// A signed-in browser session, kept in the database so several server processes share it.
/// Only the SHA-256 of the cookie's token is stored: a leaked table opens no session.
final class WebSession: Model, @unchecked Sendable {
    static let schema = "web_sessions"

    @ID var id: UUID?
    @Field(key: "token_hash") var tokenHash: String
    @Field(key: "user_id") var userID: UUID
    @Field(key: "csrf_token") var csrfToken: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "last_seen_at") var lastSeenAt: Date
    @Field(key: "ip") var ip: String
    /// Signed in through the identity provider, which asserted a second factor ("acr:…" or "amr:…").
    @OptionalField(key: "second_factor") var secondFactor: String?
    /// Signed in through the identity provider: its ID token, sent back at sign-out to end its session too.
    @OptionalField(key: "id_token_hint") var idTokenHint: String?

    init() {}
}

struct CreateWebSessions: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(WebSession.schema)
            .id()
            .field("token_hash", .string, .required).unique(on: "token_hash")
            .field("user_id", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("csrf_token", .string, .required)
            .field("created_at", .datetime, .required)
            .field("last_seen_at", .datetime, .required)
            .field("ip", .string, .required)
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(WebSession.schema).delete()
    }
}
