import Fluent
import Foundation
import KPICore
import Vapor

/// Xác nhận của người thứ hai for records about a person (issue 16, hole 3): leave and discipline
/// about a leader nobody stands above (a leader of the province's top unit) — entered or voided —
/// are proposed by one person with the authority and take effect only when another confirms. The
/// confirmation applies the proposal again, with every check, as the confirming user's act; the
/// subject of the record takes no part; each step is audited and atomic.
extension PersonRecords {
    /// What an entry or a voiding came to: done, or proposed and waiting for a second person.
    enum Outcome: Sendable, Equatable {
        case done(UUID)
        case proposed

        var id: UUID? {
            if case let .done(id) = self { id } else { nil }
        }
    }

    static let awaitingSecond = "Đã ghi đề nghị. Người này là lãnh đạo của đơn vị cao nhất (không có "
        + "cấp trên trong hệ thống), "
        + "nên ghi nhận chỉ có hiệu lực khi một người khác cùng thẩm quyền xác nhận."
    static let gone = "Đề nghị này không còn chờ xác nhận (đã được xác nhận, bác hoặc rút)."

    /// Whether records about `p` take two people: a leader with nobody above them.
    static func needsSecondPerson(_ p: Person, agencies: AgencyMap) -> Bool {
        agencies.needsSecondPerson(unitPath: p.scopePath, isLeader: p.isLeader)
    }

    /// Records the proposal (one voiding per record at a time), audited, and tells those who may
    /// confirm: the leaders and advisory bodies over the person's unit, not the proposer, not the person.
    static func propose(_ type: String, action: String, person: Person, recordID: UUID?, form: [String: String], summary: String,
                        store: Store, principal: Principal, actor: Actor) async throws {
        let data = try JSONSerialization.data(withJSONObject: form, options: [.sortedKeys])
        let personID = try person.requireID()
        let roles = [Role.leader.rawValue, Role.advisory.rawValue]
        let grants = try await RoleGrant.query(on: store.db).filter(\.$role ~~ roles).all()
        let subject = try await User.query(on: store.db).filter(\.$personID == personID).all().compactMap(\.id)
        let told = Set(grants.filter { OrgPath.contains($0.scopePath, person.scopePath) }.map(\.userID))
            .subtracting(subject + [principal.userID]).sorted { $0.uuidString < $1.uuidString }
        let link = type == LeaveRecord.auditType ? LeaveController.path : DisciplineController.path
        try await store.write { db in
            if let recordID, try await PendingRecordDecision.query(on: db).filter(\.$recordID == recordID).count() > 0 {
                throw WorkService.Refused(message: """
                    Đã có đề nghị hủy ghi nhận này đang chờ xác nhận. Hãy xác nhận hoặc bác đề nghị đó \
                    trước.
                    """)
            }
            let d = PendingRecordDecision()
            d.recordType = type; d.action = action; d.personID = personID; d.recordID = recordID; d.scopePath = person.scopePath
            d.form = String(decoding: data, as: UTF8.self); d.summary = summary
            d.proposedBy = principal.userID; d.proposedByName = principal.displayName; d.proposedAt = actor.at
            try await d.create(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "\(type).propose", entityType: type,
                                      entityID: (recordID ?? d.id!).uuidString, scopePath: person.scopePath,
                                      after: ["nguoi": person.code, "de_nghi": summary])
            for user in told {
                let n = Notice()
                n.userID = user; n.kind = "xac-nhan"; n.createdAt = actor.at; n.link = link
                n.title = "\(principal.displayName) đề nghị «\(summary)» về \(person.fullName) (\(person.code)): "
                    + "cần một người khác cùng thẩm quyền xác nhận."
                n.dedupeKey = "de-nghi-ghi-nhan:\(d.id!.uuidString):\(user.uuidString)"
                try await n.create(on: db)
            }
        }
    }

    /// Inside the confirming transaction: the proposal is removed (once: a concurrent confirmation
    /// finds it gone) and the confirmation audited with the proposer's name.
    static func settle(_ p: PendingRecordDecision, on db: any Database, actor: Actor, entityID: UUID) async throws {
        let id = try p.requireID()
        guard try await PendingRecordDecision.query(on: db).filter(\.$id == id).count() == 1 else {
            throw WorkService.Refused(message: gone)
        }
        try await PendingRecordDecision.query(on: db).filter(\.$id == id).delete()
        try await AuditLog.append(on: db, actor: actor, action: "\(p.recordType).confirm", entityType: p.recordType,
                                  entityID: entityID.uuidString, scopePath: p.scopePath,
                                  after: ["de_nghi": p.summary, "nguoi_de_nghi": p.proposedByName])
    }

    /// The proposal `id` of `type` for the user to confirm: outside their scope 404; the proposer, the
    /// person concerned, or someone without authority over them, 403 saying who must act.
    static func toConfirm(_ type: String, _ id: UUID, store: Store, principal: Principal,
                          mayEnter: (String) -> Bool, mayDecide: (Person) -> Bool) async throws -> PendingRecordDecision {
        guard let p = try await PendingRecordDecision.find(id, on: store.db), p.recordType == type, mayEnter(p.scopePath) else {
            throw Abort(.notFound)
        }
        guard p.personID != principal.personID else { throw Abort(.forbidden, reason: SeparationOfDuties.ownRecord) }
        guard p.proposedBy != principal.userID else { throw Abort(.forbidden, reason: ownProposal) }
        guard let person = try await Person.find(p.personID, on: store.db), mayDecide(person) else {
            throw Abort(.forbidden, reason: SeparationOfDuties.leaderRecord)
        }
        return p
    }

