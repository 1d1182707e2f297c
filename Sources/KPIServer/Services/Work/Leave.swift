import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Nghỉ theo chế độ: long leave recorded by the unit's leaders, the advisory bodies or those who
/// keep the personnel records (unit administrators), voided (never deleted) with a reason, each change audited. A period whose every
/// working
/// day is on leave is not evaluated (DOMAIN.md §5, `KPICore.LeaveSpan`); recording or voiding marks
/// the person's open periods stale so their scores follow.
struct LeaveService: PersonRecordService {
    typealias Record = LeaveRecord

    let store: Store
    let principal: Principal
    let actor: Actor

    func mayEnter(_ scopePath: String) -> Bool {
        principal.can(.leadWork, at: scopePath) || principal.can(.manageCatalog, at: scopePath) || principal.can(.configureFramework,
            at: scopePath)
    }

    /// About this person in particular: the personnel function of their scope, or the leaders their
    /// evaluator chain puts above them (a leader's leave is not recorded by a deputy or a peer).
    func mayDecide(about p: Person) -> Bool {
        principal.can(.manageCatalog, at: p.scopePath) || principal.can(.configureFramework, at: p.scopePath)
            || principal.can(.leadWork, at: principal.evaluatorScope(of: p.scopePath, isLeader: p.isLeader))
    }

    var mayEnterAnywhere: Bool {
        principal.canAnywhere(.leadWork) || principal.canAnywhere(.manageCatalog) || principal.canAnywhere(.configureFramework)
    }

    /// Records `draft` for the person `personCode`; about a leader nobody stands above, proposes it for
    /// a second person (`confirming` is that person's confirmation, applied with every check again).
    func record(personCode: String, _ draft: LeaveDraft, confirming: PendingRecordDecision? = nil) async throws -> PersonRecords.Outcome {
        var problems: [TaskProblem] = []
        let code = TextNormalizer.clean(personCode)
        let person = try await Person.query(on: store.db).filter(\.$code == code).first()
        if person == nil || !mayEnter(person!.scopePath) {
            problems.append(.init("nguoi",
                                  code.isEmpty ? "Vui lòng ghi mã cán bộ." : """
                                      Không có cán bộ mã «\(code)» trong phạm vi bạn được ghi nhận.
                                      """))
        } else if person?.id == principal.personID {
            problems.append(.init("nguoi", SeparationOfDuties.ownLeave))
        } else if let person, !mayDecide(about: person) {
            problems.append(.init("nguoi", SeparationOfDuties.leaderRecord))
        }
        let checked: LeaveDraft.Checked?
        switch draft.check() {
        case let .success(c): checked = c
        case let .failure(p): problems += p.list; checked = nil
        }
        guard problems.isEmpty, let person, let c = checked else { throw WorkService.Invalid(problems) }
        let (principal, actor, postgres) = (principal, actor, store.isPostgres)
        let personID = try person.requireID()
        if confirming == nil, PersonRecords.needsSecondPerson(person, agencies: principal.agencies) {
            try await Self.refuseOverlap(on: store.db, personID: personID, c)
            let form = ["nguoi": person.code, "loai": c.kind, "tu_ngay": c.from.iso, "den_ngay": c.to.iso, "can_cu": c.basis,
                        "ghi_chu": c.note]
            let summary = """
                Ghi nhận \(Catalogs.label(Catalogs.leaveKinds, c.kind).lowercased()) từ \(c.from.display) đến \(c.to.display)
                """
            try await PersonRecords.propose(LeaveRecord.auditType, action: "record", person: person, recordID: nil, form: form,
                                            summary: summary, store: store, principal: principal, actor: actor)
            return .proposed
        }
        return try await store.write { db in
            // One writer per person at a time, so two tabs cannot both record overlapping leave.
            if postgres { try await db.sql.raw("SELECT id FROM people WHERE id = \(bind: personID) FOR UPDATE").run() }
            try await Self.refuseOverlap(on: db, personID: personID, c)
            let r = LeaveRecord()
            r.personID = personID
            r.scopePath = person.scopePath
            r.kind = c.kind
            r.startsOn = c.from.iso
            r.endsOn = c.to.iso
            r.basis = c.basis
            r.note = c.note
            r.enteredBy = principal.name(actingAt: person.scopePath)
            r.voided = false
            r.voidReason = ""
            try await r.create(on: db)
            try await EvaluationService.markDirty(db, scopePath: r.scopePath)
            try await AuditLog.append(on: db, actor: actor, action: "leave.record", entityType: "leave", entityID: r.id!.uuidString,
                                      scopePath: r.scopePath, after: ["nguoi": person.code, "loai": r.kind, "tu_ngay": r.startsOn,
                                                                      "den_ngay": r.endsOn, "can_cu": r.basis])
            if let confirming { try await PersonRecords.settle(confirming, on: db, actor: actor, entityID: r.id!) }
            return .done(r.id!)
        }
    }

