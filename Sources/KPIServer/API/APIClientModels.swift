import Fluent
import Foundation
import SQLKit

/// Ứng dụng kết nối (issue 20): the settings of an API client. The client itself is a `User` with no
/// person and no password that holds the `api-client` role on org subtrees (one model for every
/// account); this row names it and bounds its calls.
final class APIClientRecord: Model, @unchecked Sendable {
    static let schema = "api_clients"

    @ID var id: UUID?
    @Field(key: "user_id") var userID: UUID
    /// Shown to admins and written into the audit trail ("api:<tên>").
    @Field(key: "name") var name: String
    @Field(key: "contact") var contact: String
    @Field(key: "rate_per_minute") var ratePerMinute: Int
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "created_by") var createdBy: String

    init() {}
}

/// Khóa truy cập: one token of a client, stored as the SHA-256 of its text (shown once).
final class APITokenRecord: Model, @unchecked Sendable {
    static let schema = "api_tokens"

    @ID var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "label") var label: String
    @Field(key: "token_hash") var tokenHash: String
    /// The token's first characters, to tell tokens apart in lists and logs.
    @Field(key: "hint") var hint: String
    /// Space-separated `APIScope` values.
    @Field(key: "scopes") var scopes: String
    @Field(key: "created_at") var createdAt: Date
    @Field(key: "created_by") var createdBy: String
    @Field(key: "expires_at") var expiresAt: Date
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @OptionalField(key: "last_used_at") var lastUsedAt: Date?

    init() {}
}

/// Nhật ký gọi API: every call of a client, with its status (the audit trail holds what changed);
/// also what the per-client rate limit counts, so it holds across server processes.
final class APICallRecord: Model, @unchecked Sendable {
    static let schema = "api_calls"

    @ID var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @OptionalField(key: "token_id") var tokenID: UUID?
    @Field(key: "method") var method: String
    @Field(key: "path") var path: String
    @Field(key: "status") var status: Int
    @Field(key: "ms") var milliseconds: Int
    @Field(key: "ip") var ip: String
    @Field(key: "at") var at: Date

    init() {}
}

/// Khóa chống trùng (Idempotency-Key): the first answer to a client's key, kept 48 hours, so a retry
/// with the same key and body gets it again instead of acting twice. `status` 0: still running.
final class APIIdempotencyRecord: Model, @unchecked Sendable {
    static let schema = "api_idempotency"

    @ID var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "key") var key: String
    /// SHA-256 of the method, path and body: the same key with another request is refused.
    @Field(key: "request_hash") var requestHash: String
    @Field(key: "status") var status: Int
    @Field(key: "content_type") var contentType: String
    @Field(key: "body") var body: String
    @OptionalField(key: "location") var location: String?
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

struct CreateAPIClients: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(APIClientRecord.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("name", .string, .required)
            .field("contact", .string, .required)
            .field("rate_per_minute", .int, .required)
            .field("created_at", .datetime, .required)
            .field("created_by", .string, .required)
            .unique(on: "user_id")
            .unique(on: "name")
            .create()
        try await db.schema(APITokenRecord.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("label", .string, .required)
            .field("token_hash", .string, .required)
            .field("hint", .string, .required)
            .field("scopes", .string, .required)
            .field("created_at", .datetime, .required)
            .field("created_by", .string, .required)
            .field("expires_at", .datetime, .required)
            .field("revoked_at", .datetime)
            .field("last_used_at", .datetime)
            .unique(on: "token_hash")
            .create()
        try await SQLIndex.create(db, "api_tokens_user", on: APITokenRecord.schema, "user_id")
        try await db.schema(APICallRecord.schema)
            .id()
            .field("user_id", .uuid, .required)
            .field("token_id", .uuid)
            .field("method", .string, .required)
            .field("path", .string, .required)
            .field("status", .int, .required)
            .field("ms", .int, .required)
            .field("ip", .string, .required)
            .field("at", .datetime, .required)
            .create()
        try await SQLIndex.create(db, "api_calls_user_at", on: APICallRecord.schema, "user_id, at")
        try await db.schema(APIIdempotencyRecord.schema)
            .id()
            .field("user_id", .uuid, .required)
            .field("key", .string, .required)
            .field("request_hash", .string, .required)
            .field("status", .int, .required)
            .field("content_type", .string, .required)
            .field("body", .string, .required)
            .field("location", .string)
            .field("created_at", .datetime, .required)
            .unique(on: "user_id", "key")
            .create()
        try await SQLIndex.create(db, "api_idempotency_created", on: APIIdempotencyRecord.schema, "created_at")
    }

    func revert(on db: any Database) async throws {
        try await db.schema(APIIdempotencyRecord.schema).delete()
        try await db.schema(APICallRecord.schema).delete()
        try await db.schema(APITokenRecord.schema).delete()
        try await db.schema(APIClientRecord.schema).delete()
    }
}
