import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Tổng quan (issue 19, item 1): what the home page shows each role, from stored data — the tasks,
/// the scores stored with each period's inputs and their summaries (`ScoreAggregates`), the sheets.
/// Only a person's own projection is computed on view, for that one person, from their stored inputs.
struct Overview {
    let store: Store
    let principal: Principal
    let settings: Settings
    /// What the blocks of one page share, worked out once for it.
    let memo = Memo()

    final class Memo: @unchecked Sendable {
        let lock = NSLock()
        var overseen: [String]?
        var sheets: [Sheet]?
    }

    var today: DateOnly { store.today }

    /// Whether `a` comes before `b` on a page that shows the newest period: the later start, and of the
    /// same start the shorter (a month before its quarter and year).
    static func older(_ a: PeriodCode, _ b: PeriodCode) -> Bool {
        a.first != b.first ? a.first < b.first : a.last > b.last
    }

    // MARK: Leaders

    /// A unit the user leads: its open work and its people's provisional results.
    struct UnitView: Sendable {
        var name: String
        var code: String
        var path: String
        var overdue: Int
        var awaitingAcceptance: Int
        /// The period the figures are of; nil when none is being evaluated.
        var period: PeriodCode?
        var summary: ScoreSummary
        /// People whose stored level is "không hoàn thành" for a reason already fixed — a task of the
        /// period overdue, or none of its tasks still to come — score ascending. Early in a month
        /// everyone's provisional level is low because their tasks are not due yet; that is no risk.
        var atRisk: [(code: String, name: String, hundredths: Int?)]
        /// The excellent quota's share in the framework in force for the unit's civil servants ("0.2"), and its name.
        var quota: (rate: String, framework: String)?
    }

    func units() async throws -> [UnitView] {
        let scopes = principal.scopes(.leadWork).filter { $0 != "/" }
        guard !scopes.isEmpty else { return [] }
        var out: [UnitView] = []
        for path in scopes.sorted().prefix(5) {
            guard let org = try await Organization.query(on: store.db).filter(\.$path == path).first() else { continue }
            let watched = DeadlineJob.watched
            let counts = try await store.rows("""
                SELECT SUM(CASE WHEN state IN (\(binds: watched)) AND due_on < \(bind: today.iso) THEN 1 ELSE 0 END) AS late,
                       SUM(CASE WHEN state = \(bind: TaskState.awaitingAcceptance.rawValue) THEN 1 ELSE 0 END) AS waiting
                FROM tasks WHERE scope_path LIKE \(bind: path + "%")
                  AND state IN (\(binds: watched + [TaskState.awaitingAcceptance.rawValue]))
                """) { (try $0.next(Int?.self) ?? 0, try $0.next(Int?.self) ?? 0) }.first ?? (0, 0)
            // The newest period being evaluated that covers the unit.
            let period = try await computing().all.filter { path.hasPrefix($0.scopePath) }.map(\.code).max(by: Self.older)
            var summary = ScoreSummary()
            var atRisk: [(code: String, name: String, hundredths: Int?)] = []
            var quota: (rate: String, framework: String)?
            if let period {
                if let f = ScoreService.framework(for: "cong-chuc", group: "", at: path, period: period.text,
                                                  among: try await publishedFrameworks()) {
                    quota = (FrameworkService.decode(f).quotaRate, f.name)
                }
                for r in try await ScoreAggregates.rows(store.db, periods: [period.text], under: [path]) { summary.merge(r.summary) }
                atRisk = try await store.rows("""
                    SELECT p.code, p.full_name, s.hundredths FROM score_inputs s JOIN people p ON p.id = s.person_id
                    WHERE s.period = \(bind: period.text) AND s.scope_path LIKE \(bind: path + "%")
                      AND s.level = \(bind: Level.fail.rawValue)
                      AND (EXISTS (SELECT 1 FROM tasks t WHERE t.assignee_id = s.person_id AND t.state IN (\(binds: watched))
                                     AND t.due_on < \(bind: today.iso) AND t.due_on >= \(bind: period.first.iso))
                           OR NOT EXISTS (SELECT 1 FROM tasks t WHERE t.assignee_id = s.person_id AND t.state IN (\(binds: watched))
                                            AND t.due_on >= \(bind: today.iso) AND t.due_on <= \(bind: period.last.iso)))
                    ORDER BY s.hundredths, p.code
                    """) { (code: try $0.next(String.self), name: try $0.next(String.self), hundredths: try $0.next(Int?.self)) }
            }
            out.append(UnitView(name: org.name, code: org.code, path: path, overdue: counts.0, awaitingAcceptance: counts.1, period: period,
                                summary: summary, atRisk: atRisk, quota: quota))
        }
        return out
    }

