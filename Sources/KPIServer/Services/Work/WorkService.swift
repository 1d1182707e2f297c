import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Giao việc and its workflow: creating tasks (to people, to a unit, proposals), every transition
/// of `KPICore.TaskFlow`, and the participants. Each change is authorized here, written with its
/// timeline line, its audit entry and its notifications in one transaction. Pages and API call this.
struct WorkService {
    let store: Store
    let principal: Principal
    let actor: Actor
    let settings: Settings

    /// Form problems shown next to the fields; nothing was written.
    struct Invalid: Error {
        var problems: [TaskProblem]
        init(_ problems: [TaskProblem]) { self.problems = problems }
        init(_ field: String, _ message: String) { problems = [TaskProblem(field, message)] }
    }

    /// A refused action (wrong state, not yours, stale form), in Vietnamese; nothing was written.
    struct Refused: Error {
        var message: String
        /// Not this user's to do at all (403), rather than not now (409).
        var forbidden = false
    }

    static let stale = """
        Nhiệm vụ vừa được cập nhật ở nơi khác (có thể do bấm hai lần hoặc mở hai cửa sổ). Thao tác này \
        chưa được thực hiện; vui lòng xem \
        thông tin mới nhất bên dưới rồi thao tác lại nếu cần.
        """

    // MARK: Access

    /// Who may see a task: its assignee and participants, its assigner and proposer, the leaders of its
    /// scope, and those who oversee evaluations there (read only).
    func mayView(_ t: WorkTask, participants: [TaskParticipant]) -> Bool {
        mayView(t, participating: principal.personID.map { me in participants.contains { $0.personID == me } } ?? false)
    }

    func mayView(_ t: WorkTask, participating: Bool) -> Bool {
        if participating { return true }
        if let me = principal.personID, t.assigneeID == me { return true }
        if t.assignerUserID == principal.userID || t.proposerUserID == principal.userID { return true }
        return principal.can(.leadWork, at: t.scopePath) || principal.can(.viewEvaluations, at: t.scopePath)
    }

    /// The tasks among `tasks` the user may see (a task page's parent and children: titles of tasks
    /// outside the viewer's reach are not shown).
    func visible(_ tasks: [WorkTask], on db: any Database) async throws -> [WorkTask] {
        guard !tasks.isEmpty else { return [] }
        var mine: Set<UUID> = []
        if let me = principal.personID {
            mine = Set(try await TaskParticipant.query(on: db).filter(\.$taskID ~~ tasks.compactMap(\.id)).filter(\.$personID == me).all()
                .map(\.taskID))
        }
        return tasks.filter { mayView($0, participating: mine.contains($0.id!)) }
    }

    /// What the user is to a task; `assignee` is the person carrying it out (a leader's work is
    /// decided from above: `SeparationOfDuties.taskDeciders`).
    func taskActor(_ t: WorkTask, assignee: Person?) -> TaskActor {
        let leader = assignee?.isLeader ?? false
        let above = assignee.map { principal.can(.leadWork, at: principal.evaluatorScope(of: $0.scopePath, isLeader: true)) } ?? false
        let d = SeparationOfDuties.taskDeciders(isAssigner: t.assignerUserID == principal.userID,
                                                leadsTaskUnit: principal.can(.leadWork, at: t.scopePath),
                                                assigneeIsLeader: leader, leadsAboveAssignee: above)
        return TaskActor(isAssignee: t.assigneeID != nil && t.assigneeID == principal.personID, isAssigner: d.isAssigner,
                         leadsScope: d.leadsScope, reportsForAssignee: reportsForAssignee(t))
    }

    /// A connected system leading work where the task is reports the assignee's handling of it (the
    /// document system in which they process the directive).
    func reportsForAssignee(_ t: WorkTask) -> Bool {
        principal.isAPIClient && t.assigneeID != nil && principal.can(.leadWork, at: t.scopePath)
    }

    func taskActor(_ t: WorkTask, on db: any Database) async throws -> TaskActor {
        var a = if let id = t.assigneeID { taskActor(t, assignee: try await Person.find(id, on: db)) } else { taskActor(t, assignee: nil) }
        if a.reportsForAssignee, t.state == TaskState.awaitingAcceptance.rawValue {
            // The audit trail names the client's account exactly (the timeline shows only its name).
            let sent = try await AuditEntry.query(on: db).filter(\.$entityType == "task").filter(\.$entityID == t.requireID().uuidString)
                .filter(\.$action == "task.gui-nghiem-thu").sort(\.$atMillis, .descending).first()
            a.sentSubmission = sent?.actor == actor.name
        }
        return a
    }

