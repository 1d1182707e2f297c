import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Gathers one agency's inputs of a period from the work records (DOMAIN.md §3, §4): the tasks each
/// person leads that are due in the period, the beneficiary and coordination ratings, the recorded
/// violations, and for leaders the components d and đ from their unit's results. Read by a handful
/// of set queries for the whole agency; the same records always give the same inputs.
struct ScoreGathering {
    let db: any Database
    var sql: any SQLDatabase { db.sql }

    struct Member: Sendable {
        var id: UUID
        var code: String
        var name: String
        var staffKind: String
        var groupCode: String
        var unitName: String
        var scopePath: String
        var leadership: String
        /// The path of the period's agency the person belongs to.
        var agencyPath = ""
        var isLeader: Bool { leadership != "khong" && !leadership.isEmpty }
    }

    struct Gathered: Sendable {
        var member: Member
        var data: ScoreInputData
    }

    /// Everyone active in the period's scope, with their inputs for `period` (see the batch form).
    func gather(period: PeriodCode, scope: PeriodScope, frameworks: [Framework],
                choices: [UUID: (rubric: [String: String], taskScore: String)] = [:], detail: Bool = false) async throws -> [Gathered] {
        try await gather(period: period, scopes: [scope], frameworks: frameworks, choices: choices,
                         detail: detail)[scope.path] ?? []
    }

