import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Báo cáo (issue 19, item 2): the stored summaries (`ScoreAggregates`) of the chosen periods, drilled
/// down province → agency → unit → person, filtered by block, level, staff kind and position group,
/// each line beside the same figures of the period before. Only what lies in the viewer's scopes (the
/// subtrees where they see evaluations or configure frameworks) is read; a page view rescores nobody.
struct ReportService {
    let store: Store
    let principal: Principal

    struct Query: Sendable {
        /// One period, or the months of a range (their summaries added up: people counted once per period).
        var periods: [PeriodCode]
        /// The organization drilled into; nil: the province, by agency.
        var node: String?
        var block = ""
        var level = ""
        var staffKind = ""
        var group = ""
    }

    struct Line: Sendable {
        var name: String
        var code: String
        /// Where the line drills to (an organization code), nil for a person or for those directly in a unit.
        var drill: String?
        var summary: ScoreSummary
        var previous: ScoreSummary
        var complaints = 0
        var corrections = 0
        /// The line's figures of each chosen period, by period code (a range's months).
        var byPeriod: [String: ScoreSummary] = [:]
    }

    /// A person's line at the bottom of the drill-down.
    struct Person: Sendable {
        /// The unit the result was computed in.
        var unitPath: String
        var code: String
        var name: String
        var period: String
        var hundredths: Int?
        var level: Level?
        var facts: TaskFacts
    }

    struct Report: Sendable {
        var query: Query
        var nodeName: String
        /// The way up: (name, code) from the province down to the node's parent.
        var trail: [(String, String?)]
        var lines: [Line]
        var total: Line
        var people: [Person]
        var previousLabel: String
    }

    /// The subtrees the viewer's reports cover.
    var scopes: [String] {
        OrgPath.outermost(principal.scopes(.viewEvaluations) + principal.scopes(.configureFramework))
    }

    /// The periods before `periods`, as many and of the same kind.
    static func previous(_ periods: [PeriodCode]) -> [PeriodCode] {
        var out: [PeriodCode] = []
        var p = periods.min()
        for _ in periods {
            guard let before = p?.previous else { break }
            out.insert(before, at: 0)
            p = before
        }
        return out
    }

    static func label(_ periods: [PeriodCode]) -> String {
        guard let first = periods.min(), let last = periods.max() else { return "" }
        return first == last ? first.label : "\(first.label) – \(last.label)"
    }

    /// The node a query drills into (nil: the province) and the parts of it the viewer sees: the node itself
    /// when inside a scope, else the scopes inside it. A node outside every scope is unknown (404).
    func resolve(_ q: Query) async throws -> (node: Organization?, within: [String]) {
        let scopes = self.scopes
        guard !scopes.isEmpty else { throw Abort(.forbidden, reason: Principal.refusal) }
        guard let code = q.node else { return (nil, scopes) }
        guard let org = try await Organization.query(on: store.db).filter(\.$code == code).first(),
              scopes.contains(where: { org.path.hasPrefix($0) || $0.hasPrefix(org.path) }) else {
            throw Abort(.notFound, reason: "Không có cơ quan, đơn vị này trong phạm vi báo cáo của bạn.")
        }
        return (org, scopes.contains { org.path.hasPrefix($0) } ? [org.path] : scopes.filter { $0.hasPrefix(org.path) })
    }

