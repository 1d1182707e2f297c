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
        let all = Set(principal.scopes(.viewEvaluations) + principal.scopes(.configureFramework))
        return all.filter { s in !all.contains { $0 != s && s.hasPrefix($0) } }.sorted()
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

    func report(_ q: Query) async throws -> Report {
        let scopes = self.scopes
        guard !scopes.isEmpty else { throw Abort(.forbidden, reason: Principal.refusal) }
        let map = try await store.agencies()
        var node: Organization?
        if let code = q.node {
            guard let org = try await Organization.query(on: store.db).filter(\.$code == code).first(),
                  scopes.contains(where: { org.path.hasPrefix($0) || $0.hasPrefix(org.path) }) else {
                throw Abort(.notFound, reason: "Không có cơ quan, đơn vị này trong phạm vi báo cáo của bạn.")
            }
            node = org
        }
        // The parts of the node the viewer sees: the node itself when inside a scope, else the scopes inside it.
        let within: [String] = node.map { n in
            scopes.contains { n.path.hasPrefix($0) } ? [n.path] : scopes.filter { $0.hasPrefix(n.path) }
        } ?? scopes
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
        let periodIDs = try await EvaluationPeriod.query(on: store.db).filter(\.$code ~~ q.periods.map(\.text)).all()
            .filter { p in within.contains { p.scopePath.hasPrefix($0) || $0.hasPrefix(p.scopePath) } }.compactMap(\.id)
        if !periodIDs.isEmpty {
            let bucket: (String, String) -> String = { path, agency in node == nil ? agency : (childPaths(path) ?? path) }
            for (path, agency) in try await store.rows("""
                SELECT c.scope_path, p.scope_path FROM complaints c JOIN evaluation_periods p ON p.id = c.period_id
                WHERE c.period_id IN (\(binds: periodIDs)) AND \(ScoreGathering.within("c.scope_path", within))
                """, { (try $0.next(String.self), try $0.next(String.self)) }) {
                lines[bucket(path, agency)]?.complaints += 1
                total.complaints += 1
            }
            for (path, agency) in try await store.rows("""
                SELECT e.scope_path, p.scope_path FROM evaluation_revisions r JOIN evaluations e ON e.period_id = r.period_id
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
            people = try await self.people(in: n.path, periods: q.periods, filter: q)
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

    /// Agencies' level (cấp), by path.
    func agencyLevels() async throws -> [String: String] {
        Dictionary(uniqueKeysWithValues: try await store.rows("SELECT path, level FROM organizations WHERE is_agency = \(bind: true)") {
            (try $0.next(String.self), try $0.next(String.self))
        })
    }

    /// The results of the people directly in a unit, per period: the official result once approved,
    /// else the stored score.
    func people(in path: String, periods: [PeriodCode], filter q: Query) async throws -> [Person] {
        let codes = periods.map(\.text)
        return try await store.rows("""
            SELECT pe.code, pe.full_name, s.period, s.hundredths, s.level, e.hundredths AS official_hundredths,
                   e.level AS official_level, ep.state, s.tasks, s.completed, s.on_time, s.not_completed, s.units_assigned,
                   s.units_completed, s.staff_kind, s.group_code
            FROM score_inputs s JOIN people pe ON pe.id = s.person_id
            LEFT JOIN evaluation_periods ep ON ep.code = s.period AND ep.scope_path = s.agency_path
            LEFT JOIN evaluations e ON e.period_id = ep.id AND e.person_id = s.person_id AND e.level <> ''
            WHERE s.scope_path = \(bind: path) AND s.period IN (\(binds: codes))
            ORDER BY s.period, pe.code
            """) { c in
            let code = try c.next(String.self), name = try c.next(String.self), period = try c.next(String.self)
            let stored = try c.next(Int?.self), storedLevel = try c.next(String.self)
            let official = try c.next(Int?.self), officialLevel = try c.next(String?.self)
            let state = try c.next(String?.self) ?? ""
            let facts = TaskFacts(tasks: try c.next(Int.self), completed: try c.next(Int?.self), onTime: try c.next(Int.self),
                                  notCompleted: try c.next(Int.self), unitsAssigned: try c.next(Int.self),
                                  unitsCompleted: try c.next(Int.self))
            let kind = try c.next(String.self), group = try c.next(String.self)
            let approved = ScoreAggregates.approvedStates.contains(state) && !(officialLevel ?? "").isEmpty
            return (Person(code: code, name: name, period: period, hundredths: approved ? official : stored,
                           level: Level(rawValue: approved ? officialLevel! : storedLevel), facts: facts), kind, group)
        }.filter { (q.staffKind.isEmpty || $0.1 == q.staffKind) && (q.group.isEmpty || $0.2 == q.group) }.map(\.0)
    }
}