    /// Everyone active in each period's scope (an agency's people, `PeriodScope`), with their inputs
    /// for `period`, by agency path; each kind of record is read once for all of them (a province's quarter is
    /// one pass over its tasks, not one per agency). Leaders' d and đ are computed from the
    /// results of the people they manage with the framework in force for each.
    /// `choices`: the evaluators' rubric levels and task scores, by person (from the sheets).
    /// `detail`: every task listed (the inputs fixed for approval and revisions); otherwise each
    /// person's tasks as groups (`ScoreInputData.TaskGroup`), summed by the database, which score
    /// the same and are what an open period keeps.
    func gather(period: PeriodCode, scopes: [PeriodScope], frameworks: [Framework],
                choices: [UUID: (rubric: [String: String], taskScore: String)] = [:],
                detail: Bool = false) async throws -> [String: [Gathered]] {
        guard !scopes.isEmpty else { return [:] }
        // Records are read for the agencies' whole subtrees, by person: only members' count.
        let agencyPaths = scopes.map(\.path)
        let members = try await self.members(scopes)
        let within = Self.within("p.scope_path", agencyPaths)
        let (first, last) = (period.first.iso, period.last.iso)
        var tasks: [UUID: [ScoreInputData.Task]] = [:]
        var groups: [UUID: ScoreInputData.TaskGrouping] = [:]
        if detail {
            tasks = try await self.tasks(period: period, scope: .agencies(agencyPaths))
        } else {
            groups = try await self.groups(period: period, agencyPaths: agencyPaths)
        }

        var metrics: [UUID: GeneralMetrics] = [:]
        // Beneficiary ratings given in the period, on the tasks the person leads.
        for (id, n, sum) in try await db.rows("""
            SELECT t.assignee_id AS person, COUNT(*) AS n, CAST(SUM(r.score) AS BIGINT) AS s
            FROM ratings r JOIN tasks t ON t.id = r.task_id JOIN people p ON p.id = t.assignee_id
            WHERE \(within) AND r.created_at >= \(bind: period.first.startInVietnam)
              AND r.created_at < \(bind: period.last.startInVietnam.addingTimeInterval(86_400))
            GROUP BY t.assignee_id
            """, { (try $0.next(UUID.self), try $0.next(Int.self), try $0.next(Int.self)) }) {
            metrics[id, default: GeneralMetrics()].satisfactionCount = n
            metrics[id, default: GeneralMetrics()].satisfactionSum = sum
        }
        // Coordination ratings of shared tasks completed in the period.
        for (id, n, sum) in try await db.rows("""
            SELECT tp.person_id AS person, COUNT(*) AS n, CAST(SUM(tp.rating) AS BIGINT) AS s
            FROM task_participants tp JOIN tasks t ON t.id = tp.task_id JOIN people p ON p.id = tp.person_id
            WHERE \(within) AND tp.rating > 0 AND t.completed_on >= \(bind: first) AND t.completed_on <= \(bind: last)
            GROUP BY tp.person_id
            """, { (try $0.next(UUID.self), try $0.next(Int.self), try $0.next(Int.self)) }) {
            metrics[id, default: GeneralMetrics()].coordinationCount = n
            metrics[id, default: GeneralMetrics()].coordinationSum = sum
        }
        // Violations that happened in the period, with their catalogued deductions (exact sums).
        var deductions: [UUID: Rational] = [:]
        for (id, deduction) in try await db.rows("""
            SELECT d.person_id, d.deduction FROM discipline_records d JOIN people p ON p.id = d.person_id
            WHERE \(within) AND d.kind = 'vi-pham' AND d.voided = \(bind: false)
              AND d.occurred_on >= \(bind: first) AND d.occurred_on <= \(bind: last)
            """, { (try $0.next(UUID.self), try $0.next(String.self)) }) {
            metrics[id, default: GeneralMetrics()].violations += 1
            deductions[id] = try Rational.add(deductions[id] ?? .zero, DecimalText.parse(deduction) ?? .zero)
        }
        for (id, d) in deductions { metrics[id, default: GeneralMetrics()].deductions = DecimalText.plain(d) }

        // Nghỉ theo chế độ: a period whose every working day is on leave is not evaluated.
        let leave = try await LeaveService.spans(on: db, within: agencyPaths, first: period.first, last: period.last)
        let calendar = leave.isEmpty ? WorkCalendar() : try await DeadlineJob.calendar(on: db)

        let unorganized = try await self.unorganized(period: period, agencyPaths: agencyPaths)
        var out: [String: [Gathered]] = [:]
        for m in members {
            var general = metrics[m.id] ?? GeneralMetrics()
            general.rubric = choices[m.id]?.rubric ?? [:]
            var data = ScoreInputData(personCode: m.code, personName: m.name, staffKind: m.staffKind, groupCode: m.groupCode,
                                      unitName: m.unitName, tasks: tasks[m.id] ?? [], satisfaction: "", coordination: "",
                                      discipline: "", metrics: general)
            if !detail { data.groups = try groups[m.id]?.groups ?? [] }
            if let score = choices[m.id]?.taskScore, !score.isEmpty { data.taskRubric = score }
            if let spans = leave[m.id] { data.leave = LeaveSpan.facts(spans, first: period.first, last: period.last, calendar: calendar) }
            out[m.agencyPath, default: []].append(Gathered(member: m, data: data))
        }
        for path in out.keys {
            try leaderComponents(&out[path]!, period: period, frameworks: frameworks, unorganized: unorganized)
        }
        return out
    }

    /// `column LIKE 'path%'` for any of the paths: one condition for a batch of agencies.
    static func within(_ column: String, _ paths: [String]) -> SQLQueryString {
        var condition: SQLQueryString = "("
        for (i, path) in paths.enumerated() {
            if i > 0 { condition.appendInterpolation(unsafeRaw: " OR ") }
            condition.appendInterpolation(unsafeRaw: column)
            condition.appendInterpolation(unsafeRaw: " LIKE ")
            condition.appendInterpolation(bind: path + "%")
        }
        condition.appendInterpolation(unsafeRaw: ")")
        return condition
    }

    /// Whose tasks `tasks(period:scope:)` lists: the people of agencies (paths) or one person.
    enum TaskScope { case agencies([String]), person(UUID) }

