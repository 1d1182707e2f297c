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

    /// The columns a list, its export, the calendar and the digest show: read with one SQL query
    /// joined to the assignee's and unit's names, not as full `WorkTask` models (a list page decoded
    /// 50 models of 45 columns by reflection: a third of its time in the load test).
    struct TaskLine: Sendable {
        var id: UUID
        var code: String
        var title: String
        var source: String
        var documentNumber: String
        var productName: String
        var quantity: String
        var productUnit: String
        var start: String
        var due: String
        var state: String
        var percent: Int
        var verdict: String
        var majorErrors: Int
        var delays: Int

        var assigneeID: UUID?
        var organizationID: UUID

        /// From `tasks t` alone: a single-table query plans in a fraction of the time of one joined
        /// to people and units (0,15 against 0,6 ms in the load test); names come in a second query.
        static let columns = """
            t.id, t.code, t.title, t.source, t.doc_number, t.product_name, t.quantity, t.product_unit, t.start_on, t.due_on, t.state, \
            t.percent, t.verdict, t.major_errors, t.delays, t.assignee_id, t.organization_id
            """
    }

    struct Row: Sendable {
        var task: TaskLine
        var assigneeName: String
        var assigneeCode: String
        var unitName: String
        var warning: DeadlineWarning?
    }

    static let openStates = TaskState.allCases.filter(\.isOpen).map(\.rawValue)
    static let decisionStates = [TaskState.proposed, .extensionRequested, .awaitingAcceptance].map(\.rawValue)

    /// The WHERE clause of a list (on `tasks t`), or nil when the list is empty by definition.
    func conditions(_ q: ListQuery, today: DateOnly? = nil) throws -> SQLQueryString? {
        let today = today ?? store.today
        var parts: [SQLQueryString] = []
        switch q.view {
        case .mine:
            guard let me = principal.personID else { return nil }
            parts.append("t.assignee_id = \(bind: me)")
        case .participating:
            guard let me = principal.personID else { return nil }
            parts.append("t.id IN (SELECT task_id FROM task_participants WHERE person_id = \(bind: me))")
        case .assigned:
            parts.append("t.assigner_user_id = \(bind: principal.userID)")
        case .awaiting:
            let scopes = principal.scopes(.leadWork)
            guard !scopes.isEmpty else { return nil }
            parts.append("t.state IN (\(binds: Self.decisionStates))")
            parts.append("(" + scopes.map { "t.scope_path LIKE \(bind: $0 + "%")" as SQLQueryString }.joined(separator: " OR ") + ")")
        case .unit:
            guard mayOversee(q.scopePath) else {
                throw Abort(.forbidden, reason: Principal.refusal)
            }
            parts.append("t.scope_path LIKE \(bind: q.scopePath + "%")")
        }
        switch q.state {
        case "": parts.append("t.state IN (\(binds: Self.openStates))")
        case "tat-ca": break
        case "qua-han": parts.append("t.state IN (\(binds: DeadlineJob.watched)) AND t.due_on < \(bind: today.iso)")
        default: parts.append("t.state = \(bind: q.state)")
        }
        let folded = TextNormalizer.fold(q.q)
        if !folded.isEmpty { parts.append("t.search_text LIKE \(bind: "%\(folded)%")") }
        if let d = DateOnly(parsing: q.dueFrom) { parts.append("t.due_on >= \(bind: d.iso)") }
        if let d = DateOnly(parsing: q.dueTo) { parts.append("t.due_on <= \(bind: d.iso)") }
        return parts.joined(separator: " AND ")
    }

    /// One page of a list, soonest due first, with the total (counted by the same query).
    func list(_ q: ListQuery, today: DateOnly? = nil) async throws -> (rows: [Row], total: Int) {
        let today = today ?? store.today
        guard let conditions = try conditions(q, today: today) else { return ([], 0) }
        let (rows, total) = try await lines(conditions, limit: q.perPage, offset: (q.page - 1) * q.perPage, today: today)
        if rows.isEmpty && q.page > 1 {
            // Past the last page: no row came back to carry the count.
            let n = try await store.value("SELECT COUNT(*) AS n FROM tasks t WHERE " + conditions, as: Int.self)
            return ([], n ?? 0)
        }
        return (rows, total)
    }

    /// Every row of a list (for export), up to 50 000.
    func all(_ q: ListQuery, today: DateOnly? = nil) async throws -> [Row] {
        let today = today ?? store.today
        guard let conditions = try conditions(q, today: today) else { return [] }
        return try await lines(conditions, limit: 50_000, offset: 0, today: today).rows
    }

    /// Việc của tôi on the home page: my open tasks due by `dueTo` (the overdue ones first), at most
    /// `limit`, with how many there are and how many of them are overdue — one query.
    func mine(dueTo: DateOnly, limit: Int) async throws -> (rows: [Row], total: Int, overdue: Int) {
        guard let me = principal.personID else { return ([], 0, 0) }
        let today = store.today
        let rows = try await store.db.rows(kept: MyTasksDueSQL.self, [me, dueTo.iso, today.iso, max(0, limit)]) { c in
            (try TaskLine(&c), try c.next(Int.self), try c.next(Int?.self) ?? 0)
        }
        return (try await named(rows.map(\.0), today: today), rows.first?.1 ?? 0, rows.first?.2 ?? 0)
    }

    /// A page of rows and the number of rows of the whole list (`COUNT(*) OVER ()`).
    private func lines(_ conditions: SQLQueryString, limit: Int, offset: Int, today: DateOnly) async throws -> (rows: [Row], total: Int) {
        let query: SQLQueryString = """
            SELECT \(unsafeRaw: TaskLine.columns), COUNT(*) OVER () AS total FROM tasks t
            WHERE \(conditions) ORDER BY t.due_on, t.code LIMIT \(literal: limit) OFFSET \(literal: offset)
            """
        let rows = try await store.rows(query) { c in (try TaskLine(&c), try c.next(Int.self)) }
        return (try await named(rows.map(\.0), today: today), rows.first?.1 ?? 0)
    }

    /// The lines with their assignees' and units' names and today's deadline warnings.
    private func named(_ lines: [TaskLine], today: DateOnly) async throws -> [Row] {
        let names = try await names(people: Set(lines.compactMap(\.assigneeID)), units: Set(lines.map(\.organizationID)))
        let calendar = try await DeadlineJob.calendar(store)
        return lines.map { line in
            let person = line.assigneeID.flatMap { names[$0] }
            return Row(task: line, assigneeName: person?.name ?? "(chờ phân công)", assigneeCode: person?.code ?? "",
                       unitName: names[line.organizationID]?.name ?? "",
                       warning: Self.warning(state: line.state, due: line.due, today: today, calendar: calendar,
                                             soon: settings.warnSoonDays))
        }
    }

    /// Names and codes of people and units by id: those named recently from this process's cache
    /// (kept until a write that may change the catalogs commits, here or in another process, or
    /// `settings.boardCacheSeconds` passes), the others in one query.
    private func names(people: Set<UUID>, units: Set<UUID>) async throws -> [UUID: (name: String, code: String)] {
        let cache = store.changes.names, generation = store.changes.catalogValue
        let maxAge = TimeInterval(settings.boardCacheSeconds)
        let now = store.now
        var out = cache.get(people.union(units), generation: generation, maxAge: maxAge, now: now)
        let people = people.subtracting(out.keys), units = units.subtracting(out.keys)
        var parts: [SQLQueryString] = []
        if !people.isEmpty { parts.append("SELECT id, full_name AS name, code FROM people WHERE id IN (\(binds: Array(people)))") }
        if !units.isEmpty { parts.append("SELECT id, name, code FROM organizations WHERE id IN (\(binds: Array(units)))") }
        guard !parts.isEmpty else { return out }
        var found: [UUID: (name: String, code: String)] = [:]
        for (id, name, code) in try await store.rows(parts.joined(separator: " UNION ALL "), {
            (try $0.next(UUID.self), try $0.next(String.self), try $0.next(String.self))
        }) {
            found[id] = (name, code)
        }
        if maxAge > 0 { cache.put(found, generation: generation, now: now) }
        out.merge(found) { _, new in new }
        return out
    }

    /// The deadline warning a task deserves today: only while its assignee still owes the work.
    static func warning(_ t: WorkTask, today: DateOnly, calendar: WorkCalendar, soon: Int) -> DeadlineWarning? {
        warning(state: t.state, due: t.due, today: today, calendar: calendar, soon: soon)
    }

    static func warning(state: String, due: String, today: DateOnly, calendar: WorkCalendar, soon: Int) -> DeadlineWarning? {
        guard DeadlineJob.watched.contains(state), let due = DateOnly(parsing: due) else { return nil }
        return DeadlineWarning.of(due: due, today: today, calendar: calendar, soon: soon)
    }

    // MARK: Unit board

    /// One line of the board: a unit right under the chosen one (all its subtree), or a person of
    /// the chosen unit itself, or the unit's tasks not yet distributed.
    struct BoardLine: Sendable {
        enum Kind: Sendable, Equatable { case unit, person, undistributed }
        var kind: Kind
        /// The person's or unit's id.
        var id: UUID?
        var name: String
        var code: String
        var counts: [String: Int] = [:]
        var overdue = 0
        var open: Int {
            counts.filter { DeadlineJob.watched.contains($0.key) || $0.key == TaskState.awaitingAcceptance.rawValue
                || $0.key == TaskState.proposed.rawValue }
                .values.reduce(0, +)
        }
    }

    struct Board: Sendable {
        var lines: [BoardLine]
        /// When the figures were counted (they may come from the board cache).
        var countedAt: Date
    }

    /// Bảng theo dõi đơn vị: the units right under `unit` (with their subtrees) and the people of
    /// `unit` itself × state, with the overdue count; the most overdue first. Counted from the
    /// index of (unit, state, due date, assignee); kept in the board cache until the next write of
    /// this process or `settings.boardCacheSeconds` (other processes' writes), unless `fresh`.
    func board(unit: UnitRef, today: DateOnly? = nil, fresh: Bool = false) async throws -> Board {
        let today = today ?? store.today
        guard mayOversee(unit.path) else {
            throw Abort(.forbidden, reason: Principal.refusal)
        }
        let key = unit.path + "|" + today.iso
        let generation = store.changes.value
        if !fresh, settings.boardCacheSeconds > 0,
           let hit = store.changes.boards.get(key, generation: generation, maxAge: TimeInterval(settings.boardCacheSeconds),
                                              now: store.now) {
            return hit
        }
        let orgRows = try await store.rows("SELECT id, code, name, path FROM organizations WHERE path LIKE \(bind: unit.path + "%")") {
            (id: try $0.next(UUID.self), code: try $0.next(String.self), name: try $0.next(String.self), path: try $0.next(String.self))
        }
        var child: [UUID: UUID] = [:]  // organization → the line's unit (a child of `unit`), absent for `unit` itself
        var lines: [UUID: BoardLine] = [:]
        for (id, code, name, path) in orgRows {
            guard path != unit.path else { continue }
            let rest = path.dropFirst(unit.path.count)
            guard let seg = rest.split(separator: "/").first, let top = UUID(uuidString: String(seg)) else { continue }
            child[id] = top
            if rest.split(separator: "/").count == 1 {
                lines[top] = BoardLine(kind: .unit, id: top, name: name, code: code)
            }
        }
        let below = Array(child.keys)
        let late: SQLQueryString = """
            SUM(CASE WHEN state IN (\(binds: DeadlineJob.watched)) AND due_on < \(bind: today.iso) THEN 1 ELSE 0 END) AS late
            """
        // Units below: counted per unit and state (a handful of rows, whatever the number of people).
        if !below.isEmpty {
            for (org, state, n, overdue) in try await store.rows("SELECT organization_id, state, COUNT(*) AS n, " + late
                + " FROM tasks WHERE organization_id IN (\(binds: below)) GROUP BY organization_id, state", Self.countRow) {
                guard let top = org.flatMap({ child[$0] }) else { continue }
                lines[top]?.counts[state, default: 0] += n
                lines[top]?.overdue += overdue
            }
        }
        // The unit's own people.
        var people: [UUID?: BoardLine] = [:]
        for (pid, state, n, overdue) in try await store.rows("SELECT assignee_id, state, COUNT(*) AS n, " + late
            + " FROM tasks WHERE organization_id = \(bind: unit.id) GROUP BY assignee_id, state", Self.countRow) {
            var line = people[pid] ?? BoardLine(kind: pid == nil ? .undistributed : .person, id: pid,
                                                name: pid == nil ? "(Giao cho đơn vị, chờ phân công)" : "", code: "")
            line.counts[state, default: 0] += n
            line.overdue += overdue
            people[pid] = line
        }
        let pids = people.keys.compactMap { $0 }
        if !pids.isEmpty {
            for (id, name, code) in try await store.rows("SELECT id, full_name, code FROM people WHERE id IN (\(binds: pids))", {
                (try $0.next(UUID.self), try $0.next(String.self), try $0.next(String.self))
            }) {
                people[id]?.name = name
                people[id]?.code = code
            }
        }
        let order: (BoardLine, BoardLine) -> Bool = { ($0.overdue, $0.open, $1.name) > ($1.overdue, $1.open, $0.name) }
        let board = Board(lines: lines.values.sorted(by: order) + people.values.sorted(by: order), countedAt: store.now)
        if settings.boardCacheSeconds > 0 { store.changes.boards.put(key, board, generation: generation) }
        return board
    }

    /// A count row of the board: the unit or person (none: not yet distributed), the state, how
    /// many tasks and how many of them overdue.
    private static func countRow(_ c: inout RowCells) throws -> (UUID?, String, Int, Int) {
        (try c.next(UUID?.self), try c.next(String.self), try c.next(Int.self), try c.next(Int?.self) ?? 0)
    }

    /// Leaders and overseers (người giám sát) see a unit's lists and board.
    func mayOversee(_ path: String) -> Bool {
        principal.can(.leadWork, at: path) || principal.can(.viewEvaluations, at: path)
    }

    /// The scopes the user leads or oversees.
    var overseenScopes: [String] { principal.scopes(.leadWork) + principal.scopes(.viewEvaluations) }

    /// A unit as the board names it.
    struct UnitRef: Sendable, Equatable {
        var id: UUID
        var code: String
        var name: String
        var path: String
        var parentID: UUID?

        static let columns = "id, code, name, path, parent_id"

        /// A row of `columns`, read in their order.
        init(_ c: inout RowCells) throws {
            id = try c.next()
            code = try c.next()
            name = try c.next()
            path = try c.next()
            parentID = try c.next()
        }
    }

    /// The units a leader or overseer may pick for the board: the roots of their scopes and the
    /// units right under them.
    func boardUnits() async throws -> [UnitRef] {
        let scopes = Array(Set(overseenScopes))
        guard !scopes.isEmpty else { return [] }
        return try await store.rows("""
            SELECT \(unsafeRaw: UnitRef.columns) FROM organizations WHERE active = \(bind: true) AND (path IN (\(binds: scopes))
                OR parent_id IN (SELECT id FROM organizations WHERE path IN (\(binds: scopes)))) ORDER BY path
            """, UnitRef.init)
    }

    /// A unit by its code (any unit: the board checks the right to see it).
    func unit(code: String) async throws -> UnitRef? {
        try await store.db.row("SELECT \(unsafeRaw: UnitRef.columns) FROM organizations WHERE code = \(bind: code)", UnitRef.init)
    }

    /// The unit above, if the user may see its board too.
    func boardParent(of unit: UnitRef) async throws -> UnitRef? {
        // Only a scope strictly above the unit can cover its parent: no lookup otherwise.
        let scopes = overseenScopes
        guard let parent = unit.parentID, scopes.contains(where: { $0 != unit.path && unit.path.hasPrefix($0) }),
              let up = try await store.db.row("SELECT \(unsafeRaw: UnitRef.columns) FROM organizations WHERE id = \(bind: parent)",
                                              UnitRef.init),
              mayOversee(up.path) else { return nil }
        return up
    }
}

