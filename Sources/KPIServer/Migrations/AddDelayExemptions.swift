import Fluent
import Foundation

/// Miễn trừ chậm tiến độ (issue 18, item 10): a late completion confirmed as due to an objective
/// cause, recorded on the task with who confirmed it and why. Existing tasks: none exempted.
struct AddDelayExemptions: AsyncMigration {
    func prepare(on db: any Database) async throws {
        // One column per statement: SQLite adds a single column per ALTER TABLE.
        try await db.schema(WorkTask.schema).field("exempt_delays", .int, .required, .sql(.default(0))).update()
        try await db.schema(WorkTask.schema).field("delay_exempt_by", .string, .required, .sql(.default(""))).update()
        try await db.schema(WorkTask.schema).field("delay_exempt_reason", .string, .required, .sql(.default(""))).update()
    }

    func revert(on db: any Database) async throws {
        for field in ["exempt_delays", "delay_exempt_by", "delay_exempt_reason"] {
            try await db.schema(WorkTask.schema).deleteField(FieldKey(stringLiteral: field)).update()
        }
    }
}