    static let ownProposal = "Người đề nghị không tự xác nhận đề nghị của mình: cần một người khác "
        + "cùng thẩm quyền xác nhận "
        + "(bạn có thể rút đề nghị)."

    /// Refuses (or, by its proposer, withdraws) proposal `id`: a reason is required to refuse; the
    /// proposer is told; audited and atomic.
    static func reject(_ type: String, _ id: UUID, reason: String, store: Store, principal: Principal, actor: Actor,
                       mayEnter: (String) -> Bool, mayDecide: (Person) -> Bool) async throws {
        guard let p = try await PendingRecordDecision.find(id, on: store.db), p.recordType == type, mayEnter(p.scopePath) else {
            throw Abort(.notFound)
        }
        let withdrawn = p.proposedBy == principal.userID
        if !withdrawn {
            guard p.personID != principal.personID else { throw Abort(.forbidden, reason: SeparationOfDuties.ownRecord) }
            guard let person = try await Person.find(p.personID, on: store.db), mayDecide(person) else {
                throw Abort(.forbidden, reason: SeparationOfDuties.leaderRecord)
            }
        }
        let why = TextNormalizer.clean(reason)
        guard withdrawn || !why.isEmpty else { throw WorkService.Invalid("ly_do", "Vui lòng ghi lý do bác đề nghị.") }
        guard why.count <= 500 else { throw WorkService.Invalid("ly_do", "Lý do dài quá 500 ký tự.") }
        let link = type == LeaveRecord.auditType ? LeaveController.path : DisciplineController.path
        try await store.write { db in
            guard try await PendingRecordDecision.query(on: db).filter(\.$id == id).count() == 1 else {
                throw WorkService.Refused(message: gone)
            }
            try await PendingRecordDecision.query(on: db).filter(\.$id == id).delete()
            try await AuditLog.append(on: db, actor: actor, action: "\(type).\(withdrawn ? "withdraw" : "reject")", entityType: type,
                                      entityID: (p.recordID ?? id).uuidString, scopePath: p.scopePath,
                                      after: ["de_nghi": p.summary, "nguoi_de_nghi": p.proposedByName, "ly_do": why])
            if !withdrawn {
                let n = Notice()
                n.userID = p.proposedBy; n.kind = "xac-nhan"; n.createdAt = actor.at; n.link = link
                n.title = "\(principal.displayName) bác đề nghị «\(p.summary)» của bạn: \(why)"
                n.dedupeKey = "bac-de-nghi-ghi-nhan:\(UUID().uuidString)"
                try await n.create(on: db)
            }
        }
    }

    /// The proposals of `type` the user may see (under `scopes`, or their own), newest first, with
    /// the person each is about.
    static func pending(_ type: String, scopes: Set<String>, principal: Principal, on db: any Database) async throws
        -> [(PendingRecordDecision, Person)] {
        let rows = try await PendingRecordDecision.query(on: db).filter(\.$recordType == type)
            .join(Person.self, on: \PendingRecordDecision.$personID == \Person.$id)
            .group(.or) { g in
                for s in scopes { g.filter(\PendingRecordDecision.$scopePath, .custom("LIKE"), s + "%") }
                g.filter(\PendingRecordDecision.$proposedBy == principal.userID)
            }
            .sort(\.$proposedAt, .descending).limit(200).all()
        return try rows
            .map { ($0, try $0.joined(Person.self)) }
    }
}

/// The leave and discipline services: who may enter and decide, and how a confirmed proposal's form
/// is entered; voiding, confirming, refusing and listing proposals are written once here.
protocol PersonRecordService: Sendable {
    associatedtype Record: PersonRecord
    var store: Store { get }
    var principal: Principal { get }
    var actor: Actor { get }
    /// May enter and void records under this scope at all.
    func mayEnter(_ scopePath: String) -> Bool
    /// May decide about this person in particular (the evaluator chain, or the personnel function).
    func mayDecide(about p: Person) -> Bool
    /// Where the user sees the proposals waiting for a second person.
    var proposalScopes: Set<String> { get }
    /// Enters a confirmed proposal's form as the confirming user, every check run again.
    func recordProposal(_ values: [String: String], confirming: PendingRecordDecision) async throws -> PersonRecords.Outcome
}

extension PersonRecordService {
    @discardableResult
    func void(_ id: UUID, reason: String, confirming: PendingRecordDecision? = nil) async throws -> PersonRecords.Outcome {
        let svc = self
        return try await PersonRecords.void(Record.self, id, reason: reason, store: store, actor: actor, by: principal,
                                            confirming: confirming, mayEnter: { svc.mayEnter($0) }, mayDecide: { svc.mayDecide(about: $0) })
    }

    /// A second person confirms proposal `id`: it is applied as their own entry or voiding.
    func confirm(_ id: UUID) async throws -> PersonRecords.Outcome {
        let p = try await PersonRecords.toConfirm(Record.auditType, id, store: store, principal: principal,
                                                  mayEnter: mayEnter, mayDecide: mayDecide(about:))
        if p.action == "void", let record = p.recordID { return try await void(record, reason: p.values["ly_do"] ?? "", confirming: p) }
        return try await recordProposal(p.values, confirming: p)
    }

    func reject(_ id: UUID, reason: String) async throws {
        try await PersonRecords.reject(Record.auditType, id, reason: reason, store: store, principal: principal, actor: actor,
                                       mayEnter: mayEnter, mayDecide: mayDecide(about:))
    }

    /// The proposals waiting for a second person that the user may see.
    func pending() async throws -> [(PendingRecordDecision, Person)] {
        try await PersonRecords.pending(Record.auditType, scopes: proposalScopes, principal: principal, on: store.db)
    }
}
