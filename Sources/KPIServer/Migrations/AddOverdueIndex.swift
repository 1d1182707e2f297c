import Fluent
import SQLKit

/// The overdue tasks counted by unit from an index alone (the home page's hot spots of the advisory body
/// and inspectors, the deadline job's lookups by state and due date): on PostgreSQL the index carries
/// each task's unit and scope, so the count reads the index instead of every task of the province
/// (1,7 s and 1,8 GB read for 3,8 million tasks, bench/reports). It takes the place of `tasks_state_due`,
/// which it begins with.
struct AddOverdueIndex: AsyncMigration {
    func prepare(on db: any Database) async throws {
        if db.isPostgres {
            try await db.sql.raw("""
                CREATE INDEX IF NOT EXISTS tasks_overdue ON tasks (state, due_on) INCLUDE (organization_id, scope_path)
                """).run()
        } else {
            try await SQLIndex.create(db, "tasks_overdue", on: WorkTask.schema, "state, due_on, organization_id, scope_path")
        }
        try await db.sql.raw("DROP INDEX IF EXISTS tasks_state_due").run()
    }

    func revert(on db: any Database) async throws {
        try await SQLIndex.create(db, "tasks_state_due", on: WorkTask.schema, "state, due_on")
        try await db.sql.raw("DROP INDEX IF EXISTS tasks_overdue").run()
    }
}