    /// The task and its participants, or 404 when it does not exist or is not the user's to see.
    func find(_ id: UUID, on db: (any Database)? = nil) async throws -> (WorkTask, [TaskParticipant]) {
        let db = db ?? store.db
        guard let t = try await db.model(WorkTask.self, "SELECT * FROM tasks WHERE id = \(bind: id)") else { throw Abort(.notFound,
                                                                             reason: """
                                                                                 Không có nhiệm vụ này, hoặc bạn không có \
                                                                                 quyền xem.
                                                                                 """) }
        let parts = try await db.models(TaskParticipant.self,
                                        "SELECT * FROM \(unsafeRaw: TaskParticipant.schema) WHERE task_id = \(bind: id)")
        guard mayView(t, participants: parts) else { throw Abort(.notFound,
                                                                 reason: """
                                                                     Không có nhiệm vụ này, hoặc bạn không có quyền xem.
                                                                     """) }
        return (t, parts)
    }

    /// Claims the task at the form's `version` inside the caller's transaction: a second post of the
    /// same form (or a concurrent one) finds it moved on. On PostgreSQL the row stays locked until the
    /// transaction ends.
    func claim(_ id: UUID, version: Int, on db: any Database) async throws -> (WorkTask, [TaskParticipant]) {
        let claimed = try await db.sql.raw("""
            UPDATE tasks SET version = version + 1 WHERE id = \(bind: id) AND version = \(bind: version) RETURNING version
            """).all()
        let (t, parts) = try await find(id, on: db)
        guard !claimed.isEmpty else { throw Refused(message: Self.stale) }
        t.version = version + 1
        return (t, parts)
    }

    static func snapshot(_ t: WorkTask) -> TaskSnapshot {
        var s = TaskSnapshot(state: TaskState(rawValue: t.state) ?? .assigned,
                             start: DateOnly(parsing: t.start) ?? .epoch, due: DateOnly(parsing: t.due) ?? .epoch)
        s.percent = t.percent
        s.majorErrors = t.majorErrors
        s.exemptErrors = t.exemptErrors
        s.delays = t.delays
        s.exemptDelays = t.exemptDelays
        s.submittedOn = DateOnly(parsing: t.submittedOn)
        s.requestedDue = DateOnly(parsing: t.requestedDue)
        return s
    }

    static func apply(_ s: TaskSnapshot, to t: WorkTask) {
        t.state = s.state.rawValue
        t.due = s.due.iso
        t.percent = s.percent
        t.majorErrors = s.majorErrors
        t.exemptErrors = s.exemptErrors
        t.delays = s.delays
        t.exemptDelays = s.exemptDelays
        t.submittedOn = s.submittedOn?.iso ?? ""
        t.requestedDue = s.requestedDue?.iso ?? ""
    }

    /// What the audit trail keeps of a task.
    static func fields(_ t: WorkTask) -> [String: String] {
        ["ma": t.code, "tieu_de": t.title, "trang_thai": t.state, "han": t.due, "tien_do": String(t.percent),
         "loi_lon": String(t.majorErrors), "loi_mien": String(t.exemptErrors), "cham_han": String(t.delays),
         "cham_han_mien": String(t.exemptDelays), "ket_qua": t.verdict]
    }

    // MARK: Transitions

