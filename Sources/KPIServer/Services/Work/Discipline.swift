import Fluent
import Foundation
import KPICore
import Vapor

/// Kỷ luật, kỷ cương (indicator group iv): violations of catalogued types and disciplinary decisions,
/// entered by the leaders of the person's unit or the advisory bodies, voided (never deleted) with a
/// reason; each change audited.
struct DisciplineService: PersonRecordService {
    typealias Record = DisciplineRecord

    let store: Store
    let principal: Principal
    let actor: Actor

    func mayEnter(_ scopePath: String) -> Bool {
        principal.can(.leadWork, at: scopePath) || principal.can(.configureFramework, at: scopePath)
    }

    var mayEnterAnywhere: Bool { principal.canAnywhere(.leadWork) || principal.canAnywhere(.configureFramework) }

    /// About this person in particular: the advisory body of their scope, or the leaders their
    /// evaluator chain puts above them (a leader's record is not entered or voided by a deputy).
    func mayDecide(about p: Person) -> Bool {
        principal.can(.configureFramework, at: p.scopePath)
            || principal.can(.leadWork, at: principal.evaluatorScope(of: p.scopePath, isLeader: p.isLeader))
    }

    struct Entry: Sendable {
        var personCode = ""
        var kind = "vi-pham"
        var violationCode = ""
        var level = ""
        var decisionNumber = ""
        var decisionDate = ""
        var occurredOn = ""
        var note = ""
    }

    /// Records entry `e`; about a leader nobody stands above, proposes it for a second person
    /// (`confirming` is that person's confirmation, applied with every check again).
    func record(_ e: Entry, today: DateOnly? = nil, confirming: PendingRecordDecision? = nil) async throws -> PersonRecords.Outcome {
        let today = today ?? store.today
        var problems: [TaskProblem] = []
        let db = store.db
        let code = TextNormalizer.clean(e.personCode)
        let person = try await Person.query(on: db).filter(\.$code == code).first()
        if person == nil || !mayEnter(person!.scopePath) {
            problems.append(.init("nguoi",
                                  code.isEmpty ? "Vui lòng ghi mã cán bộ." : """
                                      Không có cán bộ mã «\(code)» trong phạm vi bạn được ghi nhận.
                                      """))
        } else if let person, person.id != principal.personID, !mayDecide(about: person) {
            problems.append(.init("nguoi", SeparationOfDuties.leaderRecord))
        }
        var type: ViolationType?
        switch e.kind {
        case "vi-pham":
            type = try await ViolationType.query(on: db).filter(\.$code == TextNormalizer.clean(e.violationCode))
                .filter(\.$active == true).first()
            if type == nil { problems.append(.init("loai_vi_pham", "Vui lòng chọn loại vi phạm trong danh mục.")) }
        case "ky-luat":
            if !Catalogs.disciplineLevels.contains(where: { $0.code == e.level }) { problems.append(.init("hinh_thuc",
                "Vui lòng chọn hình thức kỷ luật.")) }
            if TextNormalizer.clean(e.decisionNumber).isEmpty { problems.append(.init("so_quyet_dinh",
                                                                                      "Vui lòng ghi số quyết định kỷ luật.")) }
        default:
            problems.append(.init("loai", "Vui lòng chọn vi phạm hoặc quyết định kỷ luật."))
        }
        let dateText = e.kind == "ky-luat" ? e.decisionDate : e.occurredOn
        let date = DateOnly(parsing: dateText)
        if date == nil {
            problems.append(.init(e.kind == "ky-luat" ? "ngay_quyet_dinh" : "ngay",
                                  "Ngày không đọc được (dùng dạng dd/mm/yyyy)."))
        } else if today < date! {
            problems.append(.init(e.kind == "ky-luat" ? "ngay_quyet_dinh" : "ngay",
                                  "Ngày (\(date!.display)) không được sau hôm nay."))
        }
        let note = e.note.trimmingCharacters(in: .whitespacesAndNewlines)
        if note.count > 1000 { problems.append(.init("ghi_chu", "Ghi chú dài quá 1.000 ký tự.")) }
        guard problems.isEmpty, let person, let date else { throw WorkService.Invalid(problems) }
        let (principal, actor, type_) = (principal, actor, type)
        if confirming == nil, person.id != principal.personID, PersonRecords.needsSecondPerson(person, agencies: principal.agencies) {
            let form = ["nguoi": person.code, "loai": e.kind, "loai_vi_pham": type?.code ?? "", "hinh_thuc": e.level,
                        "so_quyet_dinh": e.decisionNumber, "ngay_quyet_dinh": e.decisionDate, "ngay": e.occurredOn, "ghi_chu": note]
            let summary = e.kind == "ky-luat"
                ? "Ghi nhận kỷ luật \(Catalogs.label(Catalogs.disciplineLevels, e.level).lowercased()), quyết định số "
                    + "\(TextNormalizer.clean(e.decisionNumber)) ngày \(date.display)"
                : "Ghi nhận vi phạm \(type?.name ?? "") ngày \(date.display)"
            try await PersonRecords.propose(DisciplineRecord.auditType, action: "record", person: person, recordID: nil, form: form,
                                            summary: summary, store: store, principal: principal, actor: actor)
            return .proposed
        }
        return try await store.write { db in
            let type = type_
            let r = DisciplineRecord()
            r.personID = try person.requireID()
            r.scopePath = person.scopePath
            r.kind = e.kind
            r.violationCode = type?.code ?? ""
            r.violationName = type?.name ?? ""
            r.deduction = type?.deduction ?? ""
            r.level = e.kind == "ky-luat" ? e.level : ""
            r.decisionNumber = e.kind == "ky-luat" ? TextNormalizer.clean(e.decisionNumber) : ""
            r.decisionDate = e.kind == "ky-luat" ? date.iso : ""
            r.occurredOn = date.iso
            r.note = note
            r.enteredBy = principal.name(actingAt: person.scopePath)
            r.voided = false
            r.voidReason = ""
            try await r.create(on: db)
            try await EvaluationService.markDirty(db, scopePath: r.scopePath)
            try await AuditLog.append(on: db, actor: actor, action: "discipline.record", entityType: "discipline",
                                      entityID: r.id!.uuidString,
                                      scopePath: r.scopePath, after: ["nguoi": person.code, "loai": r.kind, "vi_pham": r.violationCode,
                                                                      "hinh_thuc": r.level, "so_qd": r.decisionNumber,
                                                                      "ngay": r.occurredOn])
            if let confirming { try await PersonRecords.settle(confirming, on: db, actor: actor, entityID: r.id!) }
            return .done(r.id!)
        }
    }

