import Fluent
import Foundation
import KPICore
import SQLKit

/// Gathers one agency's inputs of a period from the work records (DOMAIN.md §3, §4): the tasks each
/// person leads that are due in the period, the beneficiary and coordination ratings, the recorded
/// violations, and for leaders the components d and đ from their unit's results. Read by a handful
/// of set queries for the whole agency; the same records always give the same inputs.
struct ScoreGathering {
    let db: any Database
    var sql: any SQLDatabase { db as! any SQLDatabase }

    struct Member: Sendable {
        var id: UUID
        var code: String
        var name: String
        var staffKind: String
        var groupCode: String
        var unitName: String
        var scopePath: String
        var leadership: String
        var isLeader: Bool { leadership != "khong" && !leadership.isEmpty }
    }

    struct Gathered: Sendable {
        var member: Member
        var data: ScoreInputData
    }

    /// Everyone active in the agency, with their inputs for `period`; leaders' d and đ computed
    /// from the results of the people they manage with the framework in force for each.
    /// `choices`: the evaluators' rubric levels and task scores, by person (from the sheets).
    func gather(period: PeriodCode, agencyPath: String, frameworks: [Framework],
                choices: [UUID: (rubric: [String: String], taskScore: String)] = [:]) async throws -> [Gathered] {
        let members = try await self.members(agencyPath)
        let (first, last) = (period.first.iso, period.last.iso)
        let like = agencyPath + "%"

        var tasks: [UUID: [ScoreInputData.Task]] = [:]
        // A task completed after the period counts as not completed in it (DOMAIN.md §4).
        func add(_ assignee: UUID, _ title: String, _ productCode: String, _ productName: String, _ unit: String, _ quantity: String,
                 _ factor: String, _ complexity: String, _ complexityFactor: String, _ state: String, _ completedOn: String,
                 _ errors: Int, _ exempt: Int, _ delays: Int) {
            let status = state == TaskState.cancelled.rawValue ? "cancelled"
                : state == TaskState.completed.rawValue && !completedOn.isEmpty && completedOn <= last ? "completed" : "open"
            tasks[assignee, default: []].append(ScoreInputData.Task(
                title: title, productCode: productCode, productName: productName, unit: unit, quantity: quantity, factor: factor,
                complexity: complexity, complexityFactor: complexityFactor, status: status, majorErrors: errors, exemptErrors: exempt, delays: delays))
        }
        let taskQuery: SQLQueryString = """
            SELECT t.assignee_id, t.title, t.product_code, t.product_name, t.product_unit, t.quantity, t.factor, t.complexity,
                   t.complexity_factor, t.state, t.completed_on, t.major_errors, t.exempt_errors, t.delays
            FROM tasks t JOIN people p ON p.id = t.assignee_id
            WHERE p.scope_path LIKE \(bind: like) AND t.due_on >= \(bind: first) AND t.due_on <= \(bind: last)
              AND t.state NOT IN (\(bind: TaskState.proposed.rawValue), \(bind: TaskState.declined.rawValue))
            ORDER BY t.due_on, t.code
            """
        if let rows = try await Store.postgresRows(on: db, taskQuery) {
            // PostgreSQL: one typed decode per row (cell-by-cell decoding was half of a recompute's time).
            for r in rows {
                let (a, title, pc, pn, unit, q, f, c, cf, state, done, errors, exempt, delays) =
                    try r.decode((UUID, String, String, String, String, String, String, String, String, String, String, Int, Int, Int).self)
                add(a, title, pc, pn, unit, q, f, c, cf, state, done, errors, exempt, delays)
            }
        } else {
            for r in try await sql.raw(taskQuery).all() {
                add(try r.decode(column: "assignee_id", as: UUID.self), try r.decode(column: "title", as: String.self),
                    try r.decode(column: "product_code", as: String.self), try r.decode(column: "product_name", as: String.self),
                    try r.decode(column: "product_unit", as: String.self), try r.decode(column: "quantity", as: String.self),
                    try r.decode(column: "factor", as: String.self), try r.decode(column: "complexity", as: String.self),
                    try r.decode(column: "complexity_factor", as: String.self), try r.decode(column: "state", as: String.self),
                    try r.decode(column: "completed_on", as: String.self), try r.decode(column: "major_errors", as: Int.self),
                    try r.decode(column: "exempt_errors", as: Int.self), try r.decode(column: "delays", as: Int.self))
            }
        }

        var metrics: [UUID: GeneralMetrics] = [:]
        // Beneficiary ratings given in the period, on the tasks the person leads.
        for r in try await sql.raw("""
            SELECT t.assignee_id AS person, COUNT(*) AS n, SUM(r.score) AS s
            FROM ratings r JOIN tasks t ON t.id = r.task_id JOIN people p ON p.id = t.assignee_id
            WHERE p.scope_path LIKE \(bind: like) AND r.created_at >= \(bind: period.first.startInVietnam)
              AND r.created_at < \(bind: period.last.startInVietnam.addingTimeInterval(86_400))
            GROUP BY t.assignee_id
            """).all() {
            let id = try r.decode(column: "person", as: UUID.self)
            metrics[id, default: GeneralMetrics()].satisfactionCount = try r.decode(column: "n", as: Int.self)
            metrics[id, default: GeneralMetrics()].satisfactionSum = try r.decode(column: "s", as: Int.self)
        }
        // Coordination ratings of shared tasks completed in the period.
        for r in try await sql.raw("""
            SELECT tp.person_id AS person, COUNT(*) AS n, SUM(tp.rating) AS s
            FROM task_participants tp JOIN tasks t ON t.id = tp.task_id JOIN people p ON p.id = tp.person_id
            WHERE p.scope_path LIKE \(bind: like) AND tp.rating > 0 AND t.completed_on >= \(bind: first) AND t.completed_on <= \(bind: last)
            GROUP BY tp.person_id
            """).all() {
            let id = try r.decode(column: "person", as: UUID.self)
            metrics[id, default: GeneralMetrics()].coordinationCount = try r.decode(column: "n", as: Int.self)
            metrics[id, default: GeneralMetrics()].coordinationSum = try r.decode(column: "s", as: Int.self)
        }
        // Violations that happened in the period, with their catalogued deductions (exact sums).
        var deductions: [UUID: Rational] = [:]
        for r in try await sql.raw("""
            SELECT d.person_id, d.deduction FROM discipline_records d JOIN people p ON p.id = d.person_id
            WHERE p.scope_path LIKE \(bind: like) AND d.kind = 'vi-pham' AND d.voided = \(bind: false)
              AND d.occurred_on >= \(bind: first) AND d.occurred_on <= \(bind: last)
            """).all() {
            let id = try r.decode(column: "person_id", as: UUID.self)
            metrics[id, default: GeneralMetrics()].violations += 1
            deductions[id] = try Rational.add(deductions[id] ?? .zero, DecimalText.parse(try r.decode(column: "deduction", as: String.self)) ?? .zero)
        }
        for (id, d) in deductions { metrics[id, default: GeneralMetrics()].deductions = DecimalText.plain(d) }

        var out = members.map { m in
            var general = metrics[m.id] ?? GeneralMetrics()
            general.rubric = choices[m.id]?.rubric ?? [:]
            var data = ScoreInputData(personCode: m.code, personName: m.name, staffKind: m.staffKind, groupCode: m.groupCode,
                                      unitName: m.unitName, tasks: tasks[m.id] ?? [], satisfaction: "", coordination: "",
                                      discipline: "", metrics: general)
            if let score = choices[m.id]?.taskScore, !score.isEmpty { data.taskRubric = score }
            return Gathered(member: m, data: data)
        }
        try await leaderComponents(&out, period: period, agencyPath: agencyPath, frameworks: frameworks)
        return out
    }