    /// Applies `event` to the task if the form's `version` is still current, the user may, and the
    /// state allows it; writes the task, its timeline, the audit entry and notices together.
    @discardableResult
    func act(_ id: UUID, version: Int, _ event: TaskEvent, today: DateOnly? = nil,
             alsoInTransaction: (@Sendable (any Database, WorkTask) async throws -> Void)? = nil) async throws -> WorkTask {
        let today = today ?? store.today
        let (principal, actor, svc) = (principal, actor, self)
        return try await store.write(reach: .work) { db in
            let (t, parts) = try await svc.claim(id, version: version, on: db)
            let before = Self.fields(t)
            let from = t.state
            let evidence = try await Evidence.query(on: db).filter(\.$taskID == id).count()
            let event = Self.withEvidence(event, evidence)
            switch TaskFlow.apply(event, to: Self.snapshot(t), by: try await svc.taskActor(t, on: db), on: today) {
            case .failure(let e): throw Refused(message: e.message, forbidden: e.forbidden)
            case .success(let s): Self.apply(s, to: t)
            }
            let (kind, note) = Self.describe(event)
            // What one does on a task one leads oneself is one's own work, not done on a head's behalf.
            if t.assigneeID != nil && t.assigneeID == principal.personID { principal.delegationUse.forget() }
            switch event {
            case .approveProposal:
                t.assignerUserID = principal.userID
                t.assignerName = principal.displayName
            case .accept(let verdict, let delayExemption):
                t.completedOn = (Self.snapshot(t).submittedOn ?? today).iso
                t.delayExemptBy = delayExemption.map { TextNormalizer.clean($0.confirmedBy) } ?? ""
                t.delayExemptReason = delayExemption.map { TextNormalizer.clean($0.reason) } ?? ""
                switch verdict {
                case .pass: t.verdict = "dat"
                case .fail: t.verdict = "chua-dat"
                case .exempt: t.verdict = "mien-tru"
                }
            default: break
            }
            try await t.save(on: db)
            try await Self.timeline(db, t, actor: principal.name(actingAt: t.scopePath), kind: kind, from: from, note: note, at: actor.at)
            try await AuditLog.append(on: db, actor: actor, action: "task.\(kind)", entityType: "task", entityID: id.uuidString,
                                      scopePath: t.scopePath, before: before, after: Self.fields(t).merging(["ghi_chu": note]) { $1 })
            try await Notices.afterEvent(db, task: t, participants: parts, kind: kind, by: principal, at: actor.at)
            try await alsoInTransaction?(db, t)
            return t
        }
    }

    /// Submissions count the evidence already attached.
    static func withEvidence(_ e: TaskEvent, _ count: Int) -> TaskEvent {
        if case .submit(_, let note) = e { return .submit(evidence: count, note: note) }
        return e
    }

    /// The timeline kind and note of an event.
    static func describe(_ e: TaskEvent) -> (String, String) {
        switch e {
        case .approveProposal: ("duyet-de-xuat", "")
        case .declineProposal(let r): ("khong-duyet", r)
        case .start: ("bat-dau", "")
        case .progress(let p, let n): ("tien-do", "\(p)%" + (n.isEmpty ? "" : " — \(n)"))
        case .requestExtension(let d, let r): ("xin-gia-han", "Đến \(d.display): \(r)")
        case .approveExtension: ("dong-y-gia-han", "")
        case .refuseExtension(let r): ("tu-choi-gia-han", r)
        case .submit(_, let n): ("gui-nghiem-thu", n)
        case .accept(let verdict, let delayExemption):
            ("nghiem-thu", verdictNote(verdict) + (delayExemption.map { e in """
                ; chậm tiến độ do nguyên nhân khách quan, được miễn trừ (xác nhận: \(e.confirmedBy); nguyên nhân: \
                \(e.reason))
                """ } ?? ""))
        case .returnForRework(let r, let ex): ("tra-lai", r + (ex ? " (nguyên nhân khách quan, không tính lỗi)" : ""))
        case .cancel(let r): ("huy", r)
        }
    }

    static func verdictNote(_ v: Verdict) -> String {
        switch v {
        case .pass: "Đạt"
        case .fail(let n): "Chưa đạt — \(n) lỗi lớn"
        case .exempt(let n, let by): """
            Chưa đạt — \(n) lỗi lớn do nguyên nhân khách quan, được miễn trừ (xác nhận: \(by))
            """
        }
    }

    static let eventLabels: [String: String] = [
        "tao": "Giao nhiệm vụ", "ho-so-tthc": "Hồ sơ TTHC đã giải quyết (hệ thống một cửa)",
        "de-xuat": "Đề xuất nhiệm vụ", "duyet-de-xuat": "Duyệt đề xuất",
        "khong-duyet": "Không duyệt đề xuất",
        "phan-cong": "Phân công trong đơn vị", "bat-dau": "Bắt đầu thực hiện", "tien-do": "Cập nhật tiến độ",
        "xin-gia-han": "Xin gia hạn",
        "dong-y-gia-han": "Đồng ý gia hạn", "tu-choi-gia-han": "Không đồng ý gia hạn", "gui-nghiem-thu": "Gửi nghiệm thu",
        "nghiem-thu": "Nghiệm thu", "tra-lai": "Trả lại", "huy": "Hủy nhiệm vụ", "minh-chung": "Thêm minh chứng",
        "xoa-minh-chung": "Gỡ minh chứng", "danh-gia-phoi-hop": "Đánh giá phối hợp",
        "de-nghi-quyet-dinh": "Đề nghị quyết định (chờ người thứ hai xác nhận)", "bac-de-nghi": "Bác đề nghị",
        "rut-de-nghi": "Rút đề nghị",
    ]