    func report(_ q: Query) async throws -> Report {
        let scopes = self.scopes
        let (node, within) = try await resolve(q)
        let map = try await store.agencies()
        let levels = try await agencyLevels()
        func keep(_ r: ScoreAggregates.Row) -> Bool {
            (q.block.isEmpty || map.byPath[r.agencyPath]?.block == q.block)
                && (q.level.isEmpty || levels[r.agencyPath] == q.level)
                && (q.staffKind.isEmpty || r.staffKind == q.staffKind) && (q.group.isEmpty || r.groupCode == q.group)
        }
        let previousPeriods = Self.previous(q.periods)
        let rows = try await ScoreAggregates.rows(store.db, periods: (q.periods + previousPeriods).map(\.text), under: within)
            .filter(keep)
        let current = Set(q.periods.map(\.text))

        // Lines: agencies at the province; below a node, its children, and those directly in it.
        var names: [String: (name: String, code: String)] = [:]
        let childPaths: (String) -> String? = { path in
            guard let n = node else { return nil }
            guard path != n.path, path.hasPrefix(n.path),
                  let seg = path.dropFirst(n.path.count).split(separator: "/").first else { return nil }
            return n.path + seg + "/"
        }
        var lines: [String: Line] = [:]
        var total = Line(name: "Tổng", code: "", drill: nil, summary: ScoreSummary(), previous: ScoreSummary())
        for r in rows {
            let key = node == nil ? r.agencyPath : (childPaths(r.unitPath) ?? r.unitPath)
            var line = lines[key] ?? Line(name: "", code: "", drill: nil, summary: ScoreSummary(), previous: ScoreSummary())
            if current.contains(r.period) {
                line.summary.merge(r.summary); total.summary.merge(r.summary)
                line.byPeriod[r.period, default: ScoreSummary()].merge(r.summary)
            } else {
                line.previous.merge(r.summary); total.previous.merge(r.summary)
            }
            lines[key] = line
        }
        let paths = Array(lines.keys)
        if !paths.isEmpty {
            for org in try await Organization.query(on: store.db).filter(\.$path ~~ paths).all() { names[org.path] = (org.name, org.code) }
        }
        for key in paths {
            let n = names[key]
            lines[key]!.name = key == node?.path ? "Trực tiếp tại \(node!.name)" : n?.name ?? key
            lines[key]!.code = n?.code ?? ""
            lines[key]!.drill = key == node?.path ? nil : n?.code
        }
        // Complaints filed and results corrected (kiến nghị, phúc tra, kết luận) in the chosen periods.
        let codes = q.periods.map(\.text)
        let periodIDs = codes.isEmpty ? [] : try await store.rows(
            "SELECT id, scope_path FROM evaluation_periods WHERE code IN (\(binds: codes))"
        ) {
            (id: try $0.next(UUID.self), path: try $0.next(String.self))
        }.filter { p in within.contains { p.path.hasPrefix($0) || $0.hasPrefix(p.path) } }.map(\.id)
        if !periodIDs.isEmpty {
            let bucket: (String, String) -> String = { path, agency in node == nil ? agency : (childPaths(path) ?? path) }
            for (path, agency) in try await store.rows("""
                SELECT c.scope_path, p.scope_path AS agency_path FROM complaints c JOIN evaluation_periods p ON p.id = c.period_id
                WHERE c.period_id IN (\(binds: periodIDs)) AND \(ScoreGathering.within("c.scope_path", within))
                """, { (try $0.next(String.self), try $0.next(String.self)) }) {
                lines[bucket(path, agency)]?.complaints += 1
                total.complaints += 1
            }
            for (path, agency) in try await store.rows("""
                SELECT e.scope_path, p.scope_path AS agency_path FROM evaluation_revisions r JOIN evaluations e ON e.period_id = r.period_id
                  AND e.person_id = r.person_id JOIN evaluation_periods p ON p.id = r.period_id
                WHERE r.period_id IN (\(binds: periodIDs)) AND r.number > 1 AND \(ScoreGathering.within("e.scope_path", within))
                """, { (try $0.next(String.self), try $0.next(String.self)) }) {
                lines[bucket(path, agency)]?.corrections += 1
                total.corrections += 1
            }
        }
        // People directly in the node.
        var people: [Person] = []
        if let n = node, within.contains(where: { n.path.hasPrefix($0) }) {
            people = try await self.people(in: [n.path], periods: q.periods, filter: q)
        }
        var trail: [(String, String?)] = [("Toàn tỉnh", nil)]
        if let n = node {
            let ancestors = OrgPath.ancestors(n.path)
            let orgs = try await Organization.query(on: store.db).filter(\.$path ~~ ancestors).all()
            for a in ancestors where a != n.path {
                guard let org = orgs.first(where: { $0.path == a }), scopes.contains(where: { a.hasPrefix($0) || $0.hasPrefix(a) })
                else { continue }
                trail.append((org.name, org.code))
            }
        }
        return Report(query: q, nodeName: node?.name ?? "Toàn tỉnh", trail: trail,
                      lines: lines.values.sorted { $0.name.localizedStandardCompare($1.name) == .orderedAscending },
                      total: total, people: people, previousLabel: Self.label(previousPeriods))
    }

    static let everyoneHeader = ["Mã", "Họ và tên", "Cơ quan", "Đơn vị", "Kỳ", "Điểm", "Xếp loại", "Nhiệm vụ",
                                 "Hoàn thành",
                                 "Đúng hạn"]

    /// Every person's result under the report's node (the whole province, an agency, a unit with its
    /// units), within the viewer's scopes and the query's filters, for the export «từng người». Checks the
    /// node and the scope and audits the export (personal results leave the system) before anything is
    /// sent; `Everyone.rows` then reads the results a few units at a time.
    func everyone(_ q: Query, actor: Actor) async throws -> Everyone {
        let within = try await resolve(q).within
        let map = try await store.agencies()
        let levels = try await agencyLevels()
        let codes = q.periods.map(\.text)
        // The units with results, each with its count, in path order; the agency filters (block, level) apply here.
        let units = codes.isEmpty ? [] : try await store.rows("""
            SELECT s.scope_path, s.agency_path, COUNT(*) AS n FROM score_inputs s
            JOIN evaluation_periods ep ON ep.code = s.period AND ep.scope_path = s.agency_path
            WHERE s.period IN (\(binds: codes)) AND \(ScoreGathering.within("s.scope_path", within))
            GROUP BY s.scope_path, s.agency_path ORDER BY s.scope_path
            """) { (path: try $0.next(String.self), agency: try $0.next(String.self), n: try $0.next(Int.self)) }
            .filter { (q.block.isEmpty || map.byPath[$0.agency]?.block == q.block) && (q.level.isEmpty || levels[$0.agency] == q.level) }
        let node = q.node ?? "toàn tỉnh"
        let parts = within
        try await store.write { db in
            try await AuditLog.append(on: db, actor: actor, action: "report.export", entityType: "report", entityID: node,
                                      scopePath: parts.count == 1 ? parts[0] : "/",
                                      after: ["ky": codes.joined(separator: ","), "don_vi": node, "chi_tiet": "nguoi",
                                              "so_ket_qua": String(units.reduce(0) { $0 + $1.n })])
        }
        var names: [String: String] = [:]
        for row in try await store.rows("SELECT path, name FROM organizations WHERE \(ScoreGathering.within("path", within))", {
            (try $0.next(String.self), try $0.next(String.self))
        }) { names[row.0] = row.1 }
        for (path, org) in map.byPath { names[path] = org.name }
        return Everyone(service: self, query: q, units: units, names: names)
    }

