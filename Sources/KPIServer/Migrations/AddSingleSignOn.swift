import Fluent
import Foundation
import SQLKit

/// Single sign-on (issue 20): the sign-ins under way at the identity provider (`sso_attempts`: the
/// state, nonce and PKCE verifier of each, bound to the browser that began it, for ten minutes, used
/// once); on a session, the second factor the provider asserted and the ID token to end the provider's
/// session with at sign-out; the same ID token on a challenge waiting for the local code.
struct AddSingleSignOn: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(SingleSignOnAttempt.schema)
            .id()
            .field("state_hash", .string, .required).unique(on: "state_hash")
            .field("browser_hash", .string, .required)
            .field("nonce", .string, .required)
            .field("verifier", .string, .required)
            .field("next_path", .string, .required)
            .field("ip", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await SQLIndex.create(db, "sso_attempts_created", on: SingleSignOnAttempt.schema, "created_at")
        try await db.schema(WebSession.schema).field("second_factor", .string).update()
        try await db.schema(WebSession.schema).field("id_token_hint", .string).update()
        try await db.schema(SignInChallenge.schema).field("id_token_hint", .string).update()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(SignInChallenge.schema).deleteField("id_token_hint").update()
        try await db.schema(WebSession.schema).deleteField("id_token_hint").update()
        try await db.schema(WebSession.schema).deleteField("second_factor").update()
        try await db.schema(SingleSignOnAttempt.schema).delete()
    }
}

/// A sign-in begun at the identity provider (đăng nhập một lần): the hash of its `state` and of the
/// browser's cookie, its nonce and PKCE verifier, where to go after. Deleted when used, and ten minutes on.
final class SingleSignOnAttempt: Model, @unchecked Sendable {
    static let schema = "sso_attempts"

    @ID var id: UUID?
    @Field(key: "state_hash") var stateHash: String
    @Field(key: "browser_hash") var browserHash: String
    @Field(key: "nonce") var nonce: String
    @Field(key: "verifier") var verifier: String
    @Field(key: "next_path") var nextPath: String
    @Field(key: "ip") var ip: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
