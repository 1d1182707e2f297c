import Fluent
import Foundation
import SQLKit

/// Hộp thư đi (issue 18, item 3): the outbox every channel sends from (mail now, the API's webhooks
/// later), each person's choice of delivery per kind of notice, and on each notice where its mail
/// stands. Notices written before this migration are marked handled: an upgrade mails nothing old.
struct CreateOutbox: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(OutboxMessage.schema)
            .id()
            .field("channel", .string, .required)
            .field("recipient", .string, .required)
            .field("subject", .string, .required)
            .field("body", .string, .required)
            .field("alt_body", .string, .required)
            .field("dedupe_key", .string, .required)
            .field("state", .string, .required)
            .field("attempts", .int, .required)
            .field("next_attempt_at", .datetime, .required)
            .field("last_error", .string)
            .field("created_at", .datetime, .required)
            .field("sent_at", .datetime)
            .unique(on: "dedupe_key")
            .create()
        try await SQLIndex.create(db, "outbox_due", on: OutboxMessage.schema, "state, next_attempt_at")
        try await db.schema(NoticePreference.schema)
            .id()
            .field("user_id", .uuid, .required)
            .field("category", .string, .required)
            .field("delivery", .string, .required)
            .unique(on: "user_id", "category")
            .create()
        try await db.schema(Notice.schema).field("mail_state", .string).update()
        try await db.sql.raw("UPDATE notices SET mail_state = \(literal: Notice.MailState.done)").run()
        try await SQLIndex.create(db, "notices_mail_state", on: Notice.schema, "mail_state, user_id")
    }

    func revert(on db: any Database) async throws {
        try await db.schema(Notice.schema).deleteField("mail_state").update()
        try await db.schema(NoticePreference.schema).delete()
        try await db.schema(OutboxMessage.schema).delete()
    }
}

/// A message waiting in, or gone from, the outbox. `state`: "cho" (to send, at `nextAttemptAt`),
/// "da-gui" (sent), "loi" (refused for good by the receiving side; `lastError` says why).
final class OutboxMessage: Model, @unchecked Sendable {
    static let schema = "outbox_messages"
    static let waiting = "cho"
    static let sent = "da-gui"
    static let failed = "loi"

    @ID var id: UUID?
    /// "email" (`DeliveryChannel.name`).
    @Field(key: "channel") var channel: String
    /// The address (a mail address; for a webhook, its URL).
    @Field(key: "recipient") var recipient: String
    @Field(key: "subject") var subject: String
    /// Plain text (a webhook: the JSON payload).
    @Field(key: "body") var body: String
    /// HTML (may be empty).
    @Field(key: "alt_body") var altBody: String
    /// Unique: the same notice, digest or event is queued once however many runners see it.
    @Field(key: "dedupe_key") var dedupeKey: String
    @Field(key: "state") var state: String
    @Field(key: "attempts") var attempts: Int
    @Field(key: "next_attempt_at") var nextAttemptAt: Date
    @OptionalField(key: "last_error") var lastError: String?
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "sent_at") var sentAt: Date?

    init() {}
}

/// A person's choice of delivery for one category of notice (`KPICore.NoticeCategory`); without a
/// row the category's standard applies.
final class NoticePreference: Model, @unchecked Sendable {
    static let schema = "notice_preferences"

    @ID var id: UUID?
    @Field(key: "user_id") var userID: UUID
    @Field(key: "category") var category: String
    /// `KPICore.NoticeDelivery` raw value.
    @Field(key: "delivery") var delivery: String

    init() {}
}
