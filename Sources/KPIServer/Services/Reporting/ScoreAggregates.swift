import Fluent
import Foundation
import KPICore
import SQLKit

/// Tổng hợp kết quả đã lưu: a `ScoreSummary` per unit and period (`score_aggregates`), rebuilt inside
/// the transaction that stores an agency's scores (a recompute), approves them or revises one, so a
/// report or a home page reads a handful of rows and never rescores anyone. The figures of an
/// approved period are its official results (current revision); of an open one, the scores as last
/// computed.
enum ScoreAggregates {
    static let table = "score_aggregates"
    static let approvedStates = [EvaluationState.published, .locked].map(\.rawValue)

    /// One stored row: a unit's summary in an agency's period.
    struct Row: Sendable {
        var period: String
        var agencyPath: String
        var unitPath: String
        var staffKind: String
        var groupCode: String
        var approved: Bool
        var summary: ScoreSummary
    }

    /// Replaces the period's rows of `p`'s agency from its stored inputs and official results.
    static func rebuild(_ db: any Database, _ p: EvaluationPeriod) async throws {
        let official = approvedStates.contains(p.state)
        let pid = try p.requireID()
        let rows = try await db.rows("""
            SELECT s.scope_path, s.hundredths, s.level, e.hundredths AS official_hundredths, e.level AS official_level, s.tasks,
                   s.completed, s.on_time, s.not_completed,
                   s.units_assigned, s.units_completed, s.staff_kind, s.group_code
            FROM score_inputs s LEFT JOIN evaluations e ON e.person_id = s.person_id AND e.period_id = \(bind: pid) AND e.level <> ''
            WHERE s.period = \(bind: p.code) AND s.agency_path = \(bind: p.scopePath)
            """, { c in
            (path: try c.next(String.self), stored: try c.next(Int?.self), storedLevel: try c.next(String.self),
             approved: try c.next(Int?.self), approvedLevel: try c.next(String?.self),
             facts: TaskFacts(tasks: try c.next(Int.self), completed: try c.next(Int?.self), onTime: try c.next(Int.self),
                              notCompleted: try c.next(Int.self), unitsAssigned: try c.next(Int.self),
                              unitsCompleted: try c.next(Int.self)),
             kind: try c.next(String.self), group: try c.next(String.self))
        })
        struct Key: Hashable, Comparable {
            var path: String, kind: String, group: String
            static func < (a: Key, b: Key) -> Bool { (a.path, a.kind, a.group) < (b.path, b.kind, b.group) }
        }
        var units: [Key: ScoreSummary] = [:]
        for r in rows {
            let isOfficial = official && !(r.approvedLevel ?? "").isEmpty
            let level = isOfficial ? r.approvedLevel! : r.storedLevel
            units[Key(path: r.path, kind: r.kind, group: r.group), default: ScoreSummary()]
                .add(hundredths: isOfficial ? r.approved : r.stored, level: Level(rawValue: level),
                                                      facts: r.facts)
        }
        let sql = db.sql
        try await sql.raw("DELETE FROM score_aggregates WHERE period = \(bind: p.code) AND agency_path = \(bind: p.scopePath)").run()
        guard !units.isEmpty else { return }
        let insert = sql.insert(into: table).columns("id", "period", "agency_path", "unit_path", "staff_kind", "group_code", "approved",
                                                      "people",
                                                      "scored",
                                                      "with_tasks",
                                                      "sum_hundredths", "excellent", "good", "pass", "fail", "scores", "tasks",
                                                      "completed", "on_time", "not_completed", "units_assigned", "units_completed")
        for (key, s) in units.sorted(by: { $0.key < $1.key }) {
            insert.values(SQLBind(UUID()), SQLBind(p.code), SQLBind(p.scopePath), SQLBind(key.path), SQLBind(key.kind), SQLBind(key.group),
                          SQLBind(official), SQLBind(s.people),
                          SQLBind(s.scored), SQLBind(s.withTasks), SQLBind(s.sumHundredths), SQLBind(s.count(.excellent)),
                          SQLBind(s.count(.good)),
                          SQLBind(s.count(.pass)), SQLBind(s.count(.fail)), SQLBind(s.scoresText), SQLBind(s.work.tasks),
                          SQLBind(s.work.completed), SQLBind(s.work.onTime), SQLBind(s.work.notCompleted),
                          SQLBind(s.work.unitsAssigned), SQLBind(s.work.unitsCompleted))
        }
        try await insert.run()
    }

    /// `rebuild` for the period a sheet belongs to.
    static func rebuild(_ db: any Database, periodID: UUID) async throws {
        guard let p = try await EvaluationPeriod.find(periodID, on: db) else { return }
        try await rebuild(db, p)
    }

    /// The stored rows of the periods `codes` for units under any of `scopes` (a viewer's subtrees;
    /// "/" is everything).
    /// The periods with stored summaries under `scopes`, newest first (of two that start alike, the longer first).
    static func periods(_ db: any Database, under scopes: [String]) async throws -> [PeriodCode] {
        guard !scopes.isEmpty else { return [] }
        return try await db.rows("SELECT DISTINCT period FROM score_aggregates WHERE " + ScoreGathering.within("unit_path", scopes)) {
            try $0.next(String.self)
        }.compactMap(PeriodCode.init).sorted { Overview.older($1, $0) }
    }

    static func rows(_ db: any Database, periods codes: [String], under scopes: [String]) async throws -> [Row] {
        guard !codes.isEmpty, !scopes.isEmpty else { return [] }
        let within = ScoreGathering.within("unit_path", scopes.contains("/") ? ["/"] : scopes)
        return try await db.rows("""
            SELECT period, agency_path, unit_path, staff_kind, group_code, approved, people, scored, with_tasks, sum_hundredths,
                   excellent, good, pass, fail,
                   scores, tasks,
                   completed, on_time, not_completed, units_assigned, units_completed
            FROM score_aggregates WHERE period IN (\(binds: codes)) AND \(within)
            """, { c in
            var s = ScoreSummary()
            let period = try c.next(String.self), agency = try c.next(String.self), unit = try c.next(String.self)
            let kind = try c.next(String.self), group = try c.next(String.self)
            let approved = try c.next(Bool.self)
            s.people = try c.next(Int.self); s.scored = try c.next(Int.self); s.withTasks = try c.next(Int.self)
            s.sumHundredths = try c.next(Int.self)
            for level in [Level.excellent, .good, .pass, .fail] {
                let n = try c.next(Int.self)
                if n > 0 { s.levels[level] = n }
            }
            s.scores = ScoreSummary.scores(from: try c.next(String.self)) ?? [:]
            s.work = TaskFacts(tasks: try c.next(Int.self), completed: try c.next(Int?.self), onTime: try c.next(Int.self),
                               notCompleted: try c.next(Int.self), unitsAssigned: try c.next(Int.self),
                               unitsCompleted: try c.next(Int.self))
            return Row(period: period, agencyPath: agency, unitPath: unit, staffKind: kind, groupCode: group, approved: approved,
                       summary: s)
        })
    }
}
