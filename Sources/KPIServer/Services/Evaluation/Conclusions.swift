import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Kết luận suy thoái, tham nhũng (issue 18, item 5; DOMAIN.md §5): recorded by the advisory body or
/// the inspection role of the person's scope, with the decision's number and date; the person's
/// year is ranked "không hoàn thành nhiệm vụ". A year still being evaluated picks it up when it is
/// computed; a year already approved (published or locked) gets a new revision at once, and so does
/// voiding; a year waiting for approval is left alone until it is decided. Audited, atomic.
struct ConclusionService {
    let store: Store
    let principal: Principal
    let actor: Actor

    static let auditType = "conclusion"
    static let ownRecord = """
        Không ai tự ghi nhận hay hủy kết luận về chính mình: việc này do người khác của cơ quan tham mưu, \
        kiểm tra thực hiện.
        """

    func mayEnter(_ scopePath: String) -> Bool { principal.can(.recordConclusion, at: scopePath) }
    var mayEnterAnywhere: Bool { principal.canAnywhere(.recordConclusion) }

    /// The person's year evaluation for `year`, with its period, when there is one.
    func yearSheet(personID: UUID, year: Int) async throws -> (EvaluationPeriod, Evaluation)? {
        let periods = try await EvaluationPeriod.query(on: store.db).filter(\.$code == String(year))
            .filter(\.$kind == PeriodCode.Kind.year.rawValue).all()
        for p in periods {
            if let e = try await Evaluation.query(on: store.db).filter(\.$periodID == p.requireID())
                .filter(\.$personID == personID).first() {
                return (p, e)
            }
        }
        return nil
    }

    /// The new revision a change of the year's overrides makes, when the year is already approved;
    /// nil when the year picks it up as it is computed. Refused while the year waits for approval.
    func revision(personID: UUID, year: Int, add: Set<String> = [], remove: Set<String> = [])
        async throws -> (EvaluationPeriod, Evaluation, EvaluationFlow.Revised)? {
        guard let (p, e) = try await yearSheet(personID: personID, year: year) else { return nil }
        switch EvaluationState(rawValue: p.state) {
        case .approval:
            throw WorkService.Refused(message: """
                Kết quả năm \(year) của người này đang chờ phê duyệt: ghi (hoặc hủy) kết luận sau khi kết \
                quả được \
                phê duyệt — hệ thống sửa thành phiên bản mới —, hoặc đề nghị người phê duyệt trả kỳ \
                về bước đánh giá.
                """)
        case .published, .locked:
            guard e.revision > 0 else { return nil }
            let flow = EvaluationFlow(store: store, principal: principal, actor: actor)
            return (p, e, try await flow.rescore(p, e, .init(addFlags: add, removeFlags: remove)))
        default:
            return nil
        }
    }

    /// Records a conclusion about the person `personCode`; returns its id.
    func record(personCode: String, _ draft: ConclusionDraft) async throws -> UUID {
        var problems: [TaskProblem] = []
        let code = TextNormalizer.clean(personCode)
        let person = code.count <= 100 ? try await Person.query(on: store.db).filter(\.$code == code).first() : nil
        if person == nil || !mayEnter(person!.scopePath) {
            problems.append(.init("nguoi", code.isEmpty ? "Vui lòng ghi mã cán bộ." : """
                Không có cán bộ mã «\(code.prefix(100))» trong phạm vi bạn được ghi nhận.
                """))
        } else if person?.id == principal.personID {
            problems.append(.init("nguoi", Self.ownRecord))
        }
        var checked: ConclusionDraft.Checked?
        switch draft.check(today: store.today, isLeader: person?.isLeader ?? true) {
        case let .success(c): checked = c
        case let .failure(p): problems += p.list
        }
        guard problems.isEmpty, let person, let c = checked else { throw WorkService.Invalid(problems) }
        let personID = try person.requireID()
        if let old = try await ConclusionRecord.query(on: store.db).filter(\.$personID == personID).filter(\.$kind == c.flag.rawValue)
            .filter(\.$year == c.year).filter(\.$voided == false).first() {
            throw WorkService.Invalid("loai", """
                Đã có kết luận loại này cho năm \(c.year) (văn bản số \(old.decisionNumber)); hủy ghi nhận đó \
                trước nếu \
                cần sửa.
                """)
        }
        let revised = try await revision(personID: personID, year: c.year, add: [c.flag.rawValue])
        let (actor, name, postgres) = (actor, principal.name(actingAt: person.scopePath), store.isPostgres)
        return try await store.write { db in
            if postgres { try await db.sql.raw("SELECT id FROM people WHERE id = \(bind: personID) FOR UPDATE").run() }
            let twice = try await ConclusionRecord.query(on: db).filter(\.$personID == personID).filter(\.$kind == c.flag.rawValue)
                .filter(\.$year == c.year).filter(\.$voided == false).count()
            guard twice == 0 else { throw WorkService.Refused(message: "Kết luận này vừa được ghi nhận.") }
            let r = ConclusionRecord()
            r.personID = personID
            r.scopePath = person.scopePath
            r.kind = c.flag.rawValue
            r.year = c.year
            r.decisionNumber = c.decisionNumber
            r.decisionDate = c.decisionDate.iso
            r.issuer = c.issuer
            r.note = c.note
            r.enteredBy = name
            r.voided = false
            r.voidReason = ""
            r.effect = ""
            r.createdAt = actor.at
            try await r.create(on: db)
            var after = ["nguoi": person.code, "loai": r.kind, "nam": String(r.year), "so_van_ban": r.decisionNumber,
                         "ngay_van_ban": r.decisionDate, "co_quan": r.issuer]
            if let (p, e, rev) = revised {
                var changed = ["ky": p.code, "nguoi": person.code, "ket_luan": r.decisionNumber]
                let n = try await EvaluationFlow.reviseAudited(db, e, rev, kind: "ket-luan", note: """
                    \(ConclusionDraft.label(c.flag)): văn bản số \(r.decisionNumber) ngày \(c.decisionDate.display) của \(r.issuer)
                    """, actor: actor, after: &changed)
                r.effect = "phien-ban-\(n)"
                try await r.update(on: db)
                after["phien_ban_nam"] = String(n)
            } else {
                try await EvaluationService.markDirty(db, scopePath: person.scopePath)
            }
            try await AuditLog.append(on: db, actor: actor, action: "conclusion.record", entityType: Self.auditType,
                                      entityID: r.id!.uuidString, scopePath: r.scopePath, after: after)
            return r.id!
        }
    }

