import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Phê duyệt, công khai and chốt điểm (DOMAIN.md §5, §7): the head of the agency decides on the
/// quota's proposal, the results are published for the objection window, then locked as an
/// immutable snapshot.
extension EvaluationFlow {
    /// One framework's people in the period, ranked by the engine with the quota applied.
    struct Batch: Sendable {
        var framework: Framework
        var rules: ScoringRules
        var items: [ScoreInputs.Item]
        var results: [PersonResult]
        var caps: QuotaReview.Caps
    }

    /// The engine's proposal for the period, by framework (the quota is counted within each).
    static func batches(_ p: EvaluationPeriod, on db: any Database) async throws -> [Batch] {
        let frameworks = try await Framework.query(on: db).filter(\.$status == "published").all()
        var grouped: [UUID: (Framework, [ScoreInputs.Item])] = [:]
        for item in try await ScoreInputs.load(period: p.code, agency: p.scopePath, on: db) {
            guard let f = ScoreService.framework(for: item.data.staffKind, group: item.data.groupCode, at: item.row.scopePath,
                                                 period: p.code, among: frameworks) else { continue }
            grouped[f.id!, default: (f, [])].1.append(item)
        }
        return try grouped.values.sorted { $0.0.code < $1.0.code }.map { f, items in
            let definition = FrameworkService.decode(f)
            let rules = try FrameworkService.rules(f)
            let results = try ScoringEngine(rules: rules).rank(items.map(\.data), definition: definition)
            return Batch(framework: f, rules: rules, items: items, results: results, caps: QuotaReview.caps(results, rule: rules.quota))
        }
    }

    /// Whether the user approves and locks this period: a leader of the agency itself.
    func mayApprove(_ p: EvaluationPeriod) -> Bool { principal.can(.leadWork, at: p.scopePath) }

    static func isQuotaReason(_ r: Reason) -> Bool {
        switch r {
        case .withinQuota, .outsideQuota, .tieAtQuotaEdge: true
        default: false
        }
    }

    /// The reasons as said on a result; a month's or quarter's "mean of one period" is left out.
    static func reasonTexts(_ r: PersonResult, year: Bool, dropping drop: (Reason) -> Bool = { _ in false }) -> [String] {
        r.explanation.filter { reason in
            if case .yearMean = reason, !year { return false }
            return !drop(reason)
        }.map(\.text)
    }

    static func encode(_ reasons: [String]) -> String {
        String(decoding: (try? JSONEncoder().encode(reasons)) ?? Data("[]".utf8), as: UTF8.self)
    }

    static func reasons(_ json: String) -> [String] {
        (try? JSONDecoder().decode([String].self, from: Data(json.utf8))) ?? []
    }