    /// A task's status in the period: completed only when completed by its last day (a task
    /// completed after the period counts as not completed in it, DOMAIN.md §4).
    static func status(state: String, completedInPeriod: Bool) -> String {
        state == TaskState.cancelled.rawValue ? "cancelled" : state == TaskState.completed.rawValue
            && completedInPeriod ? "completed" : "open"
    }

    /// The tasks each person leads that are due in the period, one by one, by due date.
    func tasks(period: PeriodCode, scope: TaskScope) async throws -> [UUID: [ScoreInputData.Task]] {
        var tasks: [UUID: [ScoreInputData.Task]] = [:]
        for l in try await listed(period: period, scope: scope) { tasks[l.assignee, default: []].append(l.task) }
        return tasks
    }

    /// A task as the inputs list it, with what names it on a page.
    struct Listed: Sendable {
        var id: UUID
        var code: String
        var due: DateOnly?
        var assignee: UUID
        var task: ScoreInputData.Task
    }

    /// `tasks`, in the same order, each with its id, code and due date.
    func listed(period: PeriodCode, scope: TaskScope) async throws -> [Listed] {
        let (first, last) = (period.first.iso, period.last.iso)
        let read: @Sendable (inout RowCells) throws -> Listed = { c in
            let id = try c.next(UUID.self), code = try c.next(String.self), due = try c.next(String.self)
            let assignee = try c.next(UUID.self)
            let title = try c.next(String.self), productCode = try c.next(String.self), productName = try c.next(String.self)
            let unit = try c.next(String.self), quantity = try c.next(String.self), factor = try c.next(String.self)
            let complexity = try c.next(String.self), complexityFactor = try c.next(String.self)
            let state = try c.next(String.self), completedOn = try c.next(String.self)
            let status = Self.status(state: state, completedInPeriod: !completedOn.isEmpty && completedOn <= last)
            let task = ScoreInputData.Task(
                title: title, productCode: productCode, productName: productName, unit: unit, quantity: quantity, factor: factor,
                complexity: complexity, complexityFactor: complexityFactor, status: status, majorErrors: try c.next(Int.self),
                exemptErrors: try c.next(Int.self), delays: try c.next(Int.self), exemptDelays: try c.next(Int.self))
            return Listed(id: id, code: code, due: DateOnly(parsing: due), assignee: assignee, task: task)
        }
        switch scope {
        case .person(let id):
            // One person's (the home page's projection, on every view): kept prepared, no join.
            return try await db.rows(kept: PersonTasksSQL.self, [id, first, last], read)
        case .agencies(let paths):
            return try await db.rows("""
                SELECT \(unsafeRaw: PersonTasksSQL.columns)
                FROM tasks t JOIN people p ON p.id = t.assignee_id
                WHERE \(Self.within("p.scope_path", paths)) AND t.due_on >= \(bind: first) AND t.due_on <= \(bind: last)
                  AND t.state NOT IN (\(unsafeRaw: PersonTasksSQL.leftOut))
                ORDER BY t.due_on, t.code
                """, read)
        }
    }

