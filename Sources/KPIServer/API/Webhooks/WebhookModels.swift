import Fluent
import Foundation
import SQLKit

/// Đăng ký nhận sự kiện (issue 20, item 4): an API client's receiver address, the events it wants and
/// the secret its deliveries are signed with (sealed at rest with the subscription's id, like the
/// two-step secrets). Deliveries are outbox messages of the channel "webhook" whose recipient is the
/// subscription's id.
final class WebhookSubscription: Model, @unchecked Sendable {
    static let schema = "webhook_subscriptions"

    @ID var id: UUID?
    /// The client's account (`APIClientRecord.userID`).
    @Field(key: "user_id") var userID: UUID
    @Field(key: "url") var url: String
    /// `WebhookEvent` raw values, one space between.
    @Field(key: "events") var events: String
    /// The signing secret, sealed (`SecretBox`, associated data: this row's id).
    @Field(key: "secret") var secret: String
    @Field(key: "active") var active: Bool
    @Field(key: "created_by") var createdBy: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}

struct CreateWebhookSubscriptions: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(WebhookSubscription.schema)
            .id()
            .field("user_id", .uuid, .required)
            .field("url", .string, .required)
            .field("events", .string, .required)
            .field("secret", .string, .required)
            .field("active", .bool, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await SQLIndex.create(db, "webhook_subscriptions_user", on: WebhookSubscription.schema, "user_id")
        try await SQLIndex.create(db, "outbox_channel_recipient", on: OutboxMessage.schema, "channel, recipient")
    }

    func revert(on db: any Database) async throws {
        try await db.sql.raw("DROP INDEX IF EXISTS outbox_channel_recipient").run()
        try await db.schema(WebhookSubscription.schema).delete()
    }
}