extension WorkService.TaskLine {
    /// A row of `columns`, read in their order.
    init(_ c: inout RowCells) throws {
        self.init(id: try c.next(), code: try c.next(), title: try c.next(), source: try c.next(), documentNumber: try c.next(),
                  productName: try c.next(), quantity: try c.next(), productUnit: try c.next(), start: try c.next(),
                  due: try c.next(), state: try c.next(), percent: try c.next(), verdict: try c.next(),
                  majorErrors: try c.next(), delays: try c.next(), assigneeID: try c.next(), organizationID: try c.next())
    }
}

/// Việc của tôi on the home page: the person's open tasks due by a day ($2), the soonest first, at most $4,
/// with how many there are and how many are overdue on $3 (today).
enum MyTasksDueSQL: KeptSQL {
    static let sql = """
        SELECT \(WorkService.TaskLine.columns), COUNT(*) OVER () AS total,
               SUM(CASE WHEN t.state IN (\(literals(DeadlineJob.watched))) AND t.due_on < $3 THEN 1 ELSE 0 END) OVER () AS overdue
        FROM tasks t WHERE t.assignee_id = $1 AND t.state IN (\(literals(WorkService.openStates))) AND t.due_on <= $2
        ORDER BY t.due_on, t.code LIMIT $4
        """
}
