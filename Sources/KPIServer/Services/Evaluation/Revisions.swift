import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// After publication, a result changes only by a new revision (DOMAIN.md §7): the person's
/// complaint (kiến nghị) accepted by the head, or a re-review (phúc tra) by the advisory body or
/// the level above. The correction re-scores the current revision's inputs — with corrected rubric
/// levels, a corrected task score, or the work records as they are now — under the same framework
/// version; the previous revision stays as it was.
extension EvaluationFlow {
    struct Correction: Sendable {
        /// Rubric levels to set (indicator code → level); the others keep theirs.
        var rubric: [String: String] = [:]
        /// A task score for a period without tasks due; nil keeps the current one.
        var taskScore: String?
        /// Gather the inputs again from the work records.
        var refresh = false
        /// The recorded decision allowing "xuất sắc" beyond the approved quota.
        var decision = ""
        /// Year-level overrides (`OverrideFlag` raw values) a conclusion adds or its voiding removes.
        var addFlags: Set<String> = []
        var removeFlags: Set<String> = []
    }

    struct Revised: Sendable {
        var inputs: String
        var framework: Framework?
        var level: Level?
        var hundredths: Int?
        var reasons: [String]
    }

    func currentRevision(_ e: Evaluation) async throws -> EvaluationRevision {
        guard let r = try await EvaluationRevision.query(on: store.db).filter(\.$periodID == e.periodID).filter(\.$personID == e.personID)
            .filter(\.$number == e.revision).first() else {
            throw Refused(message: "Kết quả của người này chưa được phê duyệt: chưa có phiên bản để sửa.")
        }
        return r
    }