    var proposalScopes: Set<String> { Set(principal.scopes(.leadWork) + principal.scopes(.configureFramework)) }

    func recordProposal(_ v: [String: String], confirming p: PendingRecordDecision) async throws -> PersonRecords.Outcome {
        let entry = Entry(personCode: v["nguoi"] ?? "", kind: v["loai"] ?? "", violationCode: v["loai_vi_pham"] ?? "",
                          level: v["hinh_thuc"] ?? "", decisionNumber: v["so_quyet_dinh"] ?? "", decisionDate: v["ngay_quyet_dinh"] ?? "",
                          occurredOn: v["ngay"] ?? "", note: v["ghi_chu"] ?? "")
        return try await record(entry, confirming: p)
    }

    typealias Query = PersonRecords.Query

    /// What the user may see: the scopes they lead, advise or oversee, and their own records.
    func list(_ q: Query, limit: Int = 50) async throws -> (rows: [(DisciplineRecord, Person)], total: Int) {
        let scopes = Area.discipline.scopes(of: principal)
        let db = store.db
        let base = DisciplineRecord.query(on: db).join(Person.self, on: \DisciplineRecord.$personID == \Person.$id)
        PersonRecords.visible(base, scopes: scopes, principal: principal, search: q.q)
        if ["vi-pham", "ky-luat"].contains(q.kind) { base.filter(\DisciplineRecord.$kind == q.kind) }
        if let d = DateOnly(parsing: q.from) { base.filter(\DisciplineRecord.$occurredOn >= d.iso) }
        if let d = DateOnly(parsing: q.to) { base.filter(\DisciplineRecord.$occurredOn <= d.iso) }
        let total = try await base.copy().count()
        let records = try await base.sort(\DisciplineRecord.$occurredOn, .descending).range((q.page - 1) * limit ..< q.page * limit).all()
        return (try records.map { ($0, try $0.joined(Person.self)) }, total)
    }
}
