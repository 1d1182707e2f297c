import Foundation
import KPICore
import SQLKit

/// What the results page (/ket-qua) and its export show, worked out by the service: the periods with
/// results, the one chosen (the latest by default), the filters, and the rows the user may see that
/// match them.
struct ResultListModel {
    var periods: [String]
    var period: String
    var search: String
    /// A level's raw value, or "" for every level.
    var level: String
    var rows: [ScoreService.Listed]
    /// The period has not ended: tasks due later still count as open.
    var provisional: Bool
}

extension ScoreService {
    /// One line of the results list: the score and level as stored (official once approved), read
    /// with the person's and unit's names; nothing is scored to show it.
    struct Listed: Sendable {
        var code, name, unit: String
        var hundredths: Int?
        var level: Level?
        /// A tie at the quota's edge waiting for the approver (only before approval).
        var tie: Bool
        var approved: Bool
        /// «name — phiên bản n» of the framework it was scored with.
        var framework: String
    }

    /// Everyone the user may see in `period`, from the stored rows, by unit then code.
    func listed(period: String) async throws -> [Listed] {
        // The viewer's own line, and everyone in the subtrees whose results they may see (as the reports).
        let scopes = ReportService(store: store, principal: principal).scopes
        var visible: [SQLQueryString] = []
        if !scopes.isEmpty { visible.append(scopes.contains("/") ? "1 = 1" : ScoreGathering.within("s.scope_path", scopes)) }
        if let me = principal.personID { visible.append("s.person_id = \(bind: me)") }
        guard let first = visible.first else { return [] }
        let condition: SQLQueryString = visible.count > 1 ? "(\(first) OR \(visible[1]))" : first
        let frameworks = try await Framework.query(on: store.db).all()
        let published = frameworks.filter { $0.status == "published" }
        let names = Dictionary(frameworks.map { ($0.id!, "\($0.name) — phiên bản \($0.version)") }) { a, _ in a }
        let lines = try await store.rows("""
            SELECT pe.code, pe.full_name, COALESCE(o.name, '') AS unit_name, s.person_id, s.scope_path, s.hundredths, s.level, s.tie,
                   s.framework_id, s.staff_kind, s.group_code, e.hundredths AS official_hundredths,
                   COALESCE(e.level, '') AS official_level
            FROM score_inputs s JOIN people pe ON pe.id = s.person_id
            LEFT JOIN organizations o ON o.path = s.scope_path
            LEFT JOIN evaluation_periods ep ON ep.code = s.period AND ep.scope_path = s.agency_path
            LEFT JOIN evaluations e ON e.period_id = ep.id AND e.person_id = s.person_id AND e.level <> ''
            WHERE s.period = \(bind: period) AND \(condition)
            """, { c in
            (code: try c.next(String.self), name: try c.next(String.self), unit: try c.next(String.self), person: try c.next(UUID.self),
             path: try c.next(String.self), h: try c.next(Int?.self), level: try c.next(String.self), tie: try c.next(Bool.self),
             framework: try c.next(UUID?.self), kind: try c.next(String.self), group: try c.next(String.self),
             officialH: try c.next(Int?.self), officialLevel: try c.next(String.self))
        })
        return lines.filter { maySee($0.path, personID: $0.person) }.compactMap { r in
            let approved = !r.officialLevel.isEmpty
            // The framework stored with the row, or (stored before it was kept) the one in force.
            let framework = r.framework ?? Self.framework(for: r.kind, group: r.group, at: r.path, period: period, among: published)?.id
            // No framework applies to them: nothing was scored (as on the explanation, which has none).
            guard approved || framework != nil else { return nil }
            return Listed(code: r.code, name: r.name, unit: r.unit, hundredths: approved ? r.officialH : r.h,
                          level: Level(rawValue: approved ? r.officialLevel : r.level), tie: !approved && r.tie, approved: approved,
                          framework: framework.flatMap { names[$0] } ?? "")
        }.sorted { ($0.unit, $0.code) < ($1.unit, $1.code) }
    }
}

/// What a result's explanation (giải trình, /ket-qua/<kỳ>/<mã>) shows, worked out by the service:
/// for a month or quarter, each task's share in a, b and c, the figures and formula of group (i) and
/// how groups (ii)–(iv) were reached; for a year, the periods it is the mean of. The view only draws.
struct Explanation {
    struct TaskLine {
        var task: ScoreInputData.Task
        var share: TaskShare
    }

