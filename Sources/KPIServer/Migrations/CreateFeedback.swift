import Fluent
import SQLKit

/// Góp ý (`Feedback`): what users say during the pilot and the advisory body's answers.
struct CreateFeedback: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Feedback.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id"))
            .field("sender_name", .string, .required)
            .field("unit_name", .string, .required)
            .field("scope_path", .string, .required)
            .field("topic", .string, .required)
            .field("subject", .string, .required)
            .field("page", .string, .required)
            .field("text", .sql(unsafeRaw: "TEXT"), .required)
            .field("search_text", .sql(unsafeRaw: "TEXT"), .required)
            .field("status", .string, .required)
            .field("answer", .sql(unsafeRaw: "TEXT"), .required)
            .field("answered_by", .string, .required)
            .field("answered_at", .datetime)
            .field("created_at", .datetime)
            .create()
        try await SQLIndex.create(db, "feedback_user", on: Feedback.schema, "user_id, created_at")
        try await SQLIndex.path(db, "feedback_scope", on: Feedback.schema, column: "scope_path")
    }

    func revert(on db: any Database) async throws {
        try await db.schema(Feedback.schema).delete()
    }
}
