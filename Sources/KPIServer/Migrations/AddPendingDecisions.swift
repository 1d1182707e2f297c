import Fluent
import Foundation

/// Issue 16, hole 3: decisions about the work of a leader nobody stands above wait here for a second
/// leader with the same authority.
struct AddPendingDecisions: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(PendingDecision.schema)
            .id()
            .field("task_id", .uuid, .required, .references(WorkTask.schema, "id", onDelete: .cascade))
            .field("action", .string, .required)
            .field("form", .string, .required)
            .field("summary", .string, .required)
            .field("proposed_by", .uuid, .required)
            .field("proposed_by_name", .string, .required)
            .field("proposed_at", .datetime, .required)
            .unique(on: "task_id")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(PendingDecision.schema).delete()
    }
}

/// A decision proposed by one leader, waiting for a second (one per task at a time).
final class PendingDecision: Model, @unchecked Sendable {
    static let schema = "pending_decisions"

    @ID var id: UUID?
    @Field(key: "task_id") var taskID: UUID
    /// The task action (`nghiem-thu`, `tra-lai`, …) and its form fields as JSON.
    @Field(key: "action") var action: String
    @Field(key: "form") var form: String
    /// What is proposed, in words, for the page and the notices.
    @Field(key: "summary") var summary: String
    @Field(key: "proposed_by") var proposedBy: UUID
    @Field(key: "proposed_by_name") var proposedByName: String
    @Field(key: "proposed_at") var proposedAt: Date

    init() {}
}
