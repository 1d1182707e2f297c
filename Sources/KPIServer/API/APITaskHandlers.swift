import Crypto
import Fluent
import Foundation
import KPICore
import Vapor

/// Tasks through the API (issue 20, item 1): giving a task (`WorkService.create`, the same checks as
/// the page: people, unit and product within the client's scope), reading and listing them.
enum APITasks {
    static func service(_ req: Request, _ principal: Principal) -> WorkService {
        WorkService(store: req.store, principal: principal, actor: req.actor, settings: req.application.settings)
    }

    /// The one-time token of a task made by this call: the document's own id (with the receiver) when
    /// it comes from a document, so the same directive never becomes two tasks for one receiver,
    /// else the call's idempotency key; scoped to the client, hashed to the column's size.
    static func token(client: UUID, idempotencyKey: String, documentID: String?, target: String) -> String {
        if let doc = documentID {
            return "api-doc:" + hex("\(client.uuidString)|\(doc)|\(target)").prefix(48)
        }
        return "api:" + hex("\(client.uuidString)|\(idempotencyKey)").prefix(48)
    }

    static func hex(_ s: String) -> String { AuditLog.hex(SHA256.hash(data: Data(s.utf8))) }

    /// The page form's field names, as the API's.
    static let fields = ["tieu_de": "title", "nguoi": "assignee", "don_vi": "unit", "phoi_hop": "participants",
                         "san_pham": "productCode", "so_luong": "quantity", "muc_do": "complexity", "bat_dau": "start",
                         "han": "due", "uu_tien": "priority", "nguon": "source", "so_van_ban": "document.number",
                         "ngay_van_ban": "document.date", "co_quan_ban_hanh": "document.issuer", "mo_ta": "description"]

    /// Tasks as the API shows them (their people, units and participants read in three queries; the
    /// units only for tasks just `written` from a checked form, whose people it holds).
    /// The API's view of tasks. `written` and `store`: tasks just made from this checked form, shown without
    /// reading them back, their unit's code from the kept catalog records (`Store.record`).
    static func render(_ tasks: [WorkTask], db: any Database, written: WorkService.Prepared? = nil,
                       store: Store? = nil) async throws -> [Components.Schemas.Task] {
        guard !tasks.isEmpty else { return [] }
        let ids = tasks.compactMap(\.id)
        let parts: [(task: UUID, person: UUID?)], people: [Person]
        if let written {
            parts = ids.flatMap { t in written.participants.map { (t, $0.id) } }
            people = written.targets.compactMap(\.0) + written.participants
        } else {
            parts = try await TaskParticipant.query(on: db).filter(\.$taskID ~~ ids).all().map { ($0.taskID, $0.personID) }
            let personIDs = Set(tasks.compactMap(\.assigneeID) + parts.compactMap(\.person))
            people = personIDs.isEmpty ? [] : try await Person.query(on: db).filter(\.$id ~~ Array(personIDs)).all()
        }
        let codes = Dictionary(people.compactMap { p in p.id.map { ($0, p.code) } }) { a, _ in a }
        let orgIDs = Set(tasks.map(\.organizationID))
        var orgCodes: [UUID: String] = [:]
        if let store, written != nil {
            for id in orgIDs {
                orgCodes[id] = try await store.record("organization-code:\(id)") { try await Organization.find(id, on: db)?.code }
            }
        } else {
            for o in try await Organization.query(on: db).filter(\.$id ~~ Array(orgIDs)).all() { orgCodes[o.id!] = o.code }
        }
        return try tasks.map { t in
            let id = try t.requireID()
            let doc: Components.Schemas.DocumentRef? = t.documentNumber.isEmpty && t.documentID.isEmpty ? nil
                : .init(id: t.documentID.nilIfEmpty, number: t.documentNumber.nilIfEmpty, date: t.documentDate.nilIfEmpty,
                        issuer: t.documentIssuer.nilIfEmpty)
            return Components.Schemas.Task(
                id: id.uuidString, code: t.code, title: t.title, description: t.details,
                state: Components.Schemas.TaskState(rawValue: t.state) ?? .daGiao, percent: t.percent,
                assigneeCode: t.assigneeID.flatMap { codes[$0] }, unitCode: orgCodes[t.organizationID] ?? "",
                participants: parts.filter { $0.task == id }.compactMap { $0.person.flatMap { codes[$0] } }.sorted(),
                productCode: t.productCode, productName: t.productName, productUnit: t.productUnit, quantity: t.quantity,
                units: t.units, complexity: t.complexity.nilIfEmpty, start: t.start, due: t.due, priority: t.priority,
                source: t.source, document: doc, assigner: t.assignerName, submittedOn: t.submittedOn.nilIfEmpty,
                completedOn: t.completedOn.nilIfEmpty, verdict: t.verdict.nilIfEmpty, version: t.version,
                createdAt: t.createdAt ?? Date(timeIntervalSince1970: 0), updatedAt: t.updatedAt)
        }
    }

