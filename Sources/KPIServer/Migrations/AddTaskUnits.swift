import Fluent
import KPICore
import SQLKit

/// `tasks.units`, the converted quantity of each task (issue 6's recompute sums it in the
/// database). Existing tasks are filled from the core's rule, once per distinct quantity, factor
/// and complexity factor (a handful of combinations however many tasks there are).
struct AddTaskUnits: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(WorkTask.schema).field("units", .string, .required, .sql(.default(""))).update()
        try await Self.fill(db)
    }

    /// Every task without its converted quantity gets it.
    static func fill(_ db: any Database) async throws {
        let sql = db as! any SQLDatabase
        let combinations = try await sql.raw("SELECT DISTINCT quantity, factor, complexity, complexity_factor FROM tasks WHERE units = ''").all()
        for r in combinations {
            let (q, f, c, cf) = (try r.decode(column: "quantity", as: String.self), try r.decode(column: "factor", as: String.self),
                                 try r.decode(column: "complexity", as: String.self), try r.decode(column: "complexity_factor", as: String.self))
            let level = cf.isEmpty ? nil : DecimalText.parse(cf).map { ComplexityLevel(name: c, factor: $0) }
            let units = try WorkService.units(quantity: DecimalText.parse(q) ?? .zero, factor: f, complexity: level)
            try await sql.raw("""
                UPDATE tasks SET units = \(bind: units)
                WHERE units = '' AND quantity = \(bind: q) AND factor = \(bind: f) AND complexity = \(bind: c) AND complexity_factor = \(bind: cf)
                """).run()
        }
    }

    func revert(on db: any Database) async throws {
        try await db.schema(WorkTask.schema).deleteField("units").update()
    }
}