    /// An export «từng người» ready to be read (`ReportService.everyone`).
    struct Everyone: Sendable {
        let service: ReportService
        let query: Query
        let units: [(path: String, agency: String, n: Int)]
        let names: [String: String]

        /// The rows, about `batch` results at a time (whole units), handed to `each` in order, so the whole list
        /// is never in memory. Returns the number of rows.
        @discardableResult
        func rows(batch: Int = 2_000, each: ([[String]]) async throws -> Void) async throws -> Int {
            var total = 0, start = 0
            while start < units.count {
                var end = start, size = 0
                repeat { size += units[end].n; end += 1 } while end < units.count && size + units[end].n <= batch
                let part = units[start..<end]
                let agencyOf = Dictionary(part.map { ($0.path, $0.agency) }, uniquingKeysWith: { a, _ in a })
                let rows = try await service.people(in: part.map(\.path), periods: query.periods, filter: query).map { p in
                    [p.code, p.name, names[agencyOf[p.unitPath] ?? ""] ?? "", names[p.unitPath] ?? p.unitPath,
                     PeriodCode(p.period)?.label ?? p.period, ResultController.score(p.hundredths), p.level?.label ?? "",
                     VNNumber.format(p.facts.tasks), p.facts.completed.map(VNNumber.format) ?? "—", VNNumber.format(p.facts.onTime)]
                }
                total += rows.count
                try await each(rows)
                start = end
            }
            return total
        }
    }

    /// Agencies' level (cấp), by path.
    func agencyLevels() async throws -> [String: String] {
        // Part of the catalogs: kept like the agencies' tree until a catalog write (here or heard from another process).
        let store = store
        return try await store.changes.cached(store.keyPrefix + "agency-levels", now: store.now, maxAge: 60, catalog: true) {
            Dictionary(uniqueKeysWithValues: try await store.rows("SELECT path, level FROM organizations WHERE is_agency = \(bind: true)") {
                (try $0.next(String.self), try $0.next(String.self))
            })
        }
    }

    /// The results of the people directly in the units `paths`, per period: the official result once
    /// approved, else the stored score; by unit, code and period. Only inputs an agency's period computed
    /// count (the framework preview keeps inputs of months no period was opened for: no one's results).
    func people(in paths: [String], periods: [PeriodCode], filter q: Query) async throws -> [Person] {
        let codes = periods.map(\.text)
        return try await store.rows("""
            SELECT s.scope_path, pe.code, pe.full_name, s.period, s.hundredths, s.level, e.hundredths AS official_hundredths,
                   e.level AS official_level, ep.state, s.tasks, s.completed, s.on_time, s.not_completed, s.units_assigned,
                   s.units_completed, s.staff_kind, s.group_code
            FROM score_inputs s JOIN people pe ON pe.id = s.person_id
            JOIN evaluation_periods ep ON ep.code = s.period AND ep.scope_path = s.agency_path
            LEFT JOIN evaluations e ON e.period_id = ep.id AND e.person_id = s.person_id AND e.level <> ''
            WHERE s.scope_path IN (\(binds: paths)) AND s.period IN (\(binds: codes))
            ORDER BY s.scope_path, s.period, pe.code
            """) { c in
            let unit = try c.next(String.self), code = try c.next(String.self), name = try c.next(String.self)
            let period = try c.next(String.self)
            let stored = try c.next(Int?.self), storedLevel = try c.next(String.self)
            let official = try c.next(Int?.self), officialLevel = try c.next(String?.self)
            let state = try c.next(String.self)
            let facts = TaskFacts(tasks: try c.next(Int.self), completed: try c.next(Int?.self), onTime: try c.next(Int.self),
                                  notCompleted: try c.next(Int.self), unitsAssigned: try c.next(Int.self),
                                  unitsCompleted: try c.next(Int.self))
            let kind = try c.next(String.self), group = try c.next(String.self)
            let approved = ScoreAggregates.approvedStates.contains(state) && !(officialLevel ?? "").isEmpty
            return (Person(unitPath: unit, code: code, name: name, period: period, hundredths: approved ? official : stored,
                           level: Level(rawValue: approved ? officialLevel! : storedLevel), facts: facts), kind, group)
        }.filter { (q.staffKind.isEmpty || $0.1 == q.staffKind) && (q.group.isEmpty || $0.2 == q.group) }.map(\.0)
    }
}
