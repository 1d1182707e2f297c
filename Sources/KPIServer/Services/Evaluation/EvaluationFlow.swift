import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// The evaluation workflow of a period (DOMAIN.md §7): Mở → Tự đánh giá → Đánh giá → Phê duyệt →
/// Công khai → Chốt điểm. Each step is authorized here, checked against the period's state and
/// version (two people acting at once: the second is refused), written in one transaction and audited.
struct EvaluationFlow {
    let store: Store
    let principal: Principal
    let actor: Actor
    /// Today, from the application clock unless a caller sets another day.
    var today: DateOnly {
        get { todayOverride ?? store.today }
        set { todayOverride = newValue }
    }
    var todayOverride: DateOnly? = nil

    typealias Refused = WorkService.Refused

    static let staleMessage = """
        Kỳ đánh giá vừa được người khác cập nhật (có thể do bấm hai lần hoặc hai người cùng thao tác). \
        Thao tác này chưa được thực hiện; \
        xem trạng thái mới nhất rồi thao tác lại nếu cần.
        """

    var periods: EvaluationService { EvaluationService(store: store, principal: principal, actor: actor) }

    /// Why nothing but a complaint or a re-review may change a period in `state` now.
    static func closed(_ state: EvaluationState) -> String? {
        switch state {
        case .locked: "Kỳ đã chốt điểm: kết quả chỉ thay đổi qua kiến nghị hoặc phúc tra."
        case .published: """
            Kết quả của kỳ đã được phê duyệt và công khai: không sửa được phiếu đánh giá nữa.
            """
        case .approval: "Kỳ đang chờ phê duyệt: không sửa được phiếu đánh giá nữa."
        default: nil
        }
    }

    static func state(_ p: EvaluationPeriod) -> EvaluationState { EvaluationState(rawValue: p.state) ?? .open }

    /// Moves the period from `from` to `to` if it is still at `version`, with the extra column
    /// values, inside the caller's transaction; refused when someone acted first.
    static func advance(_ db: any Database, _ p: EvaluationPeriod, from: EvaluationState, to: EvaluationState, version: Int,
                        set extra: [(String, any Encodable & Sendable)] = []) async throws {
        var q = SQLQueryString("UPDATE evaluation_periods SET state = \(bind: to.rawValue), version = version + 1")
        for (column, value) in extra { q.appendInterpolation(unsafeRaw: ", \(column) = "); q.appendInterpolation(bind: value) }
        q.appendInterpolation(unsafeRaw: " WHERE id = ")
        q.appendInterpolation(bind: try p.requireID())
        q.appendInterpolation(unsafeRaw: " AND state = ")
        q.appendInterpolation(bind: from.rawValue)
        q.appendInterpolation(unsafeRaw: " AND version = ")
        q.appendInterpolation(bind: version)
        q.appendInterpolation(unsafeRaw: " RETURNING id")
        guard try await db.sql.raw(q).all().count == 1 else { throw Refused(message: staleMessage) }
    }

    func requireStep(_ p: EvaluationPeriod, _ expected: EvaluationState, version: Int) throws {
        let state = Self.state(p)
        if let closed = Self.closed(state), state != expected { throw Refused(message: closed) }
        guard state == expected, p.version == version else { throw Refused(message: Self.staleMessage) }
    }

    /// Bắt đầu tự đánh giá: the scores brought up to date, a sheet for everyone scored, the three
    /// deadlines set (in order, not in the past). Reminders follow from the deadlines.
    func startSelfAssessment(_ id: UUID, version: Int, selfDue: DateOnly?, reviewDue: DateOnly?, approveDue: DateOnly?) async throws {
        let p = try await periods.find(id)
        try principal.require(.runEvaluation, at: p.scopePath)
        try requireStep(p, .open, version: version)
        guard let selfDue, let reviewDue, let approveDue else {
            throw Refused(message: "Ghi đủ ba thời hạn (dd/MM/yyyy): tự đánh giá, đánh giá, phê duyệt.")
        }
        guard selfDue >= today, selfDue <= reviewDue, reviewDue <= approveDue else {
            throw Refused(message: """
                Thời hạn không hợp lệ: hạn tự đánh giá không trước hôm nay, và các hạn theo thứ tự tự \
                đánh giá ≤ đánh giá ≤ phê duyệt.
                """)
        }
        _ = try await EvaluationService.recompute(p, store: store, actor: actor)
        let actor = actor
        try await store.write { db in
            try await Self.advance(db, p, from: .open, to: .selfAssessment, version: version,
                                   set: [("self_due", selfDue.iso), ("review_due", reviewDue.iso), ("approve_due", approveDue.iso)])
            try await Self.ensureSheets(db, p)
            try await AuditLog.append(on: db, actor: actor, action: "evaluation.self-start", entityType: "evaluation_period",
                                      entityID: id.uuidString,
                                      scopePath: p.scopePath, after: ["ky": p.code, "han_tu_danh_gia": selfDue.iso,
                                                                      "han_danh_gia": reviewDue.iso,
                                                                      "han_phe_duyet": approveDue.iso])
        }
    }

