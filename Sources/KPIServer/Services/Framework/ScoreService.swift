import Fluent
import Foundation
import KPICore
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

    /// Everyone the user may see in the period, scored; the quota per agency, group and framework.
    /// `agency`: only the members of one agency's period, so a period page scores its agency alone.
    func results(period: String, agency: String? = nil) async throws -> [Row] {
        let frameworks = try await Framework.query(on: store.db).filter(\.$status == "published").all()
        let items = try await ScoreInputs.load(period: period, agency: agency, on: store.db)
        // The quota is counted over the whole agency, so every agency where the user sees someone
        // is scored whole; only the visible people are returned.
        let agencies = Set(items.filter { maySee($0.row.scopePath, personID: $0.row.personID) }.map(\.agency))
        // Approved results of the period's sheets, by person.
        var official: [UUID: Evaluation] = [:]
        let periodIDs = try await EvaluationPeriod.query(on: store.db).filter(\.$code == period).all().compactMap(\.id)
        if !periodIDs.isEmpty {
            for e in try await Evaluation.query(on: store.db).filter(\.$periodID ~~ periodIDs).filter(\.$level != "")
                .all() { official[e.personID] = e }
        }
        var rows: [Row] = []
        for batch in Dictionary(grouping: items.filter { agencies.contains($0.agency) }, by: \.agency).values {
            let results = try ScoreInputs.score(agency: batch.map { ($0.row.scopePath, $0.data) }, period: period, frameworks: frameworks)
            for item in batch where maySee(item.row.scopePath, personID: item.row.personID) {
                guard let (result, f) = results[item.data.personCode] else { continue }
                rows.append(Row(input: item.data, scopePath: item.row.scopePath, framework: f, result: result,
                                official: official[item.row.personID]))
            }
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
        guard let person = try await Person.query(on: store.db).filter(\.$code == personCode).first(),
              let input = try await ScoreInput.query(on: store.db).filter(\.$period == period).filter(\.$personID == person.requireID())
                  .first(),
              maySee(input.scopePath, personID: try person.requireID()) else {
            throw Abort(.notFound, reason: "Không có kết quả này, hoặc bạn không có quyền xem.")
        }
        // The quota is the agency's: its people are scored, no one else.
        guard var row = try await results(period: period, agency: input.agencyPath)
            .first(where: { $0.input.personCode == personCode }) else {
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
            row.result = try data.score(ScoringEngine(rules: try definition.rules(code: framework.code)), definition: definition)
        }
        if row.input.groups != nil, let code = PeriodCode(period) {
            row.listedTasks = try await ScoreGathering(db: store.db).tasks(period: code,
                                                                           scope: .person(try person.requireID()))[try person.requireID()]
                                                                               ?? []
        }
        return row
    }
}
