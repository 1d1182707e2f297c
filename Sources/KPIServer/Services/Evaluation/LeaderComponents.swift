import Fluent
import Foundation
import KPICore
import SQLKit

extension ScoreGathering {
    /// d (kết quả hoạt động của đơn vị): 100 when everyone the leader manages reaches at least
    /// "Hoàn thành nhiệm vụ" in the period, else 50. đ (năng lực tổ chức triển khai): 100 when every
    /// planned task (kế hoạch) of the unit due in the period was completed in it, on time and
    /// without an unexempted error, else 50. A leader manages everyone in their unit's subtree but
    /// the leaders of their own unit; deeper units' leaders are scored first.
    ///
    /// Each shortfall is marked once on the units above it, so a leader's components are two set
    /// lookups however many people and units the agency has.
    func leaderComponents(_ people: inout [Gathered], period: PeriodCode, frameworks: [Framework], unorganized: Set<String>) throws {
        let leaders = people.indices.filter { people[$0].member.isLeader }
        guard !leaders.isEmpty else { return }
        // Each framework read once: its indicators, engine and pass threshold.
        var scoring: [UUID: (general: GeneralScorer, engine: ScoringEngine)] = [:]
        func scorer(_ i: Int) throws -> (general: GeneralScorer, engine: ScoringEngine)? {
            let m = people[i].member
            guard let f = ScoreService.framework(for: m.staffKind, group: m.groupCode, at: m.scopePath, period: period.text,
                                                 among: frameworks),
                  let id = f.id else { return nil }
            if let s = scoring[id] { return s }
            let definition = FrameworkService.decode(f)
            let s = (try FrameworkService.scorer(f), ScoringEngine(rules: try FrameworkService.rules(f)))
            scoring[id] = s
            return s
        }
        // Who did not reach "hoàn thành": units with such a person in a deeper unit, and units
        // with such a person (not a leader) of their own.
        var shortBelow = Set<String>(), shortHere = Set<String>()
        func mark(_ j: Int) throws {
            guard let s = try scorer(j),
                  let t = try s.engine.period(try people[j].data.periodInput(general: s.general),
                                              leader: people[j].data.leader).totalHundredths,
                  !ScoringEngine.reaches(t, s.engine.rules.passThreshold) else { return }
            let path = people[j].member.scopePath
            for a in OrgPath.ancestors(path) where a != path { shortBelow.insert(a) }
            if !people[j].member.isLeader { shortHere.insert(path) }
        }
        for j in people.indices where !people[j].member.isLeader { try mark(j) }
        // Deepest units first: a leader's result (with their own d and đ) feeds the leader above.
        for i in leaders.sorted(by: { OrgPath.depth(people[$0].member.scopePath) > OrgPath.depth(people[$1].member.scopePath) }) {
            let unit = people[i].member.scopePath
            people[i].data.unitResult = shortBelow.contains(unit) || shortHere.contains(unit) ? "50" : "100"
            people[i].data.organizing = unorganized.contains(unit) ? "50" : "100"
            try mark(i)
        }
    }

    /// Units (paths) with a planned task (kế hoạch) of theirs or below them due in the period and not
    /// completed in it on time and without an unexempted error: their leaders' đ is 50. The
    /// database groups a unit's planned tasks by state and whether completed in the period, with
    /// the most unexempted delays and errors of any of them (a row per unit and outcome).
    func unorganized(period: PeriodCode, agencyPaths: [String]) async throws -> Set<String> {
        let last = period.last.iso
        var unorganized = Set<String>()
        func plan(_ path: String, _ state: String, _ inPeriod: Int, _ delays: Int, _ unexempted: Int) {
            let done = Self.status(state: state, completedInPeriod: inPeriod == 1) == "completed"
            if !(done && delays <= 0 && unexempted <= 0) { unorganized.formUnion(OrgPath.ancestors(path)) }
        }
        let plannedQuery: SQLQueryString = """
            SELECT t.scope_path, t.state, CASE WHEN t.completed_on <> '' AND t.completed_on <= \(bind: last) THEN 1 ELSE 0 END AS in_period,
                   MAX(t.delays - t.exempt_delays) AS delays, MAX(t.major_errors - t.exempt_errors) AS unexempted FROM tasks t
            WHERE \(Self.within("t.scope_path", agencyPaths)) AND t.source = \(bind: TaskSource.plan.rawValue)
              AND t.due_on >= \(bind: period.first.iso) AND t.due_on <= \(bind: last)
              AND t.state NOT IN (\(bind: TaskState.proposed.rawValue), \(bind: TaskState.declined.rawValue),
                                  \(bind: TaskState.cancelled.rawValue))
            GROUP BY t.scope_path, t.state, in_period
            """
        for row in try await db.rows(plannedQuery, { c in
            (try c.next(String.self), try c.next(String.self), try c.next(Int.self), try c.next(Int.self), try c.next(Int.self))
        }) {
            plan(row.0, row.1, row.2, row.3, row.4)
        }
        return unorganized
    }
}