    /// The corrected result, computed (nothing written).
    func rescore(_ p: EvaluationPeriod, _ e: Evaluation, _ c: Correction) async throws -> Revised {
        let current = try await currentRevision(e)
        var data = try JSONDecoder().decode(ScoreInputData.self, from: Data(current.inputs.utf8))
        if c.refresh, let period = PeriodCode(p.code) {
            let frameworks = try await Framework.query(on: store.db).filter(\.$status == "published").all()
            var choices: [UUID: (rubric: [String: String], taskScore: String)] = [:]
            for s in try await Evaluation.query(on: store.db).filter(\.$periodID == p.requireID()).all() where s.reviewedAt != nil {
                choices[s.personID] = (Self.choices(s.reviewRubric), s.reviewTaskScore)
            }
            guard let fresh = try await ScoreGathering(db: store.db).gather(period: period, scope: p.scope,
                                                                            frameworks: frameworks, choices: choices, detail: true)
                .first(where: { $0.member.id == e.personID }) else {
                throw Refused(message: """
                    Người này không còn trong cơ quan: không tính lại được theo dữ liệu hiện tại.
                    """)
            }
            var refreshed = fresh.data
            refreshed.metrics?.rubric = data.metrics?.rubric ?? [:]
            refreshed.taskRubric = data.taskRubric
            data = refreshed
        }
        if !c.rubric.isEmpty {
            try await checkRubric(c.rubric, p, e)
            var metrics = data.metrics ?? GeneralMetrics()
            metrics.rubric.merge(c.rubric) { _, new in new }
            data.metrics = metrics
        }
        if let score = c.taskScore?.trimmingCharacters(in: .whitespaces) {
            if score.isEmpty {
                data.taskRubric = nil
            } else {
                guard let v = DecimalText.parse(score),
                v >= .zero else { throw Refused(message: "Điểm kết quả nhiệm vụ «\(score)» không hợp lệ.") }
                data.taskRubric = DecimalText.plain(v)
            }
        }
        if !c.addFlags.isEmpty || !c.removeFlags.isEmpty {
            guard var year = data.year else { throw Refused(message: "Kết luận chỉ áp dụng cho kết quả năm.") }
            year.flags = Set(year.flags).union(c.addFlags).subtracting(c.removeFlags).sorted()
            data.year = year
        }
        let framework: Framework? = if let id = current.frameworkID { try await Framework.find(id, on: store.db) } else { nil }
        guard let framework else { throw Refused(message: "Không tìm thấy bộ chỉ số của phiên bản hiện tại.") }
        let definition = FrameworkService.decode(framework)
        let result = try data.score(ScoringEngine(rules: try FrameworkService.rules(framework)), definition: definition)
        var level = result.level
        var reasons = Self.reasonTexts(result, year: data.year != nil)
        if level == .excellent && e.level != Level.excellent.rawValue {
            let decision = c.decision.trimmingCharacters(in: .whitespacesAndNewlines)
            if decision.isEmpty {
                level = .good
                reasons.append("""
                    Kết quả sửa đạt ngưỡng xuất sắc nhưng hạn mức xuất sắc đã được phê duyệt: xếp \
                    hoàn thành tốt nhiệm vụ (xếp xuất sắc \
                    cần quyết định cho phép vượt hạn mức).
                    """)
            } else {
                reasons.append("Xếp xuất sắc theo quyết định \(decision).")
            }
        } else if level == .excellent {
            reasons.append("Giữ xếp loại xuất sắc trong hạn mức đã phê duyệt.")
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return Revised(inputs: String(decoding: try encoder.encode(data), as: UTF8.self), framework: framework, level: level,
                       hundredths: result.yearHundredths, reasons: reasons)
    }

    /// Writes the next revision of a sheet (inside the caller's transaction) and marks stale the
    /// periods that read it: its own agency's, and the agency the person is in now; refused when
    /// another correction got there first. Returns its number.
    static func revise(_ db: any Database, _ e: Evaluation, _ r: Revised, kind: String, note: String, author: String) async throws -> Int {
        let next = e.revision + 1
        let claimed = try await db.sql.raw("""
            UPDATE evaluations SET revision = \(bind: next) WHERE id = \(bind: try e.requireID()) AND revision = \(bind: e.revision) \
            RETURNING id
            """).all()
        guard claimed.count == 1 else { throw Refused(message: staleMessage) }
        e.level = r.level?.rawValue ?? ""
        e.hundredths = r.hundredths
        e.reasons = encode(r.reasons)
        try await writeRevision(db, e, number: next, kind: kind, inputs: r.inputs, framework: r.framework, note: note, author: author)
        try await e.update(on: db)
        try await ScoreAggregates.rebuild(db, periodID: e.periodID)
        try await EvaluationService.markDirty(db, scopePath: e.scopePath)
        // A person who has since moved carries this result into the new agency's year (DOMAIN.md §5).
        if let now = try await Person.find(e.personID, on: db)?.scopePath, now != e.scopePath {
            try await EvaluationService.markDirty(db, scopePath: now)
        }
        return next
    }

    /// `revise`, with its audit entry (the result before and after); `after` gains the new revision.
    static func reviseAudited(_ db: any Database, _ e: Evaluation, _ r: Revised, kind: String, note: String, actor: Actor,
                              after: inout [String: String]) async throws -> Int {
        let before = ["diem": e.hundredths.map(String.init) ?? "", "xep_loai": e.level, "phien_ban": String(e.revision)]
        let n = try await revise(db, e, r, kind: kind, note: note, author: actor.name)
        after["phien_ban"] = String(n); after["diem"] = r.hundredths.map(String.init) ?? ""; after["xep_loai"] = r.level?.rawValue ?? ""
        try await AuditLog.append(on: db, actor: actor, action: "evaluation.revise", entityType: "evaluation", entityID: e.id!.uuidString,
                                  scopePath: e.scopePath, before: before, after: after)
        if let p = try await EvaluationPeriod.find(e.periodID, on: db) {
            try await Webhooks.emit(db, .resultRevised, scopePath: e.scopePath,
                                    data: ["periodId": p.id!.uuidString, "periodCode": p.code, "personCode": e.personCode, "revision": n],
                                    at: actor.at)
        }
        return n
    }

    /// The revisions of a sheet, newest first.
    func revisions(_ e: Evaluation) async throws -> [EvaluationRevision] {
        try await EvaluationRevision.query(on: store.db).filter(\.$periodID == e.periodID).filter(\.$personID == e.personID)
            .sort(\.$number, .descending).all()
    }
}
