import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Xác nhận của người thứ hai: a decision about the work of a leader nobody stands above (the top
/// unit's own leaders: `AgencyMap.needsSecondPerson`) is proposed by one leader with the
/// authority and takes effect only when another confirms it; either may be refused. Each step is
/// authorized by the same task rules, audited, and atomic.
extension WorkService {
    /// Whether decisions on this task need a second person.
    func needsSecondPerson(_ t: WorkTask, on db: any Database) async throws -> Bool {
        guard let id = t.assigneeID, let p = try await Person.find(id, on: db) else { return false }
        return principal.agencies.needsSecondPerson(unitPath: p.scopePath, isLeader: p.isLeader)
    }

    func pendingDecision(_ taskID: UUID) async throws -> PendingDecision? {
        try await store.db.model(PendingDecision.self,
                                 "SELECT * FROM \(unsafeRaw: PendingDecision.schema) WHERE task_id = \(bind: taskID) LIMIT 1")
    }

    /// Records the proposal after checking, as the decision itself would be checked, that the user
    /// may take it now (a dry run of the task's rules, nothing written to the task).
    func proposeDecision(_ id: UUID, version: Int, action: String, form: [String: String], event: TaskEvent) async throws {
        let (t, _) = try await find(id)
        guard t.version == version else { throw Refused(message: Self.stale) }
        if let pending = try await pendingDecision(id) {
            throw Refused(message: "Đang chờ xác nhận đề nghị «\(pending.summary)» của \(pending.proposedByName). "
                          + "Hãy xác nhận hoặc bác đề nghị đó trước.")
        }
        let evidence = try await Evidence.query(on: store.db).filter(\.$taskID == id).count()
        if case .failure(let e) = TaskFlow.apply(Self.withEvidence(event, evidence), to: Self.snapshot(t),
                                                 by: try await taskActor(t, on: store.db), on: store.today) {
            throw Refused(message: e.message, forbidden: e.forbidden)
        }
        let summary = Self.summary(event)
        let data = try JSONSerialization.data(withJSONObject: form, options: [.sortedKeys])
        let (principal, actor) = (principal, actor)
        let deciders = try await otherDeciders(t)
        try await store.write { db in
            let d = PendingDecision()
            d.taskID = id; d.action = action; d.form = String(decoding: data, as: UTF8.self); d.summary = summary
            d.proposedBy = principal.userID; d.proposedByName = principal.displayName; d.proposedAt = actor.at
            try await d.create(on: db)
            try await Self.timeline(db, t, actor: principal.name(actingAt: t.scopePath), kind: "de-nghi-quyet-dinh", from: t.state,
                                    note: summary, at: actor.at)
            try await AuditLog.append(on: db, actor: actor, action: "task.decision.propose", entityType: "task", entityID: id.uuidString,
                                      scopePath: t.scopePath, after: ["ma": t.code, "de_nghi": summary])
            for user in deciders where user != principal.userID {
                let n = Notice()
                n.userID = user; n.taskID = id; n.kind = "xac-nhan"; n.createdAt = actor.at
                n.title = """
                    \(principal.displayName) đề nghị «\(summary)» cho nhiệm vụ \(t.code): cần một lãnh đạo khác xác \
                    nhận.
                    """
                n.dedupeKey = "de-nghi:\(UUID().uuidString)"
                try await n.create(on: db)
            }
        }
    }

    /// The second leader confirms: the proposal is applied as a decision of the confirming user (the
    /// task's rules checked again), the proposal removed, both names kept in the trail.
    func confirmDecision(_ id: UUID, event: (PendingDecision) throws -> TaskEvent) async throws {
        let (t, _) = try await find(id)
        let a = try await taskActor(t, on: store.db)
        guard a.decides, !a.isAssignee else { throw Refused(message: Principal.refusal, forbidden: true) }
        guard let pending = try await pendingDecision(id) else {
            throw Refused(message: "Không còn đề nghị nào chờ xác nhận.")
        }
        guard pending.proposedBy != principal.userID else { throw Refused(message: SeparationOfDuties.ownProposal, forbidden: true) }
        let decided = try event(pending)
        let (actor, proposer, summary, pendingID) = (actor, pending.proposedByName, pending.summary, try pending.requireID())
        try await act(id, version: t.version, decided) { db, task in
            try await PendingDecision.query(on: db).filter(\.$id == pendingID).delete()
            try await AuditLog.append(on: db, actor: actor, action: "task.decision.confirm", entityType: "task", entityID: id.uuidString,
                                      scopePath: task.scopePath, after: ["ma": task.code, "de_nghi": summary, "nguoi_de_nghi": proposer])
        }
    }

    /// Another leader with the authority refuses the proposal (the proposer may withdraw it).
    func rejectDecision(_ id: UUID, reason: String) async throws {
        let (t, _) = try await find(id)
        let a = try await taskActor(t, on: store.db)
        guard a.decides, !a.isAssignee else { throw Refused(message: Principal.refusal, forbidden: true) }
        guard let pending = try await pendingDecision(id) else {
            throw Refused(message: "Không còn đề nghị nào chờ xác nhận.")
        }
        let why = TextNormalizer.clean(reason)
        let withdrawn = pending.proposedBy == principal.userID
        guard withdrawn || !why.isEmpty else { throw Invalid("ly_do", "Vui lòng ghi lý do bác đề nghị.") }
        let (principal, actor, pendingID) = (principal, actor, try pending.requireID())
        try await store.write { db in
            try await PendingDecision.query(on: db).filter(\.$id == pendingID).delete()
            try await Self.timeline(db, t, actor: principal.name(actingAt: t.scopePath), kind: withdrawn ? "rut-de-nghi" : "bac-de-nghi",
                from: t.state,
                                    note: pending.summary + (why.isEmpty ? "" : " — \(why)"), at: actor.at)
            try await AuditLog.append(on: db, actor: actor, action: withdrawn ? "task.decision.withdraw" : "task.decision.reject",
                                      entityType: "task", entityID: id.uuidString, scopePath: t.scopePath,
                                      after: ["ma": t.code, "de_nghi": pending.summary, "ly_do": why])
            if !withdrawn {
                let n = Notice()
                n.userID = pending.proposedBy; n.taskID = id; n.kind = "xac-nhan"; n.createdAt = actor.at
                n.title = "\(principal.displayName) bác đề nghị «\(pending.summary)» của bạn cho nhiệm vụ \(t.code): \(why)"
                n.dedupeKey = "bac-de-nghi:\(UUID().uuidString)"
                try await n.create(on: db)
            }
        }
    }

    /// The users who lead the task's unit (those who could confirm), the assignee's account excluded.
    func otherDeciders(_ t: WorkTask) async throws -> [UUID] {
        let grants = try await RoleGrant.query(on: store.db).filter(\.$role == Role.leader.rawValue).all()
        let assigneeAccount = try await User.query(on: store.db).filter(\.$personID == t.assigneeID).first()?.id
        return Array(Set(grants.filter { OrgPath.contains($0.scopePath, t.scopePath) }.map(\.userID))).filter { $0 != assigneeAccount }
    }

    static func summary(_ e: TaskEvent) -> String {
        let (kind, note) = describe(e)
        let label = eventLabels[kind] ?? kind
        return note.isEmpty ? label : "\(label): \(note)"
    }
}