    /// Phê duyệt: the approver's choice of "xuất sắc" among those whose score reached it, checked
    /// against the quota of each batch (more only with a recorded decision; ties only once looked
    /// at), written to every sheet with its reasons and as revision 1 (the inputs as scored, the
    /// framework version, the result); then published for `windowDays` working days.
    func approve(_ id: UUID, version: Int, chosen: Set<String>, decision: String, tiesConfirmed: Bool, windowDays: Int) async throws {
        let p = try await periods.find(id)
        guard mayApprove(p) else {
            throw Abort(.forbidden,
                        reason: """
                            Chỉ người đứng đầu cơ quan (lãnh đạo có thẩm quyền của cơ quan) mới phê duyệt \
                            kết quả.
                            """)
        }
        try requireStep(p, .approval, version: version)
        guard (1...30).contains(windowDays) else { throw Refused(message: """
            Thời gian công khai phải từ 1 đến 30 ngày làm việc.
            """) }
        let decision = decision.trimmingCharacters(in: .whitespacesAndNewlines)
        guard decision.count <= 200 else { throw Refused(message: "Số, ngày quyết định dài quá 200 ký tự.") }
        if let me = principal.personID, let myCode = try await Person.find(me, on: store.db)?.code, chosen.contains(myCode) {
            throw Refused(message: SeparationOfDuties.ownQuota)
        }
        var official: [String: (level: Level?, hundredths: Int?, reasons: [String])] = [:]
        var snapshot: [String: (inputs: String, framework: Framework)] = [:]
        let isYear = PeriodCode(p.code)?.kind == .year
        for b in try await Self.batches(p, on: store.db) {
            for item in b.items { snapshot[item.data.personCode] = (item.row.data, b.framework) }
            let ids = Set(b.results.map(\.id))
            let levels: [String: Level]
            switch QuotaReview.decide(b.results, rule: b.rules.quota, chosen: chosen.intersection(ids), decision: decision,
                                      tiesConfirmed: tiesConfirmed) {
            case let .failure(problem): throw Refused(message: problem.message)
            case let .success(l): levels = l
            }
            for r in b.results {
                guard let decided = levels[r.id], decided != r.level || r.tieAtQuotaEdge else {
                    official[r.id] = (r.level, r.yearHundredths, Self.reasonTexts(r, year: isYear))
                    continue
                }
                var reasons = Self.reasonTexts(r, year: isYear, dropping: Self.isQuotaReason)
                if decided == .excellent {
                    reasons.append(r.level == .excellent ? """
                        Người phê duyệt chọn xếp loại xuất sắc (đồng điểm ở ranh giới hạn mức).
                        """
                        : decision.isEmpty ? "Người phê duyệt chọn xếp loại xuất sắc thay người khác cùng ngưỡng."
                        : "Người phê duyệt chọn xếp loại xuất sắc vượt hạn mức theo quyết định \(decision).")
                } else {
                    reasons.append("""
                        Người phê duyệt không chọn xuất sắc (trong số người đạt ngưỡng xuất sắc): xếp hoàn \
                        thành tốt nhiệm vụ.
                        """)
                }
                official[r.id] = (decided, r.yearHundredths, reasons)
            }
        }
        let (decided, inputs) = (official, snapshot)
        let calendar = try await DeadlineJob.calendar(store)
        let until = calendar.adding(workingDays: windowDays, to: today)
        let (actor, now) = (actor, store.now)
        try await store.write { db in
            try await EvaluationService.markDirty(db, scopePath: p.scopePath)
            try await Self.advance(db, p, from: .approval, to: .published, version: version,
                                   set: [("approved_by", actor.name(actingAt: p.scopePath)), ("approved_at", now), ("decision", decision),
                                       ("objection_until",
                                       until.iso)])
            var counts: [String: Int] = [:]
            for e in try await Evaluation.query(on: db).filter(\.$periodID == id).all() {
                let o = decided[e.personCode]
                e.level = o?.level?.rawValue ?? ""
                e.hundredths = o?.hundredths
                e.reasons = Self.encode(o?.reasons ?? ["Chưa có bộ chỉ số đang áp dụng cho người này: chưa xếp loại."])
                counts[e.level, default: 0] += 1
                try await Self.writeRevision(db, e, number: 1, kind: "phe-duyet", inputs: inputs[e.personCode]?.inputs ?? "{}",
                                             framework: inputs[e.personCode]?.framework, note: "Phê duyệt", author: actor.name)
                try await e.update(on: db)
            }
            try await ScoreAggregates.rebuild(db, periodID: id)
            var after = ["ky": p.code, "cong_khai_den": until.iso, "quyet_dinh": decision]
            for level in Level.allCases { after[level.rawValue] = String(counts[level.rawValue] ?? 0) }
            try await AuditLog.append(on: db, actor: actor, action: "evaluation.approve", entityType: "evaluation_period",
                                      entityID: id.uuidString,
                                      scopePath: p.scopePath, after: after)
            try await Webhooks.period(db, p, .periodPublished, at: now)
        }
    }

    /// Chốt điểm: the workflow closed. The published results are already immutable revisions
    /// (written on approval, with the inputs and the framework version); from now on only complaints
    /// and re-reviews add revisions. The audit entry lists each person's revision at the lock.
    func lock(_ id: UUID, version: Int) async throws {
        let p = try await periods.find(id)
        guard mayApprove(p) else { throw Abort(.forbidden, reason: "Chỉ người đứng đầu cơ quan mới chốt điểm.") }
        try requireStep(p, .published, version: version)
        let (actor, now) = (actor, store.now)
        try await store.write { db in
            try await Self.advance(db, p, from: .published, to: .locked, version: version, set: [("locked_by",
                actor.name(actingAt: p.scopePath)), ("locked_at",
                now)])
            // The agency's open year follows its periods' results.
            try await EvaluationService.markDirty(db, scopePath: p.scopePath)
            let sheets = try await Evaluation.query(on: db).filter(\.$periodID == id).sort(\.$personCode).all()
            let versions = sheets.map { "\($0.personCode)#\($0.revision)" }.joined(separator: " ")
            try await AuditLog.append(on: db, actor: actor, action: "evaluation.lock", entityType: "evaluation_period",
                                      entityID: id.uuidString, scopePath: p.scopePath,
                                      after: ["ky": p.code, "so_nguoi": String(sheets.count), "phien_ban": versions])
            try await Webhooks.period(db, p, .periodLocked, at: now)
        }
    }

    /// Writes revision `number` of a sheet from its current official result (inside the caller's transaction).
    static func writeRevision(_ db: any Database, _ e: Evaluation, number: Int, kind: String, inputs: String, framework: Framework?,
                              note: String, author: String) async throws {
        let r = EvaluationRevision()
        r.id = UUID(); r.periodID = e.periodID; r.personID = e.personID; r.number = number; r.kind = kind
        r.hundredths = e.hundredths; r.level = e.level; r.frameworkID = framework?.id; r.frameworkVersion = framework?.version ?? 0
        r.inputs = inputs; r.reasons = e.reasons; r.note = note; r.author = author
        try await r.create(on: db)
        e.revision = number
    }
}
