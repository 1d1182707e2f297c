import Fluent
import SQLKit

/// Nghỉ theo chế độ: the leave records a period's evaluation reads (`LeaveRecord`).
struct CreateLeave: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(LeaveRecord.schema)
            .id()
            .field("person_id", .uuid, .required, .references(Person.schema, "id"))
            .field("scope_path", .string, .required)
            .field("kind", .string, .required)
            .field("starts_on", .string, .required)
            .field("ends_on", .string, .required)
            .field("basis", .string, .required)
            .field("note", .sql(unsafeRaw: "TEXT"), .required)
            .field("entered_by", .string, .required)
            .field("voided", .bool, .required)
            .field("void_reason", .string, .required)
            .field("created_at", .datetime)
            .create()
        try await SQLIndex.create(db, "leave_person", on: LeaveRecord.schema, "person_id, starts_on")
        try await SQLIndex.path(db, "leave_scope", on: LeaveRecord.schema, column: "scope_path")
    }

    func revert(on db: any Database) async throws {
        try await db.schema(LeaveRecord.schema).delete()
    }
}
