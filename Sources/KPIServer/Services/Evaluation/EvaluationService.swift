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

    /// Agencies (the marked nodes of the tree, `AgencyMap`) where the user may run evaluations.
    func agencies() async throws -> [Organization] {
        guard principal?.canAnywhere(.runEvaluation) ?? true else { return [] }
        return try await Organization.query(on: store.db).filter(\.$active == true).filter(\.$isAgency == true).sort(\.$sortOrder)
            .sort(\.$code).all()
            .filter { o in principal?.can(.runEvaluation, at: o.path) ?? true }
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
        if let principal { try principal.requireAnywhere(.runEvaluation) }
        guard let period = PeriodCode(text) else {
            throw Refused(message: "Kỳ «\(text)» không hợp lệ. Ghi tháng «2026-11», quý «2026-Q4» hoặc năm «2026».")
        }
        guard let agency = try await Organization.query(on: store.db).filter(\.$code == agencyCode).first(), agency.active,
              agency.isAgency else {
            throw Refused(message: """
                Không có cơ quan có thẩm quyền đánh giá mã «\(agencyCode)»; kỳ đánh giá được mở cho từng cơ \
                quan được đánh \
                dấu trong danh mục cơ quan, đơn vị.
                """)
        }
        if let principal { try principal.require(.runEvaluation, at: agency.path) }
        let actor = actor
        return try await store.write { db in
            if try await EvaluationPeriod.query(on: db).filter(\.$organizationID == agency.requireID()).filter(\.$code == period.text)
                .first() != nil {
                throw Refused(message: "\(period.label) của \(agency.name) đã được mở.")
            }
            let scope = try await Self.scope(of: agency, period: period, on: db)
            return try await Self.create(period, agency: agency, scope: scope, on: db, actor: actor)
        }
    }

    /// Who a new period of `agency` holds: its people, except those of the agencies nested in it and
    /// of any period of the same code already open below it. Refused when a period of the same code
    /// above it — opened before the agency was marked — already holds its people.
    static func scope(of agency: Organization, period: PeriodCode, on db: any Database) async throws -> PeriodScope {
        let map = try await Agencies.map(on: db)
        let same = try await EvaluationPeriod.query(on: db).filter(\.$code == period.text).all()
        var excluded = map.nested(under: agency.path)
        for p in same where p.scopePath != agency.path {
            if AgencyRules.overlap(PeriodScope(path: agency.path), with: p.scope) {
                let holder = try await Organization.find(p.organizationID, on: db)?.name ?? p.scopePath
                throw Refused(message: """
                    Cán bộ của \(agency.name) đang thuộc \(period.label.lowercased()) của \(holder), mở khi \(agency.name) \
                    chưa là cơ \
                    quan có thẩm quyền đánh giá. Kỳ đó giữ nguyên danh sách; \(agency.name) mở kỳ riêng từ kỳ sau.
                    """)
            }
            if p.scopePath.hasPrefix(agency.path) && !excluded.contains(where: { p.scopePath.hasPrefix($0) }) {
                excluded.append(p.scopePath)
            }
        }
        return PeriodScope(path: agency.path, excluded: excluded.sorted())
    }

    /// The period written with its scope, audited (in the caller's transaction).
    static func create(_ period: PeriodCode, agency: Organization, scope: PeriodScope, on db: any Database,
                       actor: Actor) async throws -> EvaluationPeriod {
        let p = EvaluationPeriod(code: period, organizationID: try agency.requireID(), scopePath: agency.path, openedBy: actor.name)
        p.excludedPaths = scope.excludedText
        try await p.create(on: db)
        var after = ["ky": period.text, "co_quan": agency.code]
        if !scope.excluded.isEmpty { after["tru_co_quan_long_trong"] = String(scope.excluded.count) }
        try await AuditLog.append(on: db, actor: actor, action: "evaluation.open", entityType: "evaluation_period",
                                  entityID: p.id!.uuidString, scopePath: agency.path, after: after)
        return p
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

    /// `detail`: every task listed in the stored inputs (the inputs fixed for approval), rather than
    /// the groups an open period keeps.
    static func recompute(_ p: EvaluationPeriod, store: Store, actor: Actor, detail: Bool = false) async throws -> Int {
        guard let state = EvaluationState(rawValue: p.state), state.recomputes else {
            throw Refused(message: """
                Kỳ này đã qua bước đánh giá (\(EvaluationState(rawValue: p.state)?.label.lowercased() ?? p.state)): điểm \
                không tính lại tự \
                động nữa.
                """)
        }
        return try await recompute(batch: [p], store: store, actor: actor, detail: detail)[try p.requireID()] ?? 0
    }

    /// Several agencies' periods of one code computed together: each kind of record read once for
    /// all of them, then each agency's inputs replaced in its own transaction (audited per
    /// period). Periods past review are left out. `stored` is told of each period as it is
    /// written, with its number of people. The number of people by period.
    static func recompute(batch periods: [EvaluationPeriod], store: Store, actor: Actor, detail: Bool = false,
                          stored: ((EvaluationPeriod, Int) -> Void)? = nil) async throws -> [UUID: Int] {
        let periods = periods.filter { EvaluationState(rawValue: $0.state)?.recomputes == true }
        guard let code = periods.first?.code, let period = PeriodCode(code) else { return [:] }
        guard periods.allSatisfy({ $0.code == code }) else {
            var out: [UUID: Int] = [:]
            for (_, same) in Dictionary(grouping: periods, by: \.code).sorted(by: { $0.key < $1.key }) {
                out.merge(try await recompute(batch: same, store: store, actor: actor, detail: detail, stored: stored)) { a, _ in a }
            }
            return out
        }
        let ids = try periods.map { try $0.requireID() }
        // Cleared first: a change made while computing marks it again, so it is never missed.
        try await store.sql.raw("UPDATE evaluation_periods SET dirty = \(bind: false) WHERE id IN (\(binds: ids))").run()
        let frameworks = try await Framework.query(on: store.db).filter(\.$status == "published").all()
        var choices: [UUID: (rubric: [String: String], taskScore: String)] = [:]
        for e in try await Evaluation.query(on: store.db).filter(\.$periodID ~~ ids).all() where e.reviewedAt != nil {
            choices[e.personID] = (EvaluationFlow.choices(e.reviewRubric), e.reviewTaskScore)
        }
        let gathering = ScoreGathering(db: store.db)
        var gathered: [String: [ScoreGathering.Gathered]] = [:]
        if period.kind == .year {
            for p in periods { gathered[p.scopePath] = try await gathering.gatherYear(period, scope: p.scope) }
        } else {
            gathered = try await gathering.gather(period: period, scopes: periods.map(\.scope), frameworks: frameworks,
                                                  choices: choices, detail: detail)
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        var out: [UUID: Int] = [:]
        // Each agency's JSON is encoded while the previous agency's rows are written.
        var writing: (EvaluationPeriod, UUID, Int, Task<Void, any Error>)?
        for (p, id) in zip(periods, ids) {
            let members = gathered[p.scopePath] ?? []
            // Scored as stored: reports and home pages read these, never rescore.
            let scores = try ScoreInputs.score(agency: members.map { ($0.member.scopePath, $0.data) }, period: code,
                                               frameworks: frameworks)
            let rows = try members.map { g in
                StoredInput(person: g.member.id, scopePath: g.member.scopePath,
                            data: String(decoding: try encoder.encode(g.data), as: UTF8.self),
                            result: scores[g.data.personCode]?.result, framework: scores[g.data.personCode]?.framework.id,
                            facts: g.data.taskFacts, staffKind: g.data.staffKind, groupCode: g.data.groupCode)
            }
            if let (wp, wid, n, task) = writing {
                try await task.value
                out[wid] = n
                stored?(wp, n)
            }
            writing = (p, id, rows.count, Task { try await write(rows, of: p, id: id, period: period, store: store, actor: actor) })
        }
        if let (wp, wid, n, task) = writing {
            try await task.value
            out[wid] = n
            stored?(wp, n)
        }
        return out
    }

    /// A person's inputs as stored, with the score and level they were computed to and their task figures.
    struct StoredInput: Sendable {
        var person: UUID
        var scopePath: String
        var data: String
        var result: PersonResult?
        /// The framework it was scored with.
        var framework: UUID?
        var facts: TaskFacts
        var staffKind: String
        var groupCode: String
    }

    /// An agency's period inputs replaced by `rows` in one transaction, with the period's stored
    /// summaries (`ScoreAggregates`), audited.
    static func write(_ rows: [StoredInput], of p: EvaluationPeriod, id: UUID, period: PeriodCode, store: Store,
                      actor: Actor) async throws {
        let state = EvaluationState(rawValue: p.state)
        let now = store.now
        try await store.write { db in
            let sql = db.sql
            try await ScoreInput.query(on: db).filter(\.$period == period.text).filter(\.$agencyPath == p.scopePath).delete()
            // Many rows per statement (the model layer's per-row reflection was a tenth of a recompute).
            for chunk in stride(from: 0, to: rows.count, by: 500) {
                let insert = sql.insert(into: ScoreInput.schema).columns("id", "period", "person_id", "scope_path", "agency_path", "data",
                                                                         "updated_at", "hundredths", "level", "tasks", "completed",
                                                                         "on_time", "not_completed", "units_assigned", "units_completed",
                                                                         "staff_kind", "group_code", "framework_id", "tie", "quota")
                for r in rows[chunk..<min(chunk + 500, rows.count)] {
                    let outcome = r.result.map(QuotaOutcome.init) ?? QuotaOutcome()
                    insert.values(SQLBind(UUID()), SQLBind(period.text), SQLBind(r.person), SQLBind(r.scopePath), SQLBind(p.scopePath),
                                  SQLBind(r.data), SQLBind(now), SQLBind(r.result?.yearHundredths),
                                  SQLBind(r.result?.level?.rawValue ?? ""), SQLBind(r.facts.tasks), SQLBind(r.facts.completed),
                                  SQLBind(r.facts.onTime), SQLBind(r.facts.notCompleted), SQLBind(r.facts.unitsAssigned),
                                  SQLBind(r.facts.unitsCompleted), SQLBind(r.staffKind), SQLBind(r.groupCode), SQLBind(r.framework),
                                  SQLBind(outcome.tie), SQLBind(outcome.text))
                }
                try await insert.run()
            }
            try await sql.raw("""
                UPDATE evaluation_periods SET computed_at = \(bind: now), people = \(bind: rows.count) WHERE id = \(bind: id)
                """).run()
            // Someone who joined the agency during the workflow gets a sheet too.
            if state != .open { try await EvaluationFlow.ensureSheets(db, p) }
            try await ScoreAggregates.rebuild(db, p)
            try await AuditLog.append(on: db, actor: actor, action: "evaluation.recompute", entityType: "evaluation_period",
                                      entityID: id.uuidString,
                                      scopePath: p.scopePath, after: ["ky": period.text, "so_nguoi": String(rows.count)])
        }
    }

    /// Marks the recomputing periods of the agency above `scopePath` stale (inside the caller's
    /// transaction). Touches only periods not yet marked, so busy writers do not queue on one row.
    static func markDirty(_ db: any Database, scopePath: String) async throws {
        try await markDirty(db, scopePaths: [scopePath])
    }

    /// `markDirty` for several scopes at once, one statement (the tasks of a group of creations, `WriteGroup`).
    static func markDirty(_ db: any Database, scopePaths: [String]) async throws {
        guard !scopePaths.isEmpty else { return }
        let within = SQLList(scopePaths.map { path in
            SQLBinaryExpression(SQLFunction("substr", args: SQLBind(path), SQLLiteral.numeric("1"),
                                            SQLFunction("length", args: SQLIdentifier("scope_path"))),
                                .equal, SQLIdentifier("scope_path"))
        }, separator: SQLRaw(" OR "))
        try await db.sql.raw("""
            UPDATE evaluation_periods SET dirty = \(bind: true)
            WHERE dirty = \(bind: false) AND state IN (\(binds: EvaluationState.allCases.filter(\.recomputes).map(\.rawValue)))
              AND (\(within))
            """).run()
    }

    /// Periods opened on schedule: an agency that has evaluated by month (or by quarter) gets the
    /// month (quarter) containing `today` opened when it begins; how many were opened.
    static func openScheduled(_ store: Store, today: DateOnly? = nil) async throws -> Int {
        let today = today ?? store.today
        let existing = try await EvaluationPeriod.query(on: store.db).all()
        var kinds: [UUID: (path: String, kinds: Set<PeriodCode.Kind>, codes: Set<String>)] = [:]
        for p in existing {
            guard let code = PeriodCode(p.code) else { continue }
            kinds[p.organizationID, default: (p.scopePath, [], [])].codes.insert(p.code)
            if code.kind != .year { kinds[p.organizationID]!.kinds.insert(code.kind) }
        }
        var opened = 0
        let actor = Actor.system("lich", at: store.now)
        for (agencyID, e) in kinds.sorted(by: { $0.value.path < $1.value.path }) {
            // An agency no longer marked gets no new periods; its old ones keep their people.
            guard let agency = try await Organization.find(agencyID, on: store.db), agency.isAgency, agency.active else { continue }
            for kind in e.kinds.sorted(by: { $0.rawValue < $1.rawValue }) {
                let period = PeriodCode.containing(today, kind: kind)
                guard !e.codes.contains(period.text) else { continue }
                do {
                    // Refused (its people are in a period above it opened before it was marked): the next one.
                    let made = try await store.write { db -> Bool in
                        let scope: PeriodScope
                        do { scope = try await Self.scope(of: agency, period: period, on: db) } catch is Refused { return false }
                        _ = try await Self.create(period, agency: agency, scope: scope, on: db, actor: actor)
                        return true
                    }
                    if made { opened += 1 }
                } catch {
                    // Another process opened it at the same moment (agency and code are unique).
                    if try await EvaluationPeriod.query(on: store.db).filter(\.$organizationID == agencyID).filter(\.$code == period.text)
                        .count() == 0 { throw error }
                }
            }
        }
        return opened
    }

    /// The evaluation job's pass: every stale period computed again; how many periods.
    static func recomputeStale(_ store: Store, progress: (@Sendable (String) -> Void)? = nil) async throws -> Int {
        let stale = try await EvaluationPeriod.query(on: store.db).filter(\.$dirty == true)
            .filter(\.$state ~~ EvaluationState.allCases.filter(\.recomputes).map(\.rawValue)).all()
        // Claimed by one process: the one whose update still finds it stale.
        var claimed: [EvaluationPeriod] = []
        for p in stale {
            let id = try p.requireID()
            let rows = try await store.sql.raw("""
                UPDATE evaluation_periods SET dirty = \(bind: false) WHERE id = \(bind: id) AND dirty = \(bind: true) RETURNING id
                """).all()
            if !rows.isEmpty { claimed.append(p) }
        }
        var done = 0
        // Agencies with the same period computed together (one pass over the records).
        for (_, same) in Dictionary(grouping: claimed, by: \.code).sorted(by: { $0.key < $1.key }) {
            do {
                done += try await recompute(batch: same, store: store, actor: .system("tinh-diem", at: store.now)) { p, people in
                    progress?("\(p.code) \(p.scopePath): \(people) người")
                }.count
            } catch {
                let ids = try same.map { try $0.requireID() }
                try? await store.sql.raw("UPDATE evaluation_periods SET dirty = \(bind: true) WHERE id IN (\(binds: ids))").run()
                throw error
            }
        }
        return done
    }
}