    /// The active people of the agency, by code.
    func members(_ agencyPath: String) async throws -> [Member] {
        try await sql.raw("""
            SELECT p.id, p.code, p.full_name, p.staff_kind, p.scope_path, p.leadership_rank, o.name AS unit_name, g.code AS group_code
            FROM people p JOIN organizations o ON o.id = p.organization_id
            LEFT JOIN positions pos ON pos.id = p.position_id LEFT JOIN position_groups g ON g.id = pos.group_id
            WHERE p.scope_path LIKE \(bind: agencyPath + "%") AND p.active = \(bind: true)
            ORDER BY p.code
            """).all().map { r in
            Member(id: try r.decode(column: "id", as: UUID.self), code: try r.decode(column: "code", as: String.self),
                   name: try r.decode(column: "full_name", as: String.self), staffKind: try r.decode(column: "staff_kind", as: String.self),
                   groupCode: try r.decode(column: "group_code", as: String?.self) ?? "",
                   unitName: try r.decode(column: "unit_name", as: String.self), scopePath: try r.decode(column: "scope_path", as: String.self),
                   leadership: try r.decode(column: "leadership_rank", as: String.self))
        }
    }

    /// d (kết quả hoạt động của đơn vị): 100 when everyone the leader manages reaches at least
    /// "Hoàn thành nhiệm vụ" in the period, else 50. đ (năng lực tổ chức triển khai): 100 when every
    /// planned task (kế hoạch) of the unit due in the period was completed in it, on time and
    /// without an unexempted error, else 50. A leader manages everyone in their unit's subtree but
    /// the leaders of their own unit; deeper units' leaders are scored first.
    func leaderComponents(_ people: inout [Gathered], period: PeriodCode, agencyPath: String, frameworks: [Framework]) async throws {
        let leaders = people.indices.filter { people[$0].member.isLeader }
        guard !leaders.isEmpty else { return }
        let last = period.last.iso
        var planned: [(path: String, ok: Bool)] = []
        func plan(_ path: String, _ state: String, _ completedOn: String, _ delays: Int, _ errors: Int, _ exempt: Int) {
            let done = state == TaskState.completed.rawValue && !completedOn.isEmpty && completedOn <= last
            planned.append((path, done && delays == 0 && errors <= exempt))
        }
        let plannedQuery: SQLQueryString = """
            SELECT t.scope_path, t.state, t.completed_on, t.delays, t.major_errors, t.exempt_errors FROM tasks t
            WHERE t.scope_path LIKE \(bind: agencyPath + "%") AND t.source = \(bind: TaskSource.plan.rawValue)
              AND t.due_on >= \(bind: period.first.iso) AND t.due_on <= \(bind: last)
              AND t.state NOT IN (\(bind: TaskState.proposed.rawValue), \(bind: TaskState.declined.rawValue), \(bind: TaskState.cancelled.rawValue))
            """
        if let rows = try await Store.postgresRows(on: db, plannedQuery) {
            for r in rows {
                let (path, state, done, delays, errors, exempt) = try r.decode((String, String, String, Int, Int, Int).self)
                plan(path, state, done, delays, errors, exempt)
            }
        } else {
            for r in try await sql.raw(plannedQuery).all() {
                plan(try r.decode(column: "scope_path", as: String.self), try r.decode(column: "state", as: String.self),
                     try r.decode(column: "completed_on", as: String.self), try r.decode(column: "delays", as: Int.self),
                     try r.decode(column: "major_errors", as: Int.self), try r.decode(column: "exempt_errors", as: Int.self))
            }
        }
        // Each framework decoded once: its definition, engine and pass threshold.
        var scoring: [UUID: (definition: FrameworkDefinition, engine: ScoringEngine)] = [:]
        func scorer(_ i: Int) throws -> (definition: FrameworkDefinition, engine: ScoringEngine)? {
            let m = people[i].member
            guard let f = ScoreService.framework(for: m.staffKind, group: m.groupCode, at: m.scopePath, period: period.text, among: frameworks),
                  let id = f.id else { return nil }
            if let s = scoring[id] { return s }
            let definition = FrameworkService.decode(f)
            let s = (definition, ScoringEngine(rules: try definition.rules(code: f.code)))
            scoring[id] = s
            return s
        }
        var totals: [Int: Int?] = [:]
        func total(_ i: Int) throws -> Int? {
            if let t = totals[i] { return t }
            guard let s = try scorer(i) else { totals[i] = .some(nil); return nil }
            let t = try s.engine.period(try people[i].data.periodInput(definition: s.definition), leader: people[i].data.leader).totalHundredths
            totals[i] = t
            return t
        }
        // Deepest units first: a leader's result feeds the leader above.
        for i in leaders.sorted(by: { OrgPath.depth(people[$0].member.scopePath) > OrgPath.depth(people[$1].member.scopePath) }) {
            let unit = people[i].member.scopePath
            var reached = true
            for j in people.indices where j != i && people[j].member.scopePath.hasPrefix(unit)
                && !(people[j].member.scopePath == unit && people[j].member.isLeader) {
                guard let t = try total(j), let s = try scorer(j) else { continue }
                if !ScoringEngine.reaches(t, s.engine.rules.passThreshold) { reached = false; break }
            }
            let organized = planned.allSatisfy { !$0.path.hasPrefix(unit) || $0.ok }
            people[i].data.unitResult = reached ? "100" : "50"
            people[i].data.organizing = organized ? "100" : "50"
            totals[i] = nil
        }
    }
}
