import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Kỳ đánh giá: opening an agency's periods, computing their scores from the work records (by
/// hand, by `kpi recompute`, and by the evaluation job whenever something that feeds them changed).
/// Pages, CLI and job call this; each change is authorized, audited and atomic.
struct EvaluationService {
    let store: Store
    /// nil for the system (job, command line).
    let principal: Principal?
    let actor: Actor

    typealias Refused = WorkService.Refused

    /// Agencies (second level of the tree) where the user may run evaluations.
    func agencies() async throws -> [Organization] {
        guard principal?.canAnywhere(.runEvaluation) ?? true else { return [] }
        return try await Organization.query(on: store.db).filter(\.$active == true).sort(\.$sortOrder).sort(\.$code).all()
            .filter { o in OrgPath.depth(o.path) == 2 && (principal?.can(.runEvaluation, at: o.path) ?? true) }
    }

    /// The periods the user may see (run or oversee), newest first.
    func periods() async throws -> [EvaluationPeriod] {
        let all = try await EvaluationPeriod.query(on: store.db).all()
        return all.filter(mayView).sorted { a, b in
            let (pa, pb) = (PeriodCode(a.code), PeriodCode(b.code))
            if pa != pb, let pa, let pb { return pa > pb }
            return a.scopePath < b.scopePath
        }
    }

    func mayView(_ p: EvaluationPeriod) -> Bool {
        guard let principal else { return true }
        return principal.can(.runEvaluation, at: p.scopePath) || principal.can(.viewEvaluations, at: p.scopePath)
    }

    func find(_ id: UUID) async throws -> EvaluationPeriod {
        guard let p = try await EvaluationPeriod.find(id, on: store.db), mayView(p) else {
            throw Abort(.notFound, reason: "Không có kỳ đánh giá này, hoặc bạn không có quyền xem.")
        }
        return p
    }

    /// Mở kỳ: one period of an agency; refused when the text is not a period, the unit is not an
    /// agency, the user may not, or it is already open.
    func open(agencyCode: String, period text: String) async throws -> EvaluationPeriod {
        guard let period = PeriodCode(text) else {
            throw Refused(message: "Kỳ «\(text)» không hợp lệ. Ghi tháng «2026-11», quý «2026-Q4» hoặc năm «2026».")
        }
        guard let agency = try await Organization.query(on: store.db).filter(\.$code == agencyCode).first(), OrgPath.depth(agency.path) == 2 else {
            throw Refused(message: "Không có cơ quan mã «\(agencyCode)»; kỳ đánh giá được mở cho từng cơ quan (cấp thứ hai của cây đơn vị).")
        }
        if let principal { try principal.require(.runEvaluation, at: agency.path) }
        let actor = actor
        return try await store.write { db in
            if try await EvaluationPeriod.query(on: db).filter(\.$organizationID == agency.requireID()).filter(\.$code == period.text).first() != nil {
                throw Refused(message: "\(period.label) của \(agency.name) đã được mở.")
            }
            let p = EvaluationPeriod(code: period, organizationID: try agency.requireID(), scopePath: agency.path, openedBy: actor.name)
            try await p.create(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "evaluation.open", entityType: "evaluation_period", entityID: p.id!.uuidString,
                                      scopePath: agency.path, after: ["ky": period.text, "co_quan": agency.code])
            return p
        }
    }

    /// Tính lại: the period's inputs gathered afresh for everyone in the agency and stored (the
    /// scores and levels shown follow from them); the number of people. Refused once the period
    /// is past review (its proposal is fixed) and for a user who may not run it.
    @discardableResult
    func recompute(_ id: UUID) async throws -> Int {
        let p = try await find(id)
        if let principal { try principal.require(.runEvaluation, at: p.scopePath) }
        return try await Self.recompute(p, store: store, actor: actor)
    }

