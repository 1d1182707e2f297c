import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// A period's computed results from the stored inputs, with the framework in force for each
/// person, and the explanation of one result. Detailed scores are seen by the person, the
/// leaders above (xem đánh giá in the scope) and the advisory bodies of the scope (DOMAIN.md §2).
struct ScoreService {
    let store: Store
    let principal: Principal

    struct Row: Sendable {
        var input: ScoreInputData
        var scopePath: String
        var framework: Framework
        var result: PersonResult
        /// The approved result (set on approval, following the current revision after the lock).
        var official: Evaluation?
        /// For inputs kept as task groups (an open period): the tasks themselves, read from the work
        /// records to explain them line by line.
        var listedTasks: [ScoreInputData.Task]? = nil

        var hundredths: Int? { official.map(\.hundredths) ?? result.yearHundredths }
        var level: Level? { official.map { Level(rawValue: $0.level) } ?? result.level }
        /// The reasons; a period's own mean of one period is not worth saying.
        var reasons: [String] {
            official.map { EvaluationFlow.reasons($0.reasons) }
                ?? EvaluationFlow.reasonTexts(result, year: input.year != nil)
        }
        /// A tie at the quota's edge waits for the approver (only before approval).
        var tie: Bool { official == nil && result.tieAtQuotaEdge }
    }

    func maySee(_ scopePath: String, personID: UUID) -> Bool {
        principal.personID == personID || principal.can(.viewEvaluations, at: scopePath) || principal.can(.configureFramework,
            at: scopePath)
    }

    /// Periods with stored inputs, newest first.
    func periods() async throws -> [String] {
        let all = try await ScoreInput.query(on: store.db).field(\.$period).unique().all().map(\.period)
        return Array(Set(all)).sorted(by: >)
    }

    /// The framework in force for a person at the end of `period`: the agency's own published
    /// version when there is one for their subtree, else the province's, for their staff kind.
    static func framework(for staffKind: String, group: String, at scopePath: String, period: String,
                          among all: [Framework]) -> Framework? {
        let end = PeriodCode(period)?.last.iso ?? period + "-31"
        let candidates = all.filter {
            $0.status == "published" && $0.staffKind == staffKind && scopePath.hasPrefix($0.scopePath) && $0.applies(toGroup: group)
        }
        let inForce = candidates.filter { $0.effectiveFrom <= end }
        let pool = inForce.isEmpty ? candidates : inForce
        // The most specific first: an agency's version, then one for named groups, then the latest.
        return pool.max { ($0.scopePath.count, $0.groupCodes.isEmpty ? 0 : 1, $0.effectiveFrom, $0.version)
            < ($1.scopePath.count, $1.groupCodes.isEmpty ? 0 : 1, $1.effectiveFrom, $1.version) }
    }

    /// Everyone the user may see in the period as the last recompute stored them, each explained from
    /// their own inputs: scored alone by the framework stored with the row, then given the level and
    /// the quota's reasons their agency's ranking stored (`QuotaOutcome`) — no agency is ranked again
    /// (issue 19, item 9). `agency`: only the members of one agency's period.
    func results(period: String, agency: String? = nil, person: UUID? = nil) async throws -> [Row] {
        let frameworks = try await store.db.models(Framework.self, "SELECT * FROM frameworks WHERE status = \(bind: "published")")
        let items = try await ScoreInputs.load(period: period, agency: agency, person: person, on: store.db)
            .filter { maySee($0.row.scopePath, personID: $0.row.personID) }
        // Approved results of the period's sheets, by person.
        var official: [UUID: Evaluation] = [:]
        // Only the ids: every agency has a period of this code (decoding them as models was a third of an
        // explanation's time at province scale).
        let periodIDs = try await store.rows("SELECT id FROM evaluation_periods WHERE code = \(bind: period)") { c in
            try c.next(UUID.self)
        }
        if !periodIDs.isEmpty && !items.isEmpty {
            var query: SQLQueryString = "SELECT * FROM evaluations WHERE period_id IN (\(binds: periodIDs)) AND level <> ''"
            if let person { query = query + " AND person_id = \(bind: person)" }
            for e in try await store.db.models(Evaluation.self, query) {
                official[e.personID] = e
            }
        }
        // The framework a row was scored with, or (a row stored before it was kept) the one in force.
        var byID = Dictionary(frameworks.map { ($0.id!, $0) }) { a, _ in a }
        let missing = Set(items.compactMap(\.row.frameworkID)).subtracting(byID.keys)
        if !missing.isEmpty {
            for f in try await Framework.query(on: store.db).filter(\.$id ~~ missing).all() { byID[f.id!] = f }
        }
        var engines: [UUID: (ScoringEngine, GeneralScorer)] = [:]
        var rows: [Row] = []
        for item in items {
            guard let f = item.row.frameworkID.flatMap({ byID[$0] })
                    ?? Self.framework(for: item.data.staffKind, group: item.data.groupCode, at: item.row.scopePath, period: period,
                                      among: frameworks) else { continue }
            if engines[f.id!] == nil {
                let definition = FrameworkService.decode(f)
                engines[f.id!] = (ScoringEngine(rules: try FrameworkService.rules(f)), try FrameworkService.scorer(f))
            }
            let (engine, scorer) = engines[f.id!]!
            let alone = try item.data.score(engine, general: scorer)
            let outcome = QuotaOutcome(text: item.row.quota, tie: item.row.tie) ?? QuotaOutcome()
            let stored = item.row.hundredths == nil && item.row.level.isEmpty ? alone.level : Level(rawValue: item.row.level)
            rows.append(Row(input: item.data, scopePath: item.row.scopePath, framework: f,
                            result: outcome.applied(to: alone, level: stored), official: official[item.row.personID]))
        }
        return rows.sorted { ($0.input.unitName, $0.input.personCode) < ($1.input.unitName, $1.input.personCode) }
    }

