import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Tổng quan, the staff's part: my tasks, my provisional score with its projection, my sheets. A page
/// view reads the person's own rows with a few single-person queries (the periods being evaluated and
/// the frameworks, the same for everyone, are kept as the other derived figures are).
extension Overview {
    /// My tasks: how many are overdue, and the next ones due within `soon` days (overdue first).
    struct MyWork: Sendable {
        var overdue: Int
        var dueSoon: [WorkService.Row]
        var dueSoonTotal: Int
    }

    func myWork(days soon: Int = 7) async throws -> MyWork {
        let work = WorkService(store: store, principal: principal, actor: .system("tong-quan", at: store.now), settings: settings)
        // Overdue tasks are open and due before today: all of them are in the list of those due soon.
        let soonList = try await work.mine(dueTo: today.adding(days: soon), limit: 5)
        return MyWork(overdue: soonList.overdue, dueSoon: soonList.rows, dueSoonTotal: soonList.total)
    }

    /// A period being evaluated (its scores still follow the work records), with its agency's name.
    struct Computing: Sendable {
        var code: PeriodCode
        var text: String
        var scopePath: String
        var computedAt: Date?
        var agency: String
    }

    /// The periods being evaluated in the province, their distinct codes, and each by its code and scope.
    struct ComputingPeriods: Sendable {
        var all: [Computing]
        var codes: [String]
        var byCodeAndScope: [String: Computing]

        init(_ all: [Computing]) {
            self.all = all
            codes = Array(Set(all.map(\.text))).sorted()
            byCodeAndScope = Dictionary(all.map { ($0.text + "|" + $0.scopePath, $0) }, uniquingKeysWith: { a, _ in a })
        }
    }

    /// The periods being evaluated in the province: a few rows for everyone, kept until a write here
    /// and a minute at most (reading them with each person's scores planned a join on every view).
    func computing() async throws -> ComputingPeriods {
        let store = store
        return try await store.changes.cached("ky-dang-tinh", now: store.now, maxAge: 60) {
            let states = EvaluationState.allCases.filter(\.recomputes).map(\.rawValue)
            return ComputingPeriods(try await store.rows("""
                SELECT p.code, p.scope_path, p.computed_at, o.name FROM evaluation_periods p
                JOIN organizations o ON o.id = p.organization_id WHERE p.state IN (\(binds: states))
                """) { c in
                (code: try c.next(String.self), path: try c.next(String.self), at: try c.next(Date?.self), agency: try c.next(String.self))
            }.compactMap { r in
                PeriodCode(r.code).map { Computing(code: $0, text: r.code, scopePath: r.path, computedAt: r.at, agency: r.agency) }
            })
        }
    }

    /// The published frameworks, kept the same way (until a write here, a minute at most).
    func publishedFrameworks() async throws -> [Framework] {
        let db = store.db
        return try await store.changes.cached("khung-cong-bo", now: store.now, maxAge: 60) {
            try await Framework.query(on: db).filter(\.$status == "published").all()
        }
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
        let periods = try await computing()
        guard !periods.codes.isEmpty else { return nil }
        // From the earliest code being evaluated on (codes sort by year first): the rows of the other
        // periods since then are left out below.
        let found = try await store.db.rows(kept: MyStoredScoresSQL.self, [me, periods.codes.min() ?? ""]) { c in
            (period: try c.next(String.self), agencyPath: try c.next(String.self), data: try c.next(String.self),
             hundredths: try c.next(Int?.self), level: try c.next(String.self), scopePath: try c.next(String.self))
        }
        // The stored inputs of a period being evaluated for the person's agency; the newest period, and
        // of the same start the shortest (a month before its quarter).
        let matched = found.compactMap { r in
            periods.byCodeAndScope[r.period + "|" + r.agencyPath].map { (period: $0, row: r) }
        }
        guard let newest = matched.max(by: { Self.older($0.period.code, $1.period.code) }),
              var data = try? JSONDecoder().decode(ScoreInputData.self, from: Data(newest.row.data.utf8))
        else { return nil }
        let (period, row) = newest
        var out = MyScore(period: period.code, agencyName: period.agency, computedAt: period.computedAt,
                          stored: (row.hundredths, Level(rawValue: row.level)), projection: nil, tasks: [], pending: [],
                          onLeave: data.leave?.wholePeriod == true)
        guard data.year == nil else { return out }
        // Every task listed, as the explanation lists them; pending = not completed and not yet due.
        out.tasks = try await ScoreGathering(db: store.db).listed(period: period.code, scope: .person(me))
        data.tasks = out.tasks.map(\.task)
        data.groups = nil
        out.pending = out.tasks.indices.filter { i in
            out.tasks[i].task.status == TaskStatus.open.rawValue && (out.tasks[i].due.map { $0 >= today } ?? false)
        }
        // Each framework's checked rules are kept with it (reading and checking one was a tenth of the page).
        if let f = ScoreService.framework(for: data.staffKind, group: data.groupCode, at: row.scopePath, period: period.code.text,
                                          among: try await publishedFrameworks()),
           let (scorer, rules) = try? await store.changes.cached("khung|\(f.id?.uuidString ?? f.code)|\(f.version)", now: store.now,
                                                                maxAge: 60, load: {
               let definition = FrameworkService.decode(f)
               return (try FrameworkService.scorer(f), try FrameworkService.rules(f))
           }) {
            out.projection = try? data.projection(pending: out.pending, engine: ScoringEngine(rules: rules), general: scorer)
        }
        return out
    }