    static func recompute(_ p: EvaluationPeriod, store: Store, actor: Actor) async throws -> Int {
        guard let state = EvaluationState(rawValue: p.state), state.recomputes, let period = PeriodCode(p.code) else {
            throw Refused(message: "Kỳ này đã qua bước đánh giá (\(EvaluationState(rawValue: p.state)?.label.lowercased() ?? p.state)): điểm không tính lại tự động nữa.")
        }
        let id = try p.requireID()
        // Cleared first: a change made while computing marks it again, so it is never missed.
        try await store.sql.raw("UPDATE evaluation_periods SET dirty = \(bind: false) WHERE id = \(bind: id)").run()
        let frameworks = try await Framework.query(on: store.db).filter(\.$status == "published").all()
        var choices: [UUID: (rubric: [String: String], taskScore: String)] = [:]
        for e in try await Evaluation.query(on: store.db).filter(\.$periodID == id).all() where e.reviewedAt != nil {
            choices[e.personID] = (EvaluationFlow.choices(e.reviewRubric), e.reviewTaskScore)
        }
        let gathering = ScoreGathering(db: store.db)
        let gathered = period.kind == .year ? try await gathering.gatherYear(period, agencyPath: p.scopePath)
            : try await gathering.gather(period: period, agencyPath: p.scopePath, frameworks: frameworks, choices: choices)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        let rows = try gathered.map { g in
            let row = ScoreInput()
            row.id = UUID(); row.period = period.text; row.personID = g.member.id; row.scopePath = g.member.scopePath
            row.data = String(decoding: try encoder.encode(g.data), as: UTF8.self)
            return row
        }
        try await store.write { db in
            try await ScoreInput.query(on: db).filter(\.$period == period.text).filter(\.$scopePath, .custom("LIKE"), p.scopePath + "%").delete()
            for chunk in stride(from: 0, to: rows.count, by: 500) {
                try await Array(rows[chunk..<min(chunk + 500, rows.count)]).create(on: db)
            }
            try await (db as! any SQLDatabase).raw("""
                UPDATE evaluation_periods SET computed_at = \(bind: Date()), people = \(bind: rows.count) WHERE id = \(bind: id)
                """).run()
            // Someone who joined the agency during the workflow gets a sheet too.
            if state != .open { try await EvaluationFlow.ensureSheets(db, p) }
            try await AuditLog.append(on: db, actor: actor, action: "evaluation.recompute", entityType: "evaluation_period", entityID: id.uuidString,
                                      scopePath: p.scopePath, after: ["ky": period.text, "so_nguoi": String(rows.count)])
        }
        return rows.count
    }

    /// Marks the recomputing periods of the agency above `scopePath` stale (inside the caller's
    /// transaction). Touches only periods not yet marked, so busy writers do not queue on one row.
    static func markDirty(_ db: any Database, scopePath: String) async throws {
        try await (db as! any SQLDatabase).raw("""
            UPDATE evaluation_periods SET dirty = \(bind: true)
            WHERE dirty = \(bind: false) AND state IN (\(binds: EvaluationState.allCases.filter(\.recomputes).map(\.rawValue)))
              AND substr(\(bind: scopePath), 1, length(scope_path)) = scope_path
            """).run()
    }

    /// Periods opened on schedule: an agency that has evaluated by month (or by quarter) gets the
    /// month (quarter) containing `today` opened when it begins; how many were opened.
    static func openScheduled(_ store: Store, today: DateOnly = .today) async throws -> Int {
        let existing = try await EvaluationPeriod.query(on: store.db).all()
        var kinds: [UUID: (path: String, kinds: Set<PeriodCode.Kind>, codes: Set<String>)] = [:]
        for p in existing {
            guard let code = PeriodCode(p.code) else { continue }
            kinds[p.organizationID, default: (p.scopePath, [], [])].codes.insert(p.code)
            if code.kind != .year { kinds[p.organizationID]!.kinds.insert(code.kind) }
        }
        var opened = 0
        for (agency, e) in kinds.sorted(by: { $0.value.path < $1.value.path }) {
            for kind in e.kinds.sorted(by: { $0.rawValue < $1.rawValue }) {
                let period = PeriodCode.containing(today, kind: kind)
                guard !e.codes.contains(period.text) else { continue }
                do {
                    try await store.write { db in
                        let p = EvaluationPeriod(code: period, organizationID: agency, scopePath: e.path, openedBy: "system:lich")
                        try await p.create(on: db)
                        try await AuditLog.append(on: db, actor: .system("lich"), action: "evaluation.open", entityType: "evaluation_period",
                                                  entityID: p.id!.uuidString, scopePath: e.path, after: ["ky": period.text])
                    }
                    opened += 1
                } catch {
                    // Another process opened it at the same moment (agency and code are unique).
                    if try await EvaluationPeriod.query(on: store.db).filter(\.$organizationID == agency).filter(\.$code == period.text).count() == 0 { throw error }
                }
            }
        }
        return opened
    }

    /// The evaluation job's pass: every stale period computed again; how many periods.
    static func recomputeStale(_ store: Store, progress: (@Sendable (String) -> Void)? = nil) async throws -> Int {
        let stale = try await EvaluationPeriod.query(on: store.db).filter(\.$dirty == true)
            .filter(\.$state ~~ EvaluationState.allCases.filter(\.recomputes).map(\.rawValue)).all()
        var done = 0
        for p in stale {
            // Claimed by one process: the one whose update still finds it stale.
            let id = try p.requireID()
            let claimed = try await store.sql.raw("""
                UPDATE evaluation_periods SET dirty = \(bind: false) WHERE id = \(bind: id) AND dirty = \(bind: true) RETURNING id
                """).all()
            guard !claimed.isEmpty else { continue }
            let people: Int
            do {
                people = try await recompute(p, store: store, actor: .system("tinh-diem"))
            } catch {
                try? await store.sql.raw("UPDATE evaluation_periods SET dirty = \(bind: true) WHERE id = \(bind: id)").run()
                throw error
            }
            progress?("\(p.code) \(p.scopePath): \(people) người")
            done += 1
        }
        return done
    }
}