    /// A sheet (phiếu) for everyone with inputs in the period who has none yet.
    static func ensureSheets(_ db: any Database, _ p: EvaluationPeriod) async throws {
        let id = try p.requireID()
        let have = Set(try await Evaluation.query(on: db).filter(\.$periodID == id).all().map(\.personID))
        let rows = try await db.rows("""
            SELECT s.person_id, p.code, p.scope_path, p.leadership_rank FROM score_inputs s JOIN people p ON p.id = s.person_id
            WHERE s.period = \(bind: p.code) AND s.agency_path = \(bind: p.scopePath)
            """, { c in (try c.next(UUID.self), try c.next(String.self), try c.next(String.self), try c.next(String.self)) })
        for (person, code, scopePath, rank) in rows {
            guard !have.contains(person) else { continue }
            let e = Evaluation()
            e.id = UUID(); e.periodID = id; e.personID = person; e.personCode = code
            e.scopePath = scopePath
            e.isLeader = !rank.isEmpty && rank != "khong"
            e.selfComment = ""; e.selfRubric = "{}"; e.reviewComment = ""; e.reviewRubric = "{}"; e.reviewTaskScore = ""; e.reviewedBy = ""
            e.level = ""; e.reasons = "[]"; e.revision = 0
            try await e.create(on: db)
        }
    }

    /// Chuyển sang đánh giá: the self-assessment step ends (those who did not act are listed).
    func startReview(_ id: UUID, version: Int) async throws {
        let p = try await periods.find(id)
        try principal.require(.runEvaluation, at: p.scopePath)
        try requireStep(p, .selfAssessment, version: version)
        let actor = actor
        try await store.write { db in
            try await Self.advance(db, p, from: .selfAssessment, to: .review, version: version)
            try await AuditLog.append(on: db, actor: actor, action: "evaluation.review-start", entityType: "evaluation_period",
                                      entityID: id.uuidString, scopePath: p.scopePath, after: ["ky": p.code])
        }
    }

    /// Trình phê duyệt: the scores computed one last time with the evaluators' choices, every task
    /// listed, then fixed.
    func submitForApproval(_ id: UUID, version: Int) async throws {
        let p = try await periods.find(id)
        try principal.require(.runEvaluation, at: p.scopePath)
        try requireStep(p, .review, version: version)
        // Every task listed: these inputs become revision 1, explained line by line for good.
        _ = try await EvaluationService.recompute(p, store: store, actor: actor, detail: true)
        let actor = actor
        try await store.write { db in
            try await Self.advance(db, p, from: .review, to: .approval, version: version, set: [("dirty", false)])
            try await AuditLog.append(on: db, actor: actor, action: "evaluation.submit", entityType: "evaluation_period",
                                      entityID: id.uuidString, scopePath: p.scopePath, after: ["ky": p.code])
        }
    }

    /// A person's sheet in a period, with the period.
    func sheet(_ periodID: UUID, personCode: String) async throws -> (EvaluationPeriod, Evaluation) {
        guard let p = try await EvaluationPeriod.find(periodID, on: store.db),
              let e = try await Evaluation.query(on: store.db).filter(\.$periodID == periodID).filter(\.$personCode == personCode).first(),
              e.personID == principal.personID || principal.can(.viewEvaluations, at: e.scopePath) || principal.can(.configureFramework,
                  at: e.scopePath)
        else { throw Abort(.notFound, reason: "Không có phiếu đánh giá này, hoặc bạn không có quyền xem.") }
        return (p, e)
    }