    // MARK: Heads, advisory bodies, inspectors

    /// The scopes whose agencies the user oversees (views evaluations or configures frameworks) — the head
    /// of an agency, the advisory body, the inspectors; a scope holding no whole agency (a unit's leader)
    /// is not one. Subtrees inside another are left out.
    func overseen() async throws -> [String] {
        if let known = memo.lock.withLock({ memo.overseen }) { return known }
        let map = try await store.agencies()
        let found = ReportService(store: store, principal: principal).scopes.filter { s in map.all.contains { $0.path.hasPrefix(s) } }
        memo.lock.withLock { memo.overseen = found }
        return found
    }

    struct AgencyLine: Sendable {
        var name: String
        var path: String
        var summary: ScoreSummary
    }

    /// The figures per agency of a month, and the key they are kept under (what is drawn from them may be
    /// kept under it too).
    struct Agencies: Sendable {
        var period: PeriodCode?
        var lines: [AgencyLine]
        var key: String
    }

    /// The newest month evaluated in the scopes, and its figures per agency.
    /// Stored figures only: kept as the reports keep theirs (until a write here, a minute at most).
    func agencies() async throws -> Agencies {
        let scopes = try await overseen()
        guard !scopes.isEmpty else { return Agencies(period: nil, lines: [], key: "") }
        let today = today
        let key = "tong-quan-co-quan|\(today.iso)|" + scopes.joined(separator: ",")
        let (period, lines) = try await store.changes.cached(key, now: store.now, maxAge: 60, serveStale: true) {
            try await agencies(scopes, today: today)
        }
        return Agencies(period: period, lines: lines, key: key)
    }

    /// The figures of the latest month already over (early in a month, last month's results say more
    /// than a month whose work is not due yet); the newest month when none is over.
    private func agencies(_ scopes: [String], today: DateOnly) async throws -> (period: PeriodCode?, lines: [AgencyLine]) {
        let months = try await ScoreAggregates.periods(store.db, under: scopes).filter { $0.kind == .month }
        guard let period = months.first(where: { $0.last < today }) ?? months.first else { return (nil, []) }
        let map = try await store.agencies()
        var byAgency: [String: ScoreSummary] = [:]
        for r in try await ScoreAggregates.rows(store.db, periods: [period.text], under: scopes) {
            byAgency[r.agencyPath, default: ScoreSummary()].merge(r.summary)
        }
        let lines = byAgency.map { AgencyLine(name: map.byPath[$0.key]?.name ?? $0.key, path: $0.key, summary: $0.value) }
            .sorted { $0.name.localizedStandardCompare($1.name) == .orderedAscending }
        return (period, lines)
    }

    /// Units with the most overdue tasks now (at most a minute old).
    /// Counted over every open task in the scopes (750 ms for a province of 3,8 million tasks of which half
    /// a million overdue, bench/reports), so kept a minute for everyone with the same scopes.
    func hotSpots(limit: Int = 5) async throws -> [(name: String, code: String, overdue: Int)] {
        let scopes = try await overseen()
        guard !scopes.isEmpty else { return [] }
        let (store, today) = (store, today)
        return try await store.changes.recent("hot-spots|\(limit)|\(today.iso)|" + scopes.joined(separator: ","), now: store.now,
                                              maxAge: 60) {
            try await Self.hotSpots(store, scopes: scopes, today: today, limit: limit)
        }
    }

    static func hotSpots(_ store: Store, scopes: [String], today: DateOnly, limit: Int) async throws
        -> [(name: String, code: String, overdue: Int)] {
        let rows = try await store.rows("""
            SELECT organization_id, COUNT(*) AS n FROM tasks t
            WHERE state IN (\(binds: DeadlineJob.watched)) AND due_on < \(bind: today.iso)
              AND \(ScoreGathering.within("t.scope_path", scopes))
            GROUP BY organization_id ORDER BY n DESC LIMIT \(literal: limit)
            """) { (try $0.next(UUID.self), try $0.next(Int.self)) }
        guard !rows.isEmpty else { return [] }
        let names = Dictionary(uniqueKeysWithValues: try await Organization.query(on: store.db).filter(\.$id ~~ rows.map(\.0)).all()
            .map { ($0.id!, ($0.name, $0.code)) })
        return rows.map { (names[$0.0]?.0 ?? "", names[$0.0]?.1 ?? "", $0.1) }
    }

    /// Periods not yet locked in the scopes, with how far their sheets are.
    struct Progress: Sendable {
        var id: UUID
        var code: PeriodCode
        var agency: String
        var state: EvaluationState
        var sheets: Int
        var selfDone: Int
        var reviewed: Int
    }

