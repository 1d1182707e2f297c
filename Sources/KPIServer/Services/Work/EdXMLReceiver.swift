import Fluent
import Foundation
import KPICore
import Vapor

/// Văn bản chỉ đạo nhận qua edXML (issue 20, item 5). The package is read by `EdXML` (hardened, bounded);
/// its issuing and receiving agencies are found by their electronic identifiers; each receiving unit in
/// the caller's scope gets a task given to the unit, through the same checks as a page's form
/// (`WorkService.prepare`), which its head then assigns (the proposal of the issue: «lãnh đạo đơn vị phân
/// công»). The document's number, date, issuer and signer come from the package; its attachments are kept
/// as evidence of the source. One document (From + DocumentId) makes one task per receiving unit, however
/// often it is sent.
struct EdXMLReceiver {
    let work: WorkService

    struct Receipt: Sendable {
        var package: EdXMLPackage
        var issuer: Organization
        var tasks: [UUID]
        var signature: EdXMLSignatureCheck.Outcome
        /// Every task existed before this call.
        var existed: Bool
    }

    /// Working days given when the document sets no due date (`DueDate`).
    static let defaultWorkingDays = 10

    static func token(_ p: EdXMLPackage, unit: UUID) -> String {
        "edxml:" + APITasks.hex("\(p.from.id)|\(p.documentID)|\(unit.uuidString)").prefix(48)
    }

    /// Reads and records the package; `EdXMLProblem` names the element at fault, nothing written.
    func receive(_ data: Data, today: DateOnly) async throws -> Receipt {
        let p: EdXMLPackage
        switch EdXML.read(data) {
        case .success(let v): p = v
        case .failure(let e): throw e
        }
        let db = work.store.db
        let header = "edXMLHeader/MessageHeader"
        guard let issuer = try await Organization.query(on: db).filter(\.$identifier == p.from.id).filter(\.$active == true).first() else {
            throw EdXMLProblem(header + "/From/OrganId", """
                Không có cơ quan mã định danh «\(p.from.id)» (\(p.from.name)) trong danh mục; quản trị ghi mã \
                định danh cho cơ quan ban hành rồi gửi lại.
                """)
        }
        var units: [Organization] = []
        for to in p.to {
            guard let o = try await Organization.query(on: db).filter(\.$identifier == to.id).filter(\.$active == true).first(),
                  work.principal.can(.leadWork, at: o.path) else {
                throw EdXMLProblem(header + "/To/OrganId", """
                    Không có cơ quan, đơn vị nhận mã định danh «\(to.id)» (\(to.name)) trong phạm vi của ứng dụng.
                    """)
            }
            if !units.contains(where: { $0.id == o.id }) { units.append(o) }
        }
        let signature = EdXMLSignatureCheck.check(data, trusted: try await EdXMLTrust.certificates(on: db), now: work.actor.at)
        let required = work.settings.edxmlSignedAgencies
        if !required.isEmpty, signature.code != "hop-le" {
            for unit in units {
                // The unit itself or any organization above it asks for signed packages.
                let above = (1...OrgPath.depth(unit.path)).map { OrgPath.prefix(unit.path, depth: $0) }
                let marked = try await Organization.query(on: db).filter(\.$path ~~ above).all()
                    .first { required.contains($0.identifier) }
                if let marked {
                    throw EdXMLProblem("Signature", """
                        «\(marked.name)» chỉ nhận văn bản có chữ ký số hợp lệ của chứng thư tin cậy; gói này: \
                        \(signature.label).
                        """)
                }
            }
        }
        let policy = work.settings.evidencePolicy
        for (i, a) in p.attachments.enumerated() {
            if let why = policy.refusal(filename: a.name, size: a.data.count, head: Array(a.data.prefix(8))) {
                throw EdXMLProblem("edXMLBody/Attachment[\(i + 1)]", why)
            }
        }
        let calendar = try await DeadlineJob.calendar(work.store)
        let due = p.dueDate ?? calendar.adding(workingDays: Self.defaultWorkingDays, to: today)
        var ids: [UUID] = []
        var existed = true
        for unit in units {
            let token = Self.token(p, unit: try unit.requireID())
            if let made = try await work.made(token: token) {
                ids += made
                continue
            }
            existed = false
            ids += try await create(p, issuer: issuer, unit: unit, start: min(today, due), due: due, token: token, signature: signature)
        }
        return Receipt(package: p, issuer: issuer, tasks: ids, signature: signature, existed: existed)
    }

    private func create(_ p: EdXMLPackage, issuer: Organization, unit: Organization, start: DateOnly, due: DateOnly,
                        token: String, signature: EdXMLSignatureCheck.Outcome) async throws -> [UUID] {
        var draft = TaskDraft(title: String(p.subject.prefix(500)), start: start.iso, due: due.iso)
        draft.description = [p.subject.count > 500 ? p.subject : "", p.content,
                             p.signer.map { "Người ký: \($0.text)" } ?? "",
                             p.attachments.isEmpty ? "" : "Tệp đính kèm: \(p.attachments.map(\.name).joined(separator: ", "))"]
            .filter { !$0.isEmpty }.joined(separator: "\n\n")
        draft.source = TaskSource.directive.rawValue
        draft.documentNumber = String(p.number.prefix(100))
        draft.documentDate = p.promulgationDate.iso
        draft.documentIssuer = issuer.name
        draft.productCode = work.settings.edxmlProduct
        draft.quantity = "1"
        var form = WorkService.NewTask(draft: draft, unitCode: unit.code, token: token)
        form.documentID = p.documentID
        let prepared: WorkService.Prepared
        do {
            prepared = try await work.prepare(form)
        } catch let e as WorkService.Invalid {
            throw EdXMLProblem("edXMLHeader/MessageHeader", e.problems.map(\.message).joined(separator: " "))
        }
        // Files first (content-addressed, written before the rows that point to them).
        let store = work.evidenceStore
        let files = try p.attachments.map { a in (a.name, try store.put(Data(a.data)), a.data.count) }
        let (principal, actor) = (work.principal, work.actor)
        let source = "Văn bản đến (edXML): \(issuer.name)"
        do {
            return try await work.store.write { db in
                let ids = try await WorkService.insert(prepared, batch: nil, on: db, principal: principal, actor: actor) { _ in token }
                for id in ids {
                    let r = EdXMLReceiptRecord()
                    r.taskID = id; r.senderID = p.from.id; r.senderName = p.from.name; r.documentID = p.documentID
                    r.number = p.number; r.promulgationDate = p.promulgationDate.iso; r.signed = p.signed
                    r.signature = signature.code; r.signatureNote = signature.label
                    try await r.create(on: db)
                    // The receipt (03) goes to the sender's subscriptions with the task.
                    if let t = try await WorkTask.find(id, on: db) {
                        try await EdXMLStatuses.announce(db, t, kind: "tao", toState: t.state, at: actor.at)
                    }
                    for (name, hash, size) in files {
                        let e = Evidence()
                        e.taskID = id; e.kind = "tep"; e.name = name; e.sha256 = hash; e.size = size; e.reference = ""
                        e.addedBy = source
                        try await e.create(on: db)
                    }
                }
                return ids
            }
        } catch {
            // The same package at the same moment: the token's unique index kept the first.
            if let made = try await work.made(token: token) { return made }
            throw error
        }
    }
}
