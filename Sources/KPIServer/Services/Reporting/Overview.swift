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
    }

    var today: DateOnly { store.today }

    /// Whether `a` comes before `b` on a page that shows the newest period: the later start, and of the
    /// same start the shorter (a month before its quarter and year).
    static func older(_ a: PeriodCode, _ b: PeriodCode) -> Bool {
        a.first != b.first ? a.first < b.first : a.last > b.last
    }

    // MARK: Staff

    /// My tasks: how many are overdue, and the next ones due within `soon` days (overdue first).
    struct MyWork: Sendable {
        var overdue: Int
        var dueSoon: [WorkService.Row]
        var dueSoonTotal: Int
    }

    func myWork(days soon: Int = 7) async throws -> MyWork {
        let work = WorkService(store: store, principal: principal, actor: .system("tong-quan", at: store.now), settings: settings)
        let overdue = try await work.list(.init(view: .mine, state: "qua-han", perPage: 1)).total
        let soonList = try await work.list(.init(view: .mine, state: "", dueTo: today.adding(days: soon).iso, perPage: 5))
        return MyWork(overdue: overdue, dueSoon: soonList.rows, dueSoonTotal: soonList.total)
    }

    /// My provisional score in the newest period still being evaluated, as stored, with the projection.
    struct MyScore: Sendable {
        var period: PeriodCode
        var agencyName: String
        var computedAt: Date?
        var stored: (hundredths: Int?, level: Level?)
        var projection: ScoreProjection?
        /// The tasks of the period, listed (index = the projection's task index).
        var tasks: [ScoreGathering.Listed]
        /// Indices of the tasks not completed and not yet due.
        var pending: [Int]
        var onLeave: Bool
    }

    func myScore() async throws -> MyScore? {
        guard let me = principal.personID else { return nil }
        let computing = EvaluationState.allCases.filter(\.recomputes).map(\.rawValue)
        let found = try await store.rows("""
            SELECT s.period, s.data, s.hundredths, s.level, p.computed_at, o.name, s.scope_path
            FROM score_inputs s JOIN evaluation_periods p ON p.code = s.period AND p.scope_path = s.agency_path
            JOIN organizations o ON o.id = p.organization_id
            WHERE s.person_id = \(bind: me) AND p.state IN (\(binds: computing))
            """) { c in
            (period: try c.next(String.self), data: try c.next(String.self), hundredths: try c.next(Int?.self),
             level: try c.next(String.self), computedAt: try c.next(Date?.self), agency: try c.next(String.self),
             scopePath: try c.next(String.self))
        }
        // The newest period; of the same start, the shortest (a month before its quarter).
        guard let row = found.compactMap({ r in PeriodCode(r.period).map { (code: $0, row: r) } })
            .max(by: { Self.older($0.code, $1.code) }),
            var data = try? JSONDecoder().decode(ScoreInputData.self, from: Data(row.row.data.utf8))
        else { return nil }
        var out = MyScore(period: row.code, agencyName: row.row.agency, computedAt: row.row.computedAt,
                          stored: (row.row.hundredths, Level(rawValue: row.row.level)), projection: nil, tasks: [], pending: [],
                          onLeave: data.leave?.wholePeriod == true)
        guard data.year == nil else { return out }
        // Every task listed, as the explanation lists them; pending = not completed and not yet due.
        out.tasks = try await ScoreGathering(db: store.db).listed(period: row.code, scope: .person(me))
        data.tasks = out.tasks.map(\.task)
        data.groups = nil
        out.pending = out.tasks.indices.filter { i in
            out.tasks[i].task.status == TaskStatus.open.rawValue && (out.tasks[i].due.map { $0 >= today } ?? false)
        }
        // The published frameworks and each one's checked rules are kept as the other derived figures are
        // (until a write here, a minute at most): reading and checking a framework was a tenth of the page.
        let db = store.db
        let frameworks = try await store.changes.cached("khung-cong-bo", now: store.now, maxAge: 60) {
            try await Framework.query(on: db).filter(\.$status == "published").all()
        }
        let scopePath = row.row.scopePath
        if let f = ScoreService.framework(for: data.staffKind, group: data.groupCode, at: scopePath, period: row.code.text,
                                          among: frameworks),
           let (scorer, rules) = try? await store.changes.cached("khung|\(f.id?.uuidString ?? f.code)|\(f.version)", now: store.now,
                                                                maxAge: 60, load: {
               let definition = FrameworkService.decode(f)
               return (try GeneralScorer(definition), try definition.rules(code: f.code))
           }) {
            out.projection = try? data.projection(pending: out.pending, engine: ScoringEngine(rules: rules), general: scorer)
        }
        return out
    }

    /// A step of the evaluation workflow waiting for the user.
    struct Step: Sendable {
        var text: String
        var link: String
        var due: String
    }

    func steps() async throws -> [Step] {
        var out: [Step] = []
        if let me = principal.personID {
            for (pid, code, due, personCode) in try await store.rows("""
                SELECT p.id, p.code, p.self_due, e.person_code FROM evaluations e JOIN evaluation_periods p ON p.id = e.period_id
                WHERE e.person_id = \(bind: me) AND e.self_at IS NULL AND p.state = \(bind: EvaluationState.selfAssessment.rawValue)
                """, { (try $0.next(UUID.self), try $0.next(String.self), try $0.next(String.self), try $0.next(String.self)) }) {
                out.append(Step(text: "Tự đánh giá \(PeriodCode(code)?.label.lowercased() ?? code)",
                                link: "/ky-danh-gia/\(pid.uuidString)/phieu/\(personCode)", due: due))
            }
        }
        let leads = principal.scopes(.leadWork)
        guard !leads.isEmpty else { return out }
        let within = ScoreGathering.within("p.scope_path", leads.contains("/") ? ["/"] : leads)
        // Sheets to review: the user leads the person's evaluator scope, never their own sheet.
        var reviews: [UUID: (code: String, due: String, n: Int)] = [:]
        for r in try await store.rows("""
            SELECT e.period_id, e.person_id, e.scope_path, e.is_leader, p.code, p.review_due
            FROM evaluations e JOIN evaluation_periods p ON p.id = e.period_id
            WHERE p.state = \(bind: EvaluationState.review.rawValue) AND e.reviewed_at IS NULL
              AND \(ScoreGathering.within("e.scope_path", leads.contains("/") ? ["/"] : leads))
            """, { c in
            (period: try c.next(UUID.self), person: try c.next(UUID.self), path: try c.next(String.self), leader: try c.next(Bool.self),
             code: try c.next(String.self), due: try c.next(String.self))
        }) where EvaluationFlow.mayReview(principal, person: r.person, scopePath: r.path, isLeader: r.leader) {
            reviews[r.period, default: (r.code, r.due, 0)].n += 1
        }
        for (pid, r) in reviews.sorted(by: { $0.value.due < $1.value.due }) {
            out.append(Step(text: "Đánh giá \(r.n) phiếu \(PeriodCode(r.code)?.label.lowercased() ?? r.code)",
                            link: "/ky-danh-gia/\(pid.uuidString)", due: r.due))
        }
        for (pid, code, due, path) in try await store.rows("""
            SELECT p.id, p.code, p.approve_due, p.scope_path FROM evaluation_periods p
            WHERE p.state = \(bind: EvaluationState.approval.rawValue) AND \(within)
            """, { (try $0.next(UUID.self), try $0.next(String.self), try $0.next(String.self), try $0.next(String.self)) })
        where principal.can(.leadWork, at: path) {
            out.append(Step(text: "Phê duyệt kết quả \(PeriodCode(code)?.label.lowercased() ?? code)",
                            link: "/ky-danh-gia/\(pid.uuidString)/phe-duyet", due: due))
        }
        return out
    }

    /// My approved results of the last `count` months and quarters, oldest first.
    func myTrend(count: Int = 6) async throws -> [HistoryController.Line] {
        guard let me = principal.personID else { return [] }
        return Array(try await HistoryController.lines(personID: me, on: store.db).filter { $0.period.kind != .year }.suffix(count))
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
        let computing = EvaluationState.allCases.filter(\.recomputes).map(\.rawValue)
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
            let period = try await store.rows("""
                SELECT code FROM evaluation_periods WHERE state IN (\(binds: computing))
                  AND substr(\(bind: path), 1, length(scope_path)) = scope_path
                """) { try $0.next(String.self) }.compactMap(PeriodCode.init).max(by: Self.older)
            var summary = ScoreSummary()
            var atRisk: [(code: String, name: String, hundredths: Int?)] = []
            var quota: (rate: String, framework: String)?
            if let period {
                let frameworks = try await Framework.query(on: store.db).filter(\.$status == "published").all()
                if let f = ScoreService.framework(for: "cong-chuc", group: "", at: path, period: period.text, among: frameworks) {
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
        let (period, lines) = try await store.changes.cached(key, now: store.now, maxAge: 60) {
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
        return try await store.changes.cached("tien-do-ky|" + scopes.joined(separator: ","), now: store.now, maxAge: 60) {
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
