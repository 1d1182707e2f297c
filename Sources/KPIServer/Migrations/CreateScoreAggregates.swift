import Fluent
import Foundation
import KPICore
import SQLKit

/// Stored results (issue 19): each input row keeps the score, level and task figures it was computed
/// to (`score_inputs`), and `score_aggregates` keeps a `ScoreSummary` per unit, agency and period, so
/// reports and home pages read figures instead of rescoring. Existing periods still computing are
/// marked stale (the evaluation job stores their scores on its next pass); approved ones are summed
/// from their official results at once.
struct CreateScoreAggregates: AsyncMigration {
    func prepare(on db: any Database) async throws {
        let inputs = ScoreInput.schema
        try await db.schema(inputs).field("hundredths", .int).update()
        for column in ["level", "staff_kind", "group_code"] {
            try await db.schema(inputs).field(.definition(name: .key(.init(stringLiteral: column)), dataType: .string,
                                                          constraints: [.required, .sql(.default(""))])).update()
        }
        for column in ["tasks", "on_time", "not_completed", "units_assigned", "units_completed"] {
            try await db.schema(inputs).field(.definition(name: .key(.init(stringLiteral: column)), dataType: .int64,
                                                          constraints: [.required, .sql(.default(0))])).update()
        }
        try await db.schema(inputs).field("completed", .int64).update()
        try await db.schema(ScoreAggregates.table)
            .id()
            .field("period", .string, .required)
            .field("agency_path", .string, .required)
            .field("unit_path", .string, .required)
            .field("staff_kind", .string, .required)
            .field("group_code", .string, .required)
            .field("approved", .bool, .required)
            .field("people", .int64, .required)
            .field("scored", .int64, .required)
            .field("with_tasks", .int64, .required)
            .field("sum_hundredths", .int64, .required)
            .field("excellent", .int64, .required)
            .field("good", .int64, .required)
            .field("pass", .int64, .required)
            .field("fail", .int64, .required)
            .field("scores", .sql(unsafeRaw: "TEXT"), .required)
            .field("tasks", .int64, .required)
            .field("completed", .int64)
            .field("on_time", .int64, .required)
            .field("not_completed", .int64, .required)
            .field("units_assigned", .int64, .required)
            .field("units_completed", .int64, .required)
            .create()
        try await SQLIndex.create(db, "score_aggregates_unit", on: ScoreAggregates.table, "period, unit_path")
        try await SQLIndex.create(db, "score_aggregates_agency", on: ScoreAggregates.table, "period, agency_path")
        let computing = EvaluationState.allCases.filter(\.recomputes).map(\.rawValue)
        try await db.sql.raw("UPDATE evaluation_periods SET dirty = \(bind: true) WHERE state IN (\(binds: computing))").run()
        for p in try await EvaluationPeriod.query(on: db).filter(\.$state ~~ ScoreAggregates.approvedStates).all() {
            try await ScoreAggregates.rebuild(db, p)
        }
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ScoreAggregates.table).delete()
        for column in ["hundredths", "level", "staff_kind", "group_code", "tasks", "completed", "on_time", "not_completed",
                       "units_assigned", "units_completed"] {
            try await db.schema(ScoreInput.schema).deleteField(.key(.init(stringLiteral: column))).update()
        }
    }
}