    /// Leave that overlaps leave already recorded for the person is refused (void that one first).
    static func refuseOverlap(on db: any Database, personID: UUID, _ c: LeaveDraft.Checked) async throws {
        let new = LeaveSpan(from: c.from, to: c.to, text: "")
        for old in try await LeaveRecord.query(on: db).filter(\.$personID == personID).filter(\.$voided == false).all() {
            if let span = old.span, span.overlaps(new) {
                throw WorkService.Invalid("tu_ngay",
                                          """
                                              Trùng với thời gian nghỉ đã ghi nhận: \(span.text). Hủy ghi nhận đó \
                                              trước nếu cần sửa.
                                              """)
            }
        }
    }

    var proposalScopes: Set<String> {
        Set(principal.scopes(.leadWork) + principal.scopes(.manageCatalog) + principal.scopes(.configureFramework))
    }

    func recordProposal(_ v: [String: String], confirming p: PendingRecordDecision) async throws -> PersonRecords.Outcome {
        let draft = LeaveDraft(kind: v["loai"] ?? "", from: v["tu_ngay"] ?? "", to: v["den_ngay"] ?? "", basis: v["can_cu"] ?? "",
                               note: v["ghi_chu"] ?? "")
        return try await record(personCode: v["nguoi"] ?? "", draft, confirming: p)
    }

    typealias Query = PersonRecords.Query

    /// What the user may see: the scopes they lead, keep records of, advise or oversee, and their own.
    func list(_ q: Query, limit: Int = 50) async throws -> (rows: [(LeaveRecord, Person)], total: Int) {
        let scopes = Area.leave.scopes(of: principal)
        let base = LeaveRecord.query(on: store.db).join(Person.self, on: \LeaveRecord.$personID == \Person.$id)
        PersonRecords.visible(base, scopes: scopes, principal: principal, search: q.q)
        if Catalogs.leaveKinds.contains(where: { $0.code == q.kind }) { base.filter(\LeaveRecord.$kind == q.kind) }
        if let d = DateOnly(parsing: q.from) { base.filter(\LeaveRecord.$endsOn >= d.iso) }
        if let d = DateOnly(parsing: q.to) { base.filter(\LeaveRecord.$startsOn <= d.iso) }
        let total = try await base.copy().count()
        let records = try await base.sort(\LeaveRecord.$startsOn, .descending).range((q.page - 1) * limit ..< q.page * limit).all()
        return (try records.map { ($0, try $0.joined(Person.self)) }, total)
    }

    /// The leave that touches first…last of the people now under `paths` (wherever it was recorded:
    /// a person who moved keeps their leave), by person, for the evaluation.
    static func spans(on db: any Database, within paths: [String], first: DateOnly, last: DateOnly) async throws -> [UUID: [LeaveSpan]] {
        var out: [UUID: [LeaveSpan]] = [:]
        for r in try await LeaveRecord.query(on: db).join(Person.self, on: \LeaveRecord.$personID == \Person.$id)
            .group(.or, { g in for p in paths { g.filter(Person.self, \.$scopePath, .custom("LIKE"), p + "%") } })
            .filter(\.$voided == false).filter(\.$startsOn <= last.iso).filter(\.$endsOn >= first.iso).all() {
            if let span = r.span { out[r.personID, default: []].append(span) }
        }
        return out
    }

    /// Who among the people under `scopePath` is on leave for every working day of `period`: they
    /// have nothing to self-assess or review there. `calendar`: the working-day calendar as the
    /// caller has it (cached for pages, the job's own in the deadline job).
    static func wholePeriod(on db: any Database, scopePath: String, period: PeriodCode, calendar: WorkCalendar) async throws -> Set<UUID> {
        guard period.kind != .year else { return [] }
        return Set(try await spans(on: db, within: [scopePath], first: period.first, last: period.last).compactMap { id, list in
            LeaveSpan.facts(list, first: period.first, last: period.last, calendar: calendar)?.wholePeriod == true ? id : nil
        })
    }
}