    /// Whether the user evaluates this sheet: the leader of the person's unit (of the level above
    /// for a unit's head), never themselves.
    func mayReview(_ e: Evaluation) -> Bool {
        Self.mayReview(principal, person: e.personID, scopePath: e.scopePath, isLeader: e.isLeader)
    }

    static func mayReview(_ principal: Principal, person: UUID, scopePath: String, isLeader: Bool) -> Bool {
        person != principal.personID && principal.can(.leadWork, at: principal.evaluatorScope(of: scopePath, isLeader: isLeader))
    }

    static func encode(_ choices: [String: String]) -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return String(decoding: (try? encoder.encode(choices)) ?? Data("{}".utf8), as: UTF8.self)
    }

    static func choices(_ json: String) -> [String: String] {
        (try? JSONDecoder().decode([String: String].self, from: Data(json.utf8))) ?? [:]
    }

    /// Tự đánh giá: only the person, while the step is open and not after its deadline.
    func selfAssess(_ periodID: UUID, comment: String, rubric: [String: String]) async throws {
        principal.delegationUse.forget()
        guard let personID = principal.personID,
              let e = try await Evaluation.query(on: store.db).filter(\.$periodID == periodID).filter(\.$personID == personID).first(),
              let p = try await EvaluationPeriod.find(periodID, on: store.db) else {
            throw Refused(message: "Bạn không có phiếu đánh giá trong kỳ này.")
        }
        let state = Self.state(p)
        if let closed = Self.closed(state) { throw Refused(message: closed) }
        guard state == .selfAssessment else {
            throw Refused(message: state == .open ? "Kỳ chưa bắt đầu bước tự đánh giá." : """
                Bước tự đánh giá đã kết thúc; kỳ đang ở bước \(state.label.lowercased()).
                """)
        }
        if let due = DateOnly(parsing: p.selfDue), today > due {
            throw Refused(message: """
                Đã hết hạn tự đánh giá (\(due.display)). Liên hệ lãnh đạo đơn vị nếu cần bổ sung ý kiến.
                """)
        }
        try await requireAtWork(p, e)
        let text = comment.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count <= 4000 else { throw Refused(message: "Nhận xét dài quá 4.000 ký tự.") }
        try await checkRubric(rubric, p, e)
        let (actor, before) = (actor, e.selfComment)
        try await store.write { db in
            e.selfComment = text
            e.selfRubric = Self.encode(rubric)
            e.selfAt = store.now
            try await e.update(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "evaluation.self", entityType: "evaluation", entityID: e.id!.uuidString,
                                      scopePath: e.scopePath, before: ["nhan_xet": before], after: ["ky": p.code, "nhan_xet": text,
                                          "de_xuat": e.selfRubric])
        }
    }

    /// Đánh giá: the evaluator's rubric levels, task score (only for a period without tasks due)
    /// and comment; the period's scores are computed again with them.
    func review(_ periodID: UUID, personCode: String, comment: String, rubric: [String: String], taskScore: String) async throws {
        let (p, e) = try await sheet(periodID, personCode: personCode)
        guard mayReview(e) else {
            throw Abort(.forbidden,
                        reason: """
                            Chỉ lãnh đạo trực tiếp (thẩm quyền đánh giá) mới đánh giá được phiếu này; không \
                            ai tự đánh giá thay bước của \
                            lãnh đạo.
                            """)
        }
        let state = Self.state(p)
        if let closed = Self.closed(state) { throw Refused(message: closed) }
        guard state == .selfAssessment
            || state == .review else { throw Refused(message: "Kỳ chưa bắt đầu bước tự đánh giá.") }
        try await requireAtWork(p, e)
        let score = taskScore.trimmingCharacters(in: .whitespaces)
        if !score.isEmpty {
            guard let v = DecimalText.parse(score), v >= .zero, v <= Rational(100) else {
                throw Refused(message: """
                    Điểm kết quả nhiệm vụ «\(score)» không hợp lệ: ghi số không âm (tối đa bằng điểm của \
                    nhóm kết quả nhiệm vụ), dấu phẩy \
                    thập phân.
                    """)
            }
        }
        let text = comment.trimmingCharacters(in: .whitespacesAndNewlines)
        guard text.count <= 4000 else { throw Refused(message: "Nhận xét dài quá 4.000 ký tự.") }
        try await checkRubric(rubric, p, e)
        let actor = actor
        let before = ["nhan_xet": e.reviewComment, "muc": e.reviewRubric, "diem_nv": e.reviewTaskScore]
        try await store.write { db in
            e.reviewComment = text
            e.reviewRubric = Self.encode(rubric)
            e.reviewTaskScore = score.isEmpty ? "" : DecimalText.plain(DecimalText.parse(score)!)
            e.reviewedBy = actor.name(actingAt: e.scopePath)
            e.reviewedAt = store.now
            try await e.update(on: db)
            try await EvaluationService.markDirty(db, scopePath: e.scopePath)
            try await AuditLog.append(on: db, actor: actor, action: "evaluation.review", entityType: "evaluation",
                                      entityID: e.id!.uuidString,
                                      scopePath: e.scopePath, before: before,
                                      after: ["ky": p.code, "nhan_xet": text, "muc": e.reviewRubric, "diem_nv": e.reviewTaskScore])
        }
    }

    /// Nothing to assess in a period the person spent on leave (nghỉ theo chế độ cả kỳ).
    func requireAtWork(_ p: EvaluationPeriod, _ e: Evaluation) async throws {
        guard let code = PeriodCode(p.code),
              try await LeaveService.wholePeriod(on: store.db, scopePath: e.scopePath, period: code,
                                                 calendar: DeadlineJob.calendar(store)).contains(e.personID) else { return }
        throw Refused(message: """
            Người này nghỉ theo chế độ cả kỳ: kỳ này không đánh giá, không tự đánh giá (xem trang Nghỉ chế \
            độ).
            """)
    }

    /// Each chosen level must be one of its rubric indicator's levels in the person's framework.
    func checkRubric(_ rubric: [String: String], _ p: EvaluationPeriod, _ e: Evaluation) async throws {
        guard !rubric.isEmpty else { return }
        let frameworks = try await Framework.query(on: store.db).filter(\.$status == "published").all()
        guard let item = try await ScoreInputs.load(period: p.code, under: e.scopePath,
                                                    on: store.db).first(where: { $0.row.personID == e.personID }),
              let f = ScoreService.framework(for: item.data.staffKind, group: item.data.groupCode, at: e.scopePath, period: p.code,
                                             among: frameworks)
        else { throw Refused(message: "Chưa có bộ chỉ số đang áp dụng cho người này.") }
        let indicators = FrameworkService.decode(f).indicators.filter { $0.method == "rubric" }
        for (code, level) in rubric.sorted(by: { $0.key < $1.key }) {
            guard let ind = indicators.first(where: { $0.code == code }) else {
                throw Refused(message: "Chỉ số «\(code)» không chấm theo thang mức trong bộ chỉ số đang áp dụng.")
            }
            let levels = ((try? ProductRules.parseComplexity(ind.parameter, range: .zero...Rational(100)).get()) ?? []).map(\.name)
            guard levels.contains(level) else {
                throw Refused(message: """
                    Mức «\(level)» không có trong thang của chỉ số «\(ind.name)»; chọn một \
                    trong: \(levels.joined(separator: ", ")).
                    """)
            }
        }
    }

    /// Who has not yet acted in the period: no self-assessment, not reviewed (for the head). People
    /// on leave for the whole period (nghỉ theo chế độ) owe nothing and are not counted as pending.
    struct Progress: Sendable {
        var sheets: [Evaluation]
        var onLeave: Set<UUID> = []
        func selfPending(_ e: Evaluation) -> Bool { e.selfAt == nil && !onLeave.contains(e.personID) }
        func reviewPending(_ e: Evaluation) -> Bool { e.reviewedAt == nil && !onLeave.contains(e.personID) }
        var selfPending: [Evaluation] { sheets.filter(selfPending) }
        var reviewPending: [Evaluation] { sheets.filter(reviewPending) }
    }

    func progress(_ p: EvaluationPeriod) async throws -> Progress {
        let sheets = try await Evaluation.query(on: store.db).filter(\.$periodID == p.requireID()).sort(\.$personCode).all()
        guard let code = PeriodCode(p.code) else { return Progress(sheets: sheets) }
        return Progress(sheets: sheets, onLeave: try await LeaveService.wholePeriod(on: store.db, scopePath: p.scopePath, period: code,
                                                                                   calendar: DeadlineJob.calendar(store)))
    }
}
