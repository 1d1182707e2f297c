import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// The lists of tasks: mine, the ones I assigned, the ones waiting for my decision, a unit's; with
/// search, filters, paging and export, all within what the user may see.
extension WorkService {
    enum View: String, Sendable {
        /// Việc của tôi (chủ trì).
        case mine = "cua-toi"
        /// Việc tôi phối hợp.
        case participating = "phoi-hop"
        /// Việc tôi giao.
        case assigned = "da-giao"
        /// Chờ tôi xử lý: proposals, extension requests and submissions in the scopes I lead.
        case awaiting = "cho-xu-ly"
        /// A unit's tasks (leaders, overseers).
        case unit = "don-vi"
    }

    struct ListQuery: Sendable {
        var view: View
        /// "" open ones, "tat-ca" all, "qua-han" overdue, or a `TaskState` raw value.
        var state = ""
        var q = ""
        /// Due between (yyyy-MM-dd, inclusive).
        var dueFrom = ""
        var dueTo = ""
        /// For `.unit`: the unit's path.
        var scopePath = "/"
        var page = 1
        var perPage = 50
    }

    struct Row: Sendable {
        var task: WorkTask
        var assigneeName: String
        var assigneeCode: String
        var unitName: String
        var warning: DeadlineWarning?
    }

    static let openStates = TaskState.allCases.filter(\.isOpen).map(\.rawValue)
    static let decisionStates = [TaskState.proposed, .extensionRequested, .awaitingAcceptance].map(\.rawValue)

    func query(_ q: ListQuery, today: DateOnly = .today) async throws -> QueryBuilder<WorkTask>? {
        let db = store.db
        let base = WorkTask.query(on: db)
        switch q.view {
        case .mine:
            guard let me = principal.personID else { return nil }
            base.filter(\.$assigneeID == me)
        case .participating:
            guard let me = principal.personID else { return nil }
            let ids = try await TaskParticipant.query(on: db).filter(\.$personID == me).all().map(\.taskID)
            guard !ids.isEmpty else { return nil }
            base.filter(\.$id ~~ ids)
        case .assigned:
            base.filter(\.$assignerUserID == principal.userID)
        case .awaiting:
            let scopes = principal.scopes(.leadWork)
            guard !scopes.isEmpty else { return nil }
            base.filter(\.$state ~~ Self.decisionStates)
            base.group(.or) { g in for s in scopes { g.filter(\.$scopePath, .custom("LIKE"), s + "%") } }
        case .unit:
            guard principal.can(.leadWork, at: q.scopePath) || principal.can(.viewEvaluations, at: q.scopePath) else {
                throw Abort(.forbidden, reason: Principal.refusal)
            }
            base.filter(\.$scopePath, .custom("LIKE"), q.scopePath + "%")
        }
        switch q.state {
        case "": base.filter(\.$state ~~ Self.openStates)
        case "tat-ca": break
        case "qua-han": base.filter(\.$state ~~ DeadlineJob.watched).filter(\.$due < today.iso)
        default: base.filter(\.$state == q.state)
        }
        let folded = TextNormalizer.fold(q.q)
        if !folded.isEmpty { base.filter(\.$searchText, .custom("LIKE"), "%\(folded)%") }
        if let d = DateOnly(parsing: q.dueFrom) { base.filter(\.$due >= d.iso) }
        if let d = DateOnly(parsing: q.dueTo) { base.filter(\.$due <= d.iso) }
        return base
    }

    /// One page of a list, soonest due first, with the total.
    func list(_ q: ListQuery, today: DateOnly = .today) async throws -> (rows: [Row], total: Int) {
        guard let base = try await query(q, today: today) else { return ([], 0) }
        let total = try await base.copy().count()
        let tasks = try await base.sort(\.$due).sort(\.$code).range((q.page - 1) * q.perPage ..< q.page * q.perPage).all()
        return (try await rows(tasks, today: today), total)
    }

    /// Every row of a list (for export), up to 50 000.
    func all(_ q: ListQuery, today: DateOnly = .today) async throws -> [Row] {
        guard let base = try await query(q, today: today) else { return [] }
        return try await rows(base.sort(\.$due).sort(\.$code).limit(50_000).all(), today: today)
    }

