import Fluent
import Foundation

/// Issue 16, hole 3: a leave or discipline record about a leader nobody stands above — entered or
/// voided — waits here for a second person with the same authority.
struct AddPendingRecordDecisions: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(PendingRecordDecision.schema)
            .id()
            .field("record_type", .string, .required)
            .field("action", .string, .required)
            .field("person_id", .uuid, .required, .references(Person.schema, "id", onDelete: .cascade))
            .field("record_id", .uuid)
            .field("scope_path", .string, .required)
            .field("form", .string, .required)
            .field("summary", .string, .required)
            .field("proposed_by", .uuid, .required)
            .field("proposed_by_name", .string, .required)
            .field("proposed_at", .datetime, .required)
            .create()
        try await SQLIndex.create(db, "pending_record_decisions_scope", on: PendingRecordDecision.schema, "record_type, scope_path")
    }

    func revert(on db: any Database) async throws {
        try await db.schema(PendingRecordDecision.schema).delete()
    }
}

/// Đề nghị chờ xác nhận: a record about a person proposed by one person with the authority,
/// taking effect only when another confirms it.
final class PendingRecordDecision: Model, @unchecked Sendable {
    static let schema = "pending_record_decisions"

    @ID var id: UUID?
    /// The record's kind, as its audit type: `leave` or `discipline`.
    @Field(key: "record_type") var recordType: String
    /// `record` (a new record) or `void` (voiding `recordID`).
    @Field(key: "action") var action: String
    @Field(key: "person_id") var personID: UUID
    @OptionalField(key: "record_id") var recordID: UUID?
    @Field(key: "scope_path") var scopePath: String
    /// The entry form's fields (or the voiding reason) as JSON, applied again on confirmation.
    @Field(key: "form") var form: String
    /// What is proposed, in words, for the page and the notices.
    @Field(key: "summary") var summary: String
    @Field(key: "proposed_by") var proposedBy: UUID
    @Field(key: "proposed_by_name") var proposedByName: String
    @Field(key: "proposed_at") var proposedAt: Date

    init() {}

    var values: [String: String] {
        (try? JSONSerialization.jsonObject(with: Data(form.utf8)) as? [String: String]) ?? [:]
    }
}