    /// Voids a conclusion with a reason; an approved year is revised back.
    func void(_ id: UUID, reason: String) async throws {
        guard let found = try await ConclusionRecord.find(id, on: store.db), mayEnter(found.scopePath) else {
            throw Abort(.notFound, reason: "Không có kết luận này trong phạm vi của bạn.")
        }
        guard found.personID != principal.personID else { throw Abort(.forbidden, reason: Self.ownRecord) }
        guard !found.voided else { throw WorkService.Refused(message: "Ghi nhận này đã được hủy trước đó.") }
        let why = TextNormalizer.clean(reason)
        guard !why.isEmpty else { throw WorkService.Invalid("ly_do", "Vui lòng ghi lý do hủy ghi nhận.") }
        guard why.count <= 500 else { throw WorkService.Invalid("ly_do", "Lý do dài quá 500 ký tự.") }
        let revised = try await revision(personID: found.personID, year: found.year, remove: [found.kind])
        let actor = actor
        try await store.write { db in
            let claimed = try await db.sql.raw("""
                UPDATE conclusions SET voided = \(bind: true), void_reason = \(bind: why) WHERE id = \(bind: id) AND voided = \(bind: false)
                RETURNING id
                """).all()
            guard claimed.count == 1 else { throw WorkService.Refused(message: "Ghi nhận này đã được hủy trước đó.") }
            var after = ["ly_do": why]
            if let (p, e, rev) = revised {
                var changed = ["ky": p.code, "nguoi": e.personCode, "huy_ket_luan": found.decisionNumber]
                let n = try await EvaluationFlow.reviseAudited(db, e, rev, kind: "ket-luan", note: """
                    Hủy kết luận văn bản số \(found.decisionNumber): \(why)
                    """, actor: actor, after: &changed)
                after["phien_ban_nam"] = String(n)
            } else {
                try await EvaluationService.markDirty(db, scopePath: found.scopePath)
            }
            try await AuditLog.append(on: db, actor: actor, action: "conclusion.void", entityType: Self.auditType, entityID: id.uuidString,
                                      scopePath: found.scopePath, after: after)
        }
    }

    struct Query: Sendable {
        var q = ""
        var kind = ""
        var year = ""
        var page = 1
    }

    /// What the user may see: the scopes they record conclusions in or oversee evaluations of, and
    /// their own.
    func list(_ q: Query, limit: Int = 50) async throws -> (rows: [(ConclusionRecord, Person)], total: Int) {
        let scopes = Set(principal.scopes(.recordConclusion) + principal.scopes(.viewEvaluations))
        let base = ConclusionRecord.query(on: store.db).join(Person.self, on: \ConclusionRecord.$personID == \Person.$id)
        PersonRecords.visible(base, scopes: scopes, principal: principal, search: q.q)
        if ConclusionDraft.kinds.contains(where: { $0.rawValue == q.kind }) { base.filter(\ConclusionRecord.$kind == q.kind) }
        if q.year.count == 4, let y = Int(q.year) { base.filter(\ConclusionRecord.$year == y) }
        let total = try await base.copy().count()
        let page = min(max(q.page, 1), 100_000)
        let records = try await base.sort(\ConclusionRecord.$decisionDate, .descending).range((page - 1) * limit ..< page * limit).all()
        return (try records.map { ($0, try $0.joined(Person.self)) }, total)
    }
}

extension ConclusionRecord: PersonRecord { static let auditType = ConclusionService.auditType }