    /// Until approval, each person's score and level as the last recompute stored them (the quota's
    /// proposal included), by code, for those the user may see: read, never rescored (issue 19, item 9).
    func live(_ p: EvaluationPeriod) async throws -> [String: (hundredths: Int?, level: Level?)] {
        var out: [String: (hundredths: Int?, level: Level?)] = [:]
        for r in try await store.rows("""
            SELECT pe.code, s.person_id, s.scope_path, s.hundredths, s.level FROM score_inputs s JOIN people pe ON pe.id = s.person_id
            WHERE s.period = \(bind: p.code) AND s.agency_path = \(bind: p.scopePath)
            """, { c in
            (code: try c.next(String.self), person: try c.next(UUID.self), path: try c.next(String.self), h: try c.next(Int?.self),
             level: try c.next(String.self))
        }) where maySee(r.path, personID: r.person) {
            out[r.code] = (r.h, Level(rawValue: r.level))
        }
        return out
    }

    func explain(period: String, personCode: String) async throws -> Row {
        guard let person = try await store.db.model(Person.self, "SELECT * FROM people WHERE code = \(bind: personCode) LIMIT 1"),
              let input = try await store.db.model(ScoreInput.self, """
                  SELECT * FROM score_inputs WHERE period = \(bind: period) AND person_id = \(bind: try person.requireID()) LIMIT 1
                  """),
              maySee(input.scopePath, personID: try person.requireID()) else {
            throw Abort(.notFound, reason: "Không có kết quả này, hoặc bạn không có quyền xem.")
        }
        guard var row = try await results(period: period, agency: input.agencyPath, person: try person.requireID()).first else {
            throw Abort(.notFound, reason: "Chưa có bộ chỉ số đang áp dụng cho người này.")
        }
        // An approved result is explained from its current revision: the inputs and framework
        // version it was scored with, corrections included.
        if let e = row.official, e.revision > 0,
           let rev = try await EvaluationRevision.query(on: store.db).filter(\.$periodID == e.periodID).filter(\.$personID == e.personID)
               .filter(\.$number == e.revision).first(),
           let data = try? JSONDecoder().decode(ScoreInputData.self, from: Data(rev.inputs.utf8)) {
            var framework = row.framework
            if let id = rev.frameworkID, let f = try await Framework.find(id, on: store.db) { framework = f }
            let definition = FrameworkService.decode(framework)
            row.input = data
            row.framework = framework
            row.result = try data.score(ScoringEngine(rules: try FrameworkService.rules(framework)), definition: definition)
        }
        if row.input.groups != nil, let code = PeriodCode(period) {
            row.listedTasks = try await ScoreGathering(db: store.db).tasks(period: code,
                                                                           scope: .person(try person.requireID()))[try person.requireID()]
                                                                               ?? []
        }
        return row
    }
}
