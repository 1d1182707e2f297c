import Fluent
import Foundation

/// Xếp loại các năm trước (`PriorLevel`): one row per person and year.
struct CreatePriorLevels: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(PriorLevel.schema)
            .id()
            .field("person_id", .uuid, .required, .references(Person.schema, "id"))
            .field("person_code", .string, .required)
            .field("year", .int, .required)
            .field("level", .string, .required)
            .field("basis", .string, .required)
            .field("scope_path", .string, .required)
            .field("search_text", .string, .required)
            .field("active", .bool, .required)
            .field("created_at", .datetime)
            .field("updated_at", .datetime)
            .unique(on: "person_id", "year")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(PriorLevel.schema).delete()
    }
}