    /// Groups (ii)–(iv) entered as points: each as it counts, and whether anything was recorded.
    struct GroupPoints {
        var label: String
        var max: Rational
        var points: Rational
        var recorded: Bool
    }

    enum General {
        /// Scored from the work records by the framework's indicators, with how each was reached.
        case indicators([IndicatorScore])
        /// The points of each group, with the framework's indicators for them described.
        case groups([GroupPoints], indicators: [FrameworkDefinition.Indicator])
    }

    struct Period {
        var rules: ScoringRules
        var result: PeriodResult
        var tasks: [TaskLine]
        /// Read from the current work records (an open period), not from the stored inputs.
        var fromWorkRecords: Bool
        var formula: String
        /// Nghỉ theo chế độ cả kỳ: no score, only the tasks that were due.
        var onLeave: Bool
        var general: General
    }

    enum Body {
        case period(Period)
        case year(ScoreInputData.YearFacts)
        /// The framework's rules could not be read again.
        case unexplained
    }

    var row: ScoreService.Row
    var period: String
    /// Not approved, and the period has not ended.
    var provisional: Bool
    var body: Body
}

extension ScoreService {
    /// Whether the results of `period` are still provisional on `today` (the period has not ended).
    static func provisional(_ period: String, today: DateOnly) -> Bool {
        PeriodCode(period).map { today <= $0.last } ?? false
    }

    /// The results page for the period asked for (the latest one when it has no results), filtered by
    /// name, code or unit and by level.
    func resultList(period asked: String, search: String, level: String) async throws -> ResultListModel {
        let periods = try await periods()
        let period = periods.contains(asked) ? asked : (periods.first ?? "")
        let folded = TextNormalizer.fold(search)
        let rows = period.isEmpty ? [] : try await listed(period: period).filter { r in
            (folded.isEmpty || TextNormalizer.fold(r.code + " " + r.name + " " + r.unit).contains(folded))
                && (level.isEmpty || r.level?.rawValue == level)
        }
        return ResultListModel(periods: periods, period: period, search: search, level: level, rows: rows,
                               provisional: !period.isEmpty && Self.provisional(period, today: store.today))
    }

    /// The explanation of `personCode`'s result for `period`; 404 when it is not the user's to see.
    func explanation(period: String, personCode: String) async throws -> Explanation {
        let row = try await explain(period: period, personCode: personCode)
        let provisional = row.official == nil && Self.provisional(period, today: store.today)
        return Explanation(row: row, period: period, provisional: provisional, body: Self.body(row))
    }

    static func body(_ row: ScoreService.Row) -> Explanation.Body {
        if let year = row.input.year { return .year(year) }
        let d = FrameworkService.decode(row.framework)
        guard let rules = try? FrameworkService.rules(row.framework), let result = row.result.periods.first else { return .unexplained }
        let engine = ScoringEngine(rules: rules)
        let input = row.input
        let general: Explanation.General
        if let metrics = input.metrics, let scored = try? d.general(metrics) {
            general = .indicators(scored.indicators)
        } else {
            let recorded = GeneralInputs(satisfaction: Rational(exact: input.satisfaction),
                                         coordination: Rational(exact: input.coordination),
                                         discipline: Rational(exact: input.discipline))
            let points = rules.generalPoints(recorded)
            general = .groups([
                .init(label: "(ii) Mức độ hài lòng", max: rules.satisfactionMax, points: points.satisfaction,
                      recorded: recorded.satisfaction != nil),
                .init(label: "(iii) Năng lực phối hợp", max: rules.coordinationMax, points: points.coordination,
                      recorded: recorded.coordination != nil),
                .init(label: "(iv) Kỷ luật, kỷ cương; phẩm chất", max: rules.disciplineMax, points: points.discipline,
                      recorded: recorded.discipline != nil),
            ], indicators: d.indicators)
        }
        return .period(Explanation.Period(
            rules: rules, result: result,
            tasks: (row.listedTasks ?? input.tasks).map { .init(task: $0, share: engine.share(of: $0)) },
            fromWorkRecords: row.listedTasks != nil,
            formula: input.leader == nil ? d.taskFormula : d.leaderTaskFormula,
            onLeave: result.flags.contains(.onLeave), general: general))
    }
}