    /// The contract's rules the generated decoder leaves to us.
    static func validate(_ b: Components.Schemas.TaskCreate) throws {
        try APIValidate.length(b.title, "title", max: 500, min: 1)
        try APIValidate.length(b.description, "description", max: 10_000)
        try APIValidate.code(b.assignee, "assignee")
        try APIValidate.code(b.unit, "unit")
        try APIValidate.code(b.productCode, "productCode")
        if (b.participants?.count ?? 0) > 50 { throw APIValidate.fail("participants", "tối đa 50 người") }
        for p in b.participants ?? [] { try APIValidate.code(p, "participants") }
        try APIValidate.quantity(b.quantity, "quantity")
        try APIValidate.length(b.complexity, "complexity", max: 100)
        _ = try APIValidate.date(b.start, "start")
        _ = try APIValidate.date(b.due, "due")
        try APIValidate.token(b.document?.id, "document.id")
        try APIValidate.length(b.document?.number, "document.number", max: 100)
        try APIValidate.length(b.document?.issuer, "document.issuer", max: 255)
        _ = try APIValidate.date(b.document?.date, "document.date")
    }

    static func notFound(_ code: String) -> APIProblem {
        APIProblem(.notFound, "task-not-found",
                   "Không có nhiệm vụ mã «\(code)» hoặc nhiệm vụ ngoài phạm vi của ứng dụng.")
    }
}

extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}

extension KPIAPI {
    func createTask(_ input: Operations.CreateTask.Input) async throws -> Operations.CreateTask.Output {
        let (req, client, p) = try APIContext.require(.tasksWrite)
        guard case .json(let body) = input.body else { throw APIProblem.notJSON }
        try APITasks.validate(body)
        var draft = TaskDraft(title: body.title, start: body.start, due: body.due)
        draft.description = body.description ?? ""
        draft.productCode = body.productCode
        draft.quantity = body.quantity ?? "1"
        draft.complexity = body.complexity ?? ""
        draft.priority = body.priority?.rawValue ?? TaskPriority.normal.rawValue
        draft.source = body.source?.rawValue ?? (body.document == nil ? TaskSource.adHoc : TaskSource.directive).rawValue
        draft.documentNumber = body.document?.number ?? ""
        draft.documentDate = body.document?.date ?? ""
        draft.documentIssuer = body.document?.issuer ?? ""
        let target = body.assignee ?? ("unit:" + (body.unit ?? ""))
        let token = APITasks.token(client: client.userID, idempotencyKey: input.headers.idempotencyKey,
                                   documentID: body.document?.id, target: target)
        var form = WorkService.NewTask(draft: draft, assigneeCodes: body.assignee.map { [$0] } ?? [], unitCode: body.unit ?? "",
                                       participantCodes: body.participants ?? [], token: token)
        form.documentID = body.document?.id ?? ""
        let svc = APITasks.service(req, p)
        let created: WorkService.Created
        do {
            created = try await svc.creating(form)
        } catch let e as WorkService.Invalid {
            throw APIProblem(.unprocessableEntity, "invalid-fields",
                             "Nhiệm vụ chưa được giao; sửa các lỗi trong «errors» rồi gửi lại.",
                             errors: e.problems.map { (field: APITasks.fields[$0.field] ?? $0.field, message: $0.message) })
        }
        if let (tasks, prepared) = created.written, let task = tasks.first {
            // Shown from what was just written: its people and participants are the checked form's.
            let shown = try await APITasks.render([task], db: req.db, written: prepared, store: req.store)[0]
            return .created(.init(headers: .init(location: "\(Self.prefix)/tasks/\(task.code)"), body: .json(shown)))
        }
        guard let id = created.ids.first, let task = try await WorkTask.find(id, on: req.db) else {
            throw Abort(.internalServerError, reason: "the task just made was not found")
        }
        return .ok(.init(body: .json(try await APITasks.render([task], db: req.db)[0])))
    }

