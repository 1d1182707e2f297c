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

    /// Every task without its converted quantity gets it: the distinct quantity/factor combinations
    /// are converted by the core, then written by one UPDATE … FROM (VALUES …) per 500 of them (one
    /// pass over the tasks, not one per combination).
    static func fill(_ db: any Database) async throws {
        let sql = db.sql
        var values: [(String, String, String, String, String)] = []
        let query: SQLQueryString = "SELECT DISTINCT quantity, factor, complexity, complexity_factor FROM tasks WHERE units = ''"
        for (q, f, c, cf) in try await db.rows(query, {
            (try $0.next(String.self), try $0.next(String.self), try $0.next(String.self), try $0.next(String.self))
        }) {
            let level = cf.isEmpty ? nil : DecimalText.parse(cf).map { ComplexityLevel(name: c, factor: $0) }
            values.append((q, f, c, cf, try WorkService.units(quantity: DecimalText.parse(q) ?? .zero, factor: f, complexity: level)))
        }
        for chunk in stride(from: 0, to: values.count, by: 500) {
            var rows: [SQLQueryString] = []
            for (q, f, c, cf, units) in values[chunk..<min(chunk + 500, values.count)] {
                rows.append("(\(bind: q), \(bind: f), \(bind: c), \(bind: cf), \(bind: units))")
            }
            try await sql.raw("""
                UPDATE tasks SET units = v.column5 FROM (VALUES \(rows.joined(separator: ", "))) AS v
                WHERE tasks.units = '' AND tasks.quantity = v.column1 AND tasks.factor = v.column2
                  AND tasks.complexity = v.column3 AND tasks.complexity_factor = v.column4
                """).run()
        }
    }

    func revert(on db: any Database) async throws {
        try await db.schema(WorkTask.schema).deleteField("units").update()
    }
}