    /// The same tasks as groups per person: the database groups them by what the engine reads
    /// (state, completed by the period's end, errors, delays) and sums their stored converted
    /// quantities exactly (PostgreSQL's NUMERIC); SQLite has no exact decimal sum, so there the
    /// groups are split by quantity too and summed here. The status rule stays in `status`.
    func groups(period: PeriodCode, agencyPaths: [String]) async throws -> [UUID: ScoreInputData.TaskGrouping] {
        let last = period.last.iso
        let postgres = db.isPostgres
        let units: SQLQueryString = postgres ? "CAST(SUM(CAST(t.units AS NUMERIC)) AS TEXT)" : "t.units"
        let byUnits: SQLQueryString = postgres ? "" : ", t.units"
        let query: SQLQueryString = """
            SELECT t.assignee_id, t.state, CASE WHEN t.completed_on <> '' AND t.completed_on <= \(bind: last) THEN 1 ELSE 0 END AS \
            in_period,
                   t.major_errors, t.exempt_errors, t.delays, t.exempt_delays, COUNT(*) AS n, \(units) AS units
            FROM tasks t JOIN people p ON p.id = t.assignee_id
            WHERE \(Self.within("p.scope_path", agencyPaths)) AND t.due_on >= \(bind: period.first.iso) AND t.due_on <= \(bind: last)
              AND t.state NOT IN (\(bind: TaskState.proposed.rawValue), \(bind: TaskState.declined.rawValue))
            GROUP BY t.assignee_id, t.state, in_period, t.major_errors, t.exempt_errors, t.delays, t.exempt_delays\(byUnits)
            """
        var groups: [UUID: ScoreInputData.TaskGrouping] = [:]
        func add(_ a: UUID, _ state: String, _ inPeriod: Int, _ errors: Int, _ exempt: Int, _ delays: Int, _ exemptDelays: Int,
                 _ n: Int, _ units: String) throws {
            guard let u = Rational(decimal: units) else { throw Abort(.internalServerError,
                                                                      reason: "tasks.units «\(units)» is not a decimal") }
            try groups[a, default: .init()].add(units: postgres ? u : try Rational.multiply(u, Rational(n)), count: n,
                                               status: Self.status(state: state, completedInPeriod: inPeriod == 1),
                                               majorErrors: errors, exemptErrors: exempt, delays: delays,
                                               exemptDelays: exemptDelays)
        }
        for row in try await db.rows(query, { c in
            (try c.next(UUID.self), try c.next(String.self), try c.next(Int.self), try c.next(Int.self), try c.next(Int.self),
             try c.next(Int.self), try c.next(Int.self), try c.next(Int.self), try c.next(String.self))
        }) {
            try add(row.0, row.1, row.2, row.3, row.4, row.5, row.6, row.7, row.8)
        }
        return groups
    }

    /// The active people of the periods' scopes, by code, each with the scope they belong to.
    func members(_ scopes: [PeriodScope]) async throws -> [Member] {
        let byPath = Dictionary(scopes.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        return try await db.rows("""
            SELECT p.id, p.code, p.full_name, p.staff_kind, g.code AS group_code, o.name AS unit_name, p.scope_path, p.leadership_rank
            FROM people p JOIN organizations o ON o.id = p.organization_id
            LEFT JOIN positions pos ON pos.id = p.position_id LEFT JOIN position_groups g ON g.id = pos.group_id
            WHERE \(Self.within("p.scope_path", scopes.map(\.path))) AND p.active = \(bind: true)
            ORDER BY p.code
            """) { c in
            Member(id: try c.next(), code: try c.next(), name: try c.next(), staffKind: try c.next(),
                   groupCode: try c.next(String?.self) ?? "", unitName: try c.next(), scopePath: try c.next(), leadership: try c.next())
        }.compactMap { m in
            var m = m
            guard let owner = PeriodScope.owner(of: m.scopePath, among: byPath) else { return nil }
            m.agencyPath = owner.path
            return m
        }
    }}

/// One person's tasks due in a period, as the inputs list them (proposals and declined tasks are no one's work yet).
enum PersonTasksSQL: KeptSQL {
    static let columns = """
        t.id, t.code, t.due_on, t.assignee_id, t.title, t.product_code, t.product_name, t.product_unit, t.quantity, t.factor, \
        t.complexity, t.complexity_factor, t.state, t.completed_on, t.major_errors, t.exempt_errors, t.delays, t.exempt_delays
        """
    static let leftOut = literals([TaskState.proposed.rawValue, TaskState.declined.rawValue])
    static let sql = """
        SELECT \(columns) FROM tasks t
        WHERE t.assignee_id = $1 AND t.due_on >= $2 AND t.due_on <= $3 AND t.state NOT IN (\(leftOut))
        ORDER BY t.due_on, t.code
        """
}
