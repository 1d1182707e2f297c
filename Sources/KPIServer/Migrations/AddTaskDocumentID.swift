import Fluent
import SQLKit

/// The id a document system gives its document (issue 20): a task made from a document through the
/// API keeps it, for lookups by the sender and as a natural key (one task per document and receiver).
struct AddTaskDocumentID: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(WorkTask.schema).field("doc_id", .string, .required, .sql(.default(""))).update()
        try await SQLIndex.create(db, "tasks_doc_id", on: WorkTask.schema, "doc_id")
    }

    func revert(on db: any Database) async throws {
        try await db.sql.raw("DROP INDEX IF EXISTS tasks_doc_id").run()
        try await db.schema(WorkTask.schema).deleteField("doc_id").update()
    }
}