    func getTask(_ input: Operations.GetTask.Input) async throws -> Operations.GetTask.Output {
        let (req, _, p) = try APIContext.require(.tasksRead)
        guard let t = try await WorkTask.query(on: req.db).filter(\.$code == input.path.code).first() else {
            throw APITasks.notFound(input.path.code)
        }
        let parts = try await TaskParticipant.query(on: req.db).filter(\.$taskID == t.requireID()).all()
        guard APITasks.service(req, p).mayView(t, participants: parts) else { throw APITasks.notFound(input.path.code) }
        return .ok(.init(body: .json(try await APITasks.render([t], db: req.db)[0])))
    }

    func listTasks(_ input: Operations.ListTasks.Input) async throws -> Operations.ListTasks.Output {
        let (req, client, p) = try APIContext.require(.tasksRead)
        let q = input.query
        let paging = try APIPaging(q: nil, status: nil, limit: q.limit, cursor: q.cursor)
        try APIValidate.code(q.assignee, "assignee")
        try APIValidate.code(q.under, "under")
        let query = WorkTask.query(on: req.db)
        // What the client may see: its subtree (as a leader would), and what it assigned itself.
        let scopes = OrgPath.outermost(p.scopes(.leadWork) + p.scopes(.viewEvaluations))
        query.group(.or) { or in
            for s in scopes { or.filter(\.$scopePath, .custom("LIKE"), s + "%") }
            or.filter(\.$assignerUserID == client.userID)
        }
        if let under = q.under {
            let refs = try await RefIndex.load(on: req.db)
            query.filter(\.$scopePath, .custom("LIKE"), try APICatalog.visibleOrganization(under, principal: p, refs: refs).path + "%")
        }
        if let state = q.state { query.filter(\.$state == state.rawValue) }
        if let code = q.assignee {
            guard let person = try await Person.query(on: req.db).filter(\.$code == code).first(), p.can(.viewCatalog, at: person.scopePath)
            else {
                throw APIProblem(.notFound, "person-not-found", "Không có cán bộ mã «\(code)» trong phạm vi của ứng dụng.")
            }
            query.filter(\.$assigneeID == person.id)
        }
        if let from = try APIValidate.date(q.dueFrom, "dueFrom") { query.filter(\.$due >= from) }
        if let to = try APIValidate.date(q.dueTo, "dueTo") { query.filter(\.$due <= to) }
        try APIValidate.token(q.documentId, "documentId")
        if let doc = q.documentId { query.filter(\.$documentID == doc) }
        if let after = paging.after { query.filter(\.$code > after) }
        let (rows, next) = paging.page(try await query.sort(\.$code).limit(paging.limit + 1).all(), code: \.code)
        return .ok(.init(body: .json(.init(items: try await APITasks.render(rows, db: req.db), next: next))))
    }
}