    /// Counted over every sheet of the periods not yet locked (some 160 000 in a province with a month and
    /// a quarter open), so kept as the agency figures are: until a write here, a minute at most, for all
    /// viewers with the same scopes.
    func progress() async throws -> [Progress] {
        let scopes = OrgPath.outermost(try await overseen() + principal.scopes(.leadWork))
        guard !scopes.isEmpty else { return [] }
        let store = store
        return try await store.changes.cached("tien-do-ky|" + scopes.joined(separator: ","), now: store.now, maxAge: 60,
                                              serveStale: true) {
            try await Self.progress(store, scopes: scopes)
        }
    }

    static func progress(_ store: Store, scopes: [String]) async throws -> [Progress] {
        let within = ScoreGathering.within("p.scope_path", scopes)
        return try await store.rows("""
            SELECT p.id, p.code, o.name, p.state, COUNT(e.id) AS sheets,
                   SUM(CASE WHEN e.self_at IS NOT NULL THEN 1 ELSE 0 END) AS self_done,
                   SUM(CASE WHEN e.reviewed_at IS NOT NULL THEN 1 ELSE 0 END) AS reviewed
            FROM evaluation_periods p JOIN organizations o ON o.id = p.organization_id LEFT JOIN evaluations e ON e.period_id = p.id
            WHERE p.state <> \(bind: EvaluationState.locked.rawValue) AND \(within)
            GROUP BY p.id, p.code, o.name, p.state ORDER BY p.code DESC, o.name LIMIT 20
            """) { c in
            (try c.next(UUID.self), try c.next(String.self), try c.next(String.self), try c.next(String.self), try c.next(Int.self),
             try c.next(Int?.self) ?? 0, try c.next(Int?.self) ?? 0)
        }.compactMap { r in
            guard let code = PeriodCode(r.1), let state = EvaluationState(rawValue: r.3) else { return nil }
            return Progress(id: r.0, code: code, agency: r.2, state: state, sheets: r.4, selfDone: r.5, reviewed: r.6)
        }
    }

    // MARK: Administrators

    struct Admin: Sendable {
        var jobs: [(name: String, holder: String, until: Date?)]
        var imports: [(at: Date, who: String, what: String)]
        var lockedOut: Int
        var neverSignedIn: Int
        var idle: Int
        var idleDays: Int
    }

    /// "person.import" → what an administrator calls it.
    static func importLabel(_ action: String) -> String {
        let kinds = ["organization": "cơ quan, đơn vị", "person": "cán bộ", "user": "tài khoản",
                     "position": "vị trí việc làm",
                     "product": "sản phẩm", "position_group": "nhóm vị trí việc làm"]
        let entity = String(action.dropLast(".import".count))
        return "nhập danh mục " + (kinds[entity] ?? entity)
    }

    func admin() async throws -> Admin? {
        guard principal.canAnywhere(.manageUsers) else { return nil }
        let scopes = principal.scopes(.manageUsers)
        let within = ScoreGathering.within("scope_path", scopes.contains("/") ? ["/"] : scopes)
        let now = store.now
        let idleDays = 90
        let jobs = principal.canAnywhere(.manageSettings) ? try await store.rows("""
            SELECT name, holder, expires_at FROM job_locks ORDER BY name
            """) { (name: try $0.next(String.self), holder: try $0.next(String.self), until: try $0.next(Date?.self)) } : []
        let imports = try await store.rows("""
            SELECT at_ms, actor, action FROM audit_entries
            WHERE action LIKE '%.import' AND action NOT LIKE '%.%.import' AND \(within) ORDER BY at_ms DESC LIMIT 5
            """) { (at: Date(timeIntervalSince1970: Double(try $0.next(Int.self)) / 1000), who: try $0.next(String.self),
                    what: Self.importLabel(try $0.next(String.self))) }
        let counts = try await store.rows("""
            SELECT SUM(CASE WHEN held_until IS NOT NULL AND held_until > \(bind: now) THEN 1 ELSE 0 END),
                   SUM(CASE WHEN last_login_at IS NULL THEN 1 ELSE 0 END),
                   SUM(CASE WHEN last_login_at IS NOT NULL AND last_login_at < \(bind: now.addingTimeInterval(-Double(idleDays) * 86_400))
                       THEN 1 ELSE 0 END)
            FROM users WHERE active = \(bind: true) AND \(within)
            """) { (try $0.next(Int?.self) ?? 0, try $0.next(Int?.self) ?? 0, try $0.next(Int?.self) ?? 0) }.first ?? (0, 0, 0)
        return Admin(jobs: jobs, imports: imports, lockedOut: counts.0, neverSignedIn: counts.1, idle: counts.2, idleDays: idleDays)
    }
}