    /// The columns of a timeline line, in the order `timeline` gives their values.
    static let eventColumns = ["id", "task_id", "at", "actor_name", "kind", "from_state", "to_state", "note"]

    static func timeline(_ db: any Database, _ t: WorkTask, actor: String, kind: String, from: String, note: String,
                         at now: Date, group: WriteGroup? = nil) async throws {
        let row: [any SQLExpression] = [SQLBind(UUID()), SQLBind(try t.requireID()), SQLBind(now), SQLBind(actor), SQLBind(kind),
                                        SQLBind(from), SQLBind(t.state), SQLBind(note)]
        if let group { group.events.append(row) } else {
            try await db.sql.insert(into: TaskEventRecord.schema).columns(eventColumns).values(row).run()
        }
        // Every change of a task goes through here: the scores of its agency's open periods follow, and
        // the connected systems that subscribed hear of it (in the same transaction: an outbox).
        // In a group of creations (`WriteGroup`) both are done once for the group.
        if let group { group.dirtyScopes.insert(t.scopePath) } else { try await EvaluationService.markDirty(db, scopePath: t.scopePath) }
        try await Webhooks.task(db, t, kind: kind, at: now, group: group)
    }

    func events(_ id: UUID) async throws -> [TaskEventRecord] {
        try await store.db.models(TaskEventRecord.self,
                                  "SELECT * FROM \(unsafeRaw: TaskEventRecord.schema) WHERE task_id = \(bind: id) ORDER BY at")
    }

    // MARK: Distribution

    /// Phân công: the head of a unit gives a task that was assigned to the unit to one of its people.
    func distribute(_ id: UUID, version: Int, personCode: String) async throws {
        let (principal, actor, svc) = (principal, actor, self)
        try await store.write { db in
            let (t, parts) = try await svc.claim(id, version: version, on: db)
            guard t.assigneeID == nil, TaskState(rawValue: t.state)?.isOpen == true else {
                throw Refused(message: """
                    Nhiệm vụ này đã có người chủ trì hoặc đã kết thúc, không phân công lại được.
                    """)
            }
            guard principal.can(.leadWork, at: t.scopePath) else { throw Refused(message: Principal.refusal, forbidden: true) }
            let code = TextNormalizer.clean(personCode)
            guard let person = try await Person.query(on: db).filter(\.$code == code).filter(\.$active == true).first(),
                  OrgPath.contains(t.scopePath, person.scopePath) else {
                throw Invalid("nguoi",
                              """
                                  Không có cán bộ mã «\(code)» đang công tác trong \
                                  \(t.scopePath == "/" ? "phạm vi" : "đơn vị") của nhiệm vụ.
                                  """)
            }
            if let pid = t.productID, let product = try await Product.find(pid, on: db) {
                try await svc.requireProduct(product, for: person, on: db)
            }
            t.assigneeID = person.id
            t.organizationID = person.organizationID
            t.scopePath = person.scopePath
            try await t.save(on: db)
            try await Self.timeline(db, t, actor: principal.name(actingAt: t.scopePath), kind: "phan-cong", from: t.state,
                                    note: "\(person.fullName) (\(person.code))", at: actor.at)
            try await AuditLog.append(on: db, actor: actor, action: "task.distribute", entityType: "task", entityID: id.uuidString,
                                      scopePath: t.scopePath, after: ["ma": t.code, "nguoi_chu_tri": person.code])
            try await Notices.afterEvent(db, task: t, participants: parts, kind: "phan-cong", by: principal, at: actor.at)
        }
    }

    /// A product may be used for a person only if it is active and in their catalog.
    func requireProduct(_ p: Product, for person: Person, on db: any Database) async throws {
        var position: Position?
        if let id = person.positionID {
            position = try await store.record("position:\(id)") { try await Position.find(id, on: db) }
        }
        guard p.active, ProductScope.applies(productGroup: p.groupID, productPosition: p.positionID, productScope: p.scopePath,
                                             personGroup: position?.groupID, personPosition: person.positionID,
                                             personScope: person.scopePath) else {
            throw Invalid("san_pham",
                          """
                              Sản phẩm «\(p.code)» không thuộc danh mục sản phẩm của vị trí việc làm của \
                              \(person.fullName) (\(person.code)).
                              """)
        }
    }
}
