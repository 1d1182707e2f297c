import Fluent
import Foundation
import KPICore
import SQLKit

/// Agencies as data (issue 18): the mark on the organization tree (`organizations.is_agency`, with
/// `head_evaluator_id`), the members a period keeps (`evaluation_periods.excluded_paths`) and the
/// agency each stored input was computed in (`score_inputs.agency_path`). An existing installation
/// had its agencies at the tree's second level: those nodes are marked, its inputs get their
/// second-level path, and its periods exclude nothing — so every period gives what it gave before.
struct AddAgencyMarks: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Organization.schema).field("is_agency", .bool, .required, .sql(.default(false))).update()
        try await db.schema(Organization.schema).field("head_evaluator_id", .uuid).update()
        try await db.schema(EvaluationPeriod.schema).field("excluded_paths", .sql(unsafeRaw: "TEXT"), .required, .sql(.default("")))
            .update()
        try await db.schema(ScoreInput.schema).field("agency_path", .string, .required, .sql(.default(""))).update()
        try await SQLIndex.create(db, "score_inputs_agency", on: ScoreInput.schema, "period, agency_path")
        try await Self.markSecondLevel(on: db)
    }

    /// What the depth rule said before: every second-level node is an agency, and each stored input
    /// belongs to the second-level node above its person's unit.
    static func markSecondLevel(on db: any Database) async throws {
        let sql = db.sql
        for (id, path) in try await db.rows("SELECT id, path FROM organizations", { (try $0.next(UUID.self), try $0.next(String.self)) })
        where OrgPath.depth(path) == 2 {
            try await sql.raw("UPDATE organizations SET is_agency = \(bind: true) WHERE id = \(bind: id)").run()
        }
        for path in try await db.rows("SELECT DISTINCT scope_path FROM score_inputs", { try $0.next(String.self) }) {
            try await sql.raw("""
                UPDATE score_inputs SET agency_path = \(bind: OrgPath.prefix(path, depth: 2)) WHERE scope_path = \(bind: path)
                """).run()
        }
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ScoreInput.schema).deleteField("agency_path").update()
        try await db.schema(EvaluationPeriod.schema).deleteField("excluded_paths").update()
        try await db.schema(Organization.schema).deleteField("head_evaluator_id").update()
        try await db.schema(Organization.schema).deleteField("is_agency").update()
    }
}
