import Fluent
import SQLKit

/// Kết luận suy thoái, tham nhũng (`ConclusionRecord`).
struct CreateConclusions: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(ConclusionRecord.schema)
            .id()
            .field("person_id", .uuid, .required, .references(Person.schema, "id"))
            .field("scope_path", .string, .required)
            .field("kind", .string, .required)
            .field("year", .int, .required)
            .field("decision_number", .string, .required)
            .field("decision_date", .string, .required)
            .field("issuer", .string, .required)
            .field("note", .sql(unsafeRaw: "TEXT"), .required)
            .field("entered_by", .string, .required)
            .field("voided", .bool, .required)
            .field("void_reason", .string, .required)
            .field("effect", .string, .required)
            .field("created_at", .datetime)
            .create()
        try await SQLIndex.create(db, "conclusions_person", on: ConclusionRecord.schema, "person_id, year")
        try await SQLIndex.path(db, "conclusions_scope", on: ConclusionRecord.schema, column: "scope_path")
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ConclusionRecord.schema).delete()
    }
}
