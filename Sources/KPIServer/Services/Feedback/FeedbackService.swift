import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Góp ý trong thí điểm: anyone signed in sends feedback and sees their own; the advisory body
/// (cơ quan tham mưu, `configureFramework`) of the sender's scope sees it, answers it once and
/// exports it. The sender is told of the answer, the advisory body of new feedback; each change is
/// authorized here, audited and atomic.
struct FeedbackService {
    let store: Store
    let principal: Principal
    let actor: Actor

    /// The scopes whose feedback the user reads and answers (besides their own).
    var answerScopes: [String] { principal.scopes(.configureFramework) }
    var mayAnswerAnywhere: Bool { principal.canAnywhere(.configureFramework) }

    func mayAnswer(_ f: Feedback) -> Bool { principal.can(.configureFramework, at: f.scopePath) }
    func maySee(_ f: Feedback) -> Bool { f.userID == principal.userID || mayAnswer(f) }

    /// Sends `draft` from this user; the advisory bodies over their unit are told.
    func send(_ draft: FeedbackDraft) async throws -> UUID {
        let c: FeedbackDraft.Checked
        switch draft.check() {
        case let .success(checked): c = checked
        case let .failure(p): throw WorkService.Invalid(p.list)
        }
        let (principal, actor) = (principal, actor)
        var unitName = ""
        if let pid = principal.personID, let person = try await Person.find(pid, on: store.db) {
            unitName = try await Organization.find(person.organizationID, on: store.db)?.name ?? ""
        }
        let unit = unitName
        let scope = principal.personID == nil ? "/" : principal.scopePath
        return try await store.write { db in
            let f = Feedback()
            f.userID = principal.userID
            f.senderName = principal.displayName
            f.unitName = unit
            f.scopePath = scope
            f.topic = c.topic.rawValue
            f.subject = c.subject
            f.page = c.page
            f.text = c.text
            f.searchText = TextNormalizer.fold([principal.displayName, unit, c.subject, c.text].joined(separator: " "))
            f.status = FeedbackStatus.open.rawValue
            f.answer = ""
            f.answeredBy = ""
            f.createdAt = actor.at
            try await f.create(on: db)
            let id = try f.requireID()
            let advisers = try await RoleGrant.query(on: db).filter(\.$role == Role.advisory.rawValue)
                .filter(\.$scopePath ~~ OrgPath.ancestors(scope)).all().map(\.userID).filter { $0 != principal.userID }
            try await Self.notify(db, advisers, title: "Góp ý mới của \(principal.displayName): \(c.topic.label.lowercased())",
                                  id: id, key: "gop-y:\(id.uuidString)", at: actor.at)
            try await AuditLog.append(on: db, actor: actor, action: "feedback.send", entityType: "feedback", entityID: id.uuidString,
                                      scopePath: scope, after: ["chu_de": c.topic.rawValue, "ve": c.subject, "trang": c.page,
                                                                "noi_dung": c.text])
            return id
        }
    }

    /// Feedback `id`, or 404 when it does not exist or is not the user's to see.
    func find(_ id: UUID) async throws -> Feedback {
        guard let f = try await Feedback.find(id, on: store.db), maySee(f) else {
            throw Abort(.notFound, reason: "Không có góp ý này, hoặc bạn không có quyền xem.")
        }
        return f
    }

    /// Answers feedback `id` once; the sender is told.
    func answer(_ id: UUID, _ text: String) async throws {
        let f = try await find(id)
        guard mayAnswer(f) else {
            throw WorkService.Refused(message: """
                Chỉ cơ quan tham mưu phụ trách đơn vị của người gửi mới trả lời góp ý.
                """,
                                      forbidden: true)
        }
        guard f.userID != principal.userID else { throw WorkService.Refused(message: SeparationOfDuties.ownFeedback, forbidden: true) }
        let checked: String
        switch FeedbackDraft.checkAnswer(text) {
        case let .success(t): checked = t
        case let .failure(p): throw WorkService.Invalid(p.list)
        }
        let (principal, actor) = (principal, actor)
        try await store.write { db in
            // Claimed in the statement that answers it: a second answer, even a concurrent one, finds it answered.
            let claimed = try await db.sql.raw("""
                UPDATE feedback SET status = \(bind: FeedbackStatus.answered.rawValue), answer = \(bind: checked),
                  answered_by = \(bind: principal.displayName), answered_at = \(bind: actor.at)
                WHERE id = \(bind: id) AND status = \(bind: FeedbackStatus.open.rawValue) RETURNING id
                """).all()
            guard claimed.count == 1 else { throw WorkService.Refused(message: "Góp ý này đã được trả lời.") }
            try await Self.notify(db, [f.userID], title: "Góp ý của bạn đã được trả lời (\(principal.displayName))", id: id,
                                  key: "gop-y-tra-loi:\(id.uuidString)", at: actor.at)
            try await AuditLog.append(on: db, actor: actor, action: "feedback.answer", entityType: "feedback", entityID: id.uuidString,
                                      scopePath: f.scopePath, before: ["trang_thai": FeedbackStatus.open.rawValue],
                                      after: ["trang_thai": FeedbackStatus.answered.rawValue, "tra_loi": checked])
        }
    }

    static func notify(_ db: any Database, _ users: [UUID], title: String, id: UUID, key: String, at now: Date) async throws {
        for u in Set(users) {
            let n = Notice()
            n.userID = u; n.kind = "gop-y"; n.title = title; n.link = "/gop-y/\(id.uuidString)"; n.dedupeKey = "\(key):\(u.uuidString)"
            n.createdAt = now
            try await n.create(on: db)
        }
    }

    struct Query {
        var q = ""
        var topic = ""
        var status = ""
        /// "cua-toi": only the user's own, even for the advisory body.
        var mine = false
        var page = 1
    }

    /// What the user may see, newest first: their own, and that of the scopes they answer for.
    func list(_ q: Query, limit: Int = 50) async throws -> (rows: [Feedback], total: Int, open: Int) {
        let base = Feedback.query(on: store.db)
        let scopes = q.mine ? [] : answerScopes
        let me = principal.userID
        base.group(.or) { g in
            g.filter(\.$userID == me)
            for s in scopes { g.filter(\.$scopePath, .custom("LIKE"), s + "%") }
        }
        if FeedbackTopic(rawValue: q.topic) != nil { base.filter(\.$topic == q.topic) }
        let open = try await base.copy().filter(\.$status == FeedbackStatus.open.rawValue).count()
        if FeedbackStatus(rawValue: q.status) != nil { base.filter(\.$status == q.status) }
        let folded = TextNormalizer.fold(q.q).filter { $0 != "%" && $0 != "_" }
        if !folded.isEmpty { base.filter(\.$searchText, .custom("LIKE"), "%\(folded)%") }
        let total = try await base.copy().count()
        let rows = try await base.sort(\.$createdAt, .descending).range((q.page - 1) * limit ..< q.page * limit).all()
        return (rows, total, open)
    }
}