    /// One of my sheets the home page shows: an approved result (the trend) or a self-assessment due.
    struct Sheet: Sendable {
        var periodID: UUID
        var code: PeriodCode
        var state: EvaluationState
        var selfDue: String
        var personCode: String
        var selfDone: Bool
        var hundredths: Int?
        var revision: Int
    }

    /// My sheets of periods published or locked (current revision) and those waiting for my
    /// self-assessment: one query for the trend and the steps, read once a page.
    func mySheets() async throws -> [Sheet] {
        guard let me = principal.personID else { return [] }
        if let known = memo.lock.withLock({ memo.sheets }) { return known }
        let sheets = try await store.db.rows(kept: MySheetsSQL.self, [me]) { c in
            (id: try c.next(UUID.self), code: try c.next(String.self), state: try c.next(String.self), due: try c.next(String.self),
             person: try c.next(String.self), done: try c.next(Int.self), h: try c.next(Int?.self), revision: try c.next(Int.self))
        }.compactMap { r -> Sheet? in
            guard let code = PeriodCode(r.code), let state = EvaluationState(rawValue: r.state) else { return nil }
            return Sheet(periodID: r.id, code: code, state: state, selfDue: r.due, personCode: r.person, selfDone: r.done != 0,
                         hundredths: r.h, revision: r.revision)
        }.sorted { $0.code.text < $1.code.text }
        memo.lock.withLock { memo.sheets = sheets }
        return sheets
    }

    /// My approved results of the last `count` months and quarters, oldest first (as the history lists them).
    func myTrend(count: Int = 6) async throws -> [(period: PeriodCode, hundredths: Int?)] {
        Array(try await mySheets().filter { [.published, .locked].contains($0.state) && $0.revision > 0 && $0.code.kind != .year }
            .map { ($0.code, $0.hundredths) }.suffix(count))
    }

    /// My person code (the link to my history), from my sheets or, with none, the catalog.
    func myCode() async throws -> String? {
        if let code = try await mySheets().first?.personCode { return code }
        return try await Person.find(principal.personID, on: store.db)?.code
    }

    // MARK: Steps

    /// A step of the evaluation workflow waiting for the user.
    struct Step: Sendable {
        var text: String
        var link: String
        var due: String
    }

    func steps() async throws -> [Step] {
        var out: [Step] = []
        for s in try await mySheets() where s.state == .selfAssessment && !s.selfDone {
            out.append(Step(text: "Tự đánh giá \(s.code.label.lowercased())",
                            link: "/ky-danh-gia/\(s.periodID.uuidString)/phieu/\(s.personCode)", due: s.selfDue))
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
}

/// A person's stored scores of the periods from a code on (the home page's provisional score).
enum MyStoredScoresSQL: KeptSQL {
    static let sql = """
        SELECT period, agency_path, data, hundredths, level, scope_path FROM score_inputs WHERE person_id = $1 AND period >= $2
        """
}

/// A person's sheets of approved periods (current revision) and those waiting for their self-assessment.
enum MySheetsSQL: KeptSQL {
    static let sql = """
        SELECT p.id, p.code, p.state, p.self_due, e.person_code, CASE WHEN e.self_at IS NULL THEN 0 ELSE 1 END AS self_done,
               e.hundredths, e.revision
        FROM evaluations e JOIN evaluation_periods p ON p.id = e.period_id
        WHERE e.person_id = $1 AND ((e.revision > 0 AND p.state IN (\(literals([EvaluationState.published, .locked].map(\.rawValue)))))
          OR (e.self_at IS NULL AND p.state = \(literals([EvaluationState.selfAssessment.rawValue]))))
        """
}