    /// The deadline warning a task deserves today: only while its assignee still owes the work.
    static func warning(_ t: WorkTask, today: DateOnly, calendar: WorkCalendar, soon: Int) -> DeadlineWarning? {
        guard DeadlineJob.watched.contains(t.state), let due = DateOnly(parsing: t.due) else { return nil }
        return DeadlineWarning.of(due: due, today: today, calendar: calendar, soon: soon)
    }

    func rows(_ tasks: [WorkTask], today: DateOnly) async throws -> [Row] {
        let db = store.db
        let people = try await Person.query(on: db).filter(\.$id ~~ Set(tasks.compactMap(\.assigneeID))).all()
        let byID = Dictionary(uniqueKeysWithValues: people.map { ($0.id!, $0) })
        let orgs = try await Organization.query(on: db).filter(\.$id ~~ Set(tasks.map(\.organizationID))).all()
        let orgNames = Dictionary(uniqueKeysWithValues: orgs.map { ($0.id!, $0.name) })
        let calendar = try await DeadlineJob.calendar(on: db)
        return tasks.map { t in
            let p = t.assigneeID.flatMap { byID[$0] }
            let warning = Self.warning(t, today: today, calendar: calendar, soon: settings.warnSoonDays)
            return Row(task: t, assigneeName: p?.fullName ?? "(chờ phân công)", assigneeCode: p?.code ?? "",
                       unitName: orgNames[t.organizationID] ?? "", warning: warning)
        }
    }

    // MARK: Unit board

    struct BoardLine: Sendable {
        var personID: UUID?
        var name: String
        var code: String
        var counts: [String: Int]
        var overdue: Int
        var open: Int { counts.filter { DeadlineJob.watched.contains($0.key) || $0.key == TaskState.awaitingAcceptance.rawValue || $0.key == TaskState.proposed.rawValue }.values.reduce(0, +) }
    }

    /// Bảng theo dõi đơn vị: people × state, with the overdue count; the most overdue first.
    func board(scopePath: String, today: DateOnly = .today) async throws -> [BoardLine] {
        guard principal.can(.leadWork, at: scopePath) || principal.can(.viewEvaluations, at: scopePath) else {
            throw Abort(.forbidden, reason: Principal.refusal)
        }
        let sql = store.db as! any SQLDatabase
        let watched = DeadlineJob.watched.map { "'\($0)'" }.joined(separator: ",")
        let rows = try await sql.raw("""
            SELECT assignee_id, state, COUNT(*) AS n,
                   SUM(CASE WHEN state IN (\(unsafeRaw: watched)) AND due_on < \(bind: today.iso) THEN 1 ELSE 0 END) AS late
            FROM tasks WHERE scope_path LIKE \(bind: scopePath + "%") GROUP BY assignee_id, state
            """).all()
        var lines: [UUID?: BoardLine] = [:]
        for r in rows {
            let pid = try r.decodeNil(column: "assignee_id") ? nil : try r.decode(column: "assignee_id", as: UUID.self)
            let state = try r.decode(column: "state", as: String.self)
            let n = try r.decode(column: "n", as: Int.self)
            let late = (try? r.decode(column: "late", as: Int?.self)) ?? 0
            var line = lines[pid] ?? BoardLine(personID: pid, name: "", code: "", counts: [:], overdue: 0)
            line.counts[state, default: 0] += n
            line.overdue += late
            lines[pid] = line
        }
        let people = try await Person.query(on: store.db).filter(\.$id ~~ lines.keys.compactMap { $0 }).all()
        for p in people {
            lines[p.id]?.name = p.fullName
            lines[p.id]?.code = p.code
        }
        lines[nil]?.name = "(Giao cho đơn vị, chờ phân công)"
        return lines.values.sorted { ($0.overdue, $0.open, $1.name) > ($1.overdue, $1.open, $0.name) }
    }

    /// The units a leader or overseer may pick for the board: the roots of their scopes and the
    /// units right under them.
    func boardUnits() async throws -> [Organization] {
        let scopes = Set(principal.scopes(.leadWork) + principal.scopes(.viewEvaluations))
        guard !scopes.isEmpty else { return [] }
        let all = try await Organization.query(on: store.db).filter(\.$active == true).sort(\.$path).all()
        return all.filter { o in
            scopes.contains { s in o.path == s || (OrgPath.contains(s, o.path) && o.path.split(separator: "/").count == s.split(separator: "/").count + 1) }
        }
    }
}
