import Fluent
import KPICore
import SQLKit

/// Each stored score keeps how its agency's ranking reached it (issue 19, item 9): the framework it
/// was scored with, the quota's reasons and the tie at the quota's edge (`QuotaOutcome`), so the
/// results list and a result's explanation read them instead of ranking the agency again on view.
/// Periods still computing are marked stale: the evaluation job stores them again on its next pass;
/// approved ones are shown from their official results and need nothing more.
struct AddStoredRanking: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(ScoreInput.schema).field("framework_id", .uuid).update()
        try await db.schema(ScoreInput.schema).field(.definition(name: .key("tie"), dataType: .bool,
                                                                 constraints: [.required, .sql(.default(false))])).update()
        try await db.schema(ScoreInput.schema).field(.definition(name: .key("quota"), dataType: .sql(unsafeRaw: "TEXT"),
                                                                 constraints: [.required, .sql(.default(""))])).update()
        let computing = EvaluationState.allCases.filter(\.recomputes).map(\.rawValue)
        try await db.sql.raw("UPDATE evaluation_periods SET dirty = \(bind: true) WHERE state IN (\(binds: computing))").run()
    }

    func revert(on db: any Database) async throws {
        for column in ["framework_id", "tie", "quota"] {
            try await db.schema(ScoreInput.schema).deleteField(.key(.init(stringLiteral: column))).update()
        }
    }
}
