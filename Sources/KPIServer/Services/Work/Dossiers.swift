import Fluent
import SQLKit
import Foundation
import KPICore
import Vapor

/// Hồ sơ TTHC từ hệ thống một cửa điện tử (issue 20, item 8). Each finished dossier becomes a completed
/// task of its handling officer, with the product «hồ sơ TTHC» of their catalog (`Settings.dossierProducts`),
/// through the same checks as a task given on a page (`WorkService.prepare`) and the workflow's own
/// submission and acceptance (`DossierDraft.Checked.completion`). One transaction per dossier: a refused
/// line never holds back the others. The dossier code is the natural key (the task's one-time token), so a
/// dossier sent again, by the same system or another, is found, not made twice; a citizen's rating sent
/// with it is recorded once (`Rating`, receipt code = dossier code) and counts in the satisfaction group.
struct DossierService {
    let work: WorkService

    enum Outcome: Sendable, Equatable {
        case created(task: String, late: Bool, rated: Bool)
        case existing(task: String, late: Bool, rated: Bool)
        case refused([TaskProblem])
    }

    static let maxItems = 1_000

    /// The task's one-time token: the dossier code, whoever sends it.
    static func token(_ code: String) -> String { "tthc:" + code }

    func record(_ drafts: [DossierDraft], today: DateOnly) async throws -> [Outcome] {
        var out: [Outcome] = []
        out.reserveCapacity(drafts.count)
        for d in drafts { out.append(try await record(d, today: today)) }
        return out
    }

    func record(_ draft: DossierDraft, today: DateOnly) async throws -> Outcome {
        let c: DossierDraft.Checked
        switch draft.check(today: today) {
        case .success(let v): c = v
        case .failure(let p): return .refused(p.list)
        }
        let db = work.store.db
        let unknownAgency = Outcome.refused([.init("code", """
            Không có cơ quan, đơn vị mã định danh «\(c.agency)» (trong mã hồ sơ) thuộc phạm vi của ứng dụng.
            """)])
        guard let unit = try await Organization.query(on: db).filter(\.$identifier == c.agency).filter(\.$active == true).first(),
              work.principal.can(.leadWork, at: unit.path) else { return unknownAgency }
        if let found = try await existing(c, today: today) { return found }
        guard let officer = try await Person.query(on: db).filter(\.$code == c.officer).filter(\.$active == true).first(),
              OrgPath.contains(unit.path, officer.scopePath) else {
            return .refused([.init("officer", "Không có cán bộ đang công tác mã «\(c.officer)» trong «\(unit.name)».")])
        }
        guard let product = try await product(for: officer) else {
            return .refused([.init("officer", """
                Danh mục sản phẩm của vị trí việc làm của \(officer.fullName) (\(officer.code)) không có sản phẩm \
                hồ sơ TTHC \
                (mã \(work.settings.dossierProductCodes.joined(separator: ", ")) trong Cài đặt).
                """)])
        }
        let snapshot: TaskSnapshot
        switch c.completion() {
        case .success(let s): snapshot = s
        case .failure(let e): return .refused([.init("finishedOn", e.message)])
        }
        var draft = TaskDraft(title: c.title, start: c.received.iso, due: c.due.iso)
        draft.description = [c.procedureCode.isEmpty ? "" : "Mã thủ tục: \(c.procedureCode)", c.procedureName]
            .filter { !$0.isEmpty }.joined(separator: "\n")
        draft.productCode = product.code
        draft.quantity = "1"
        draft.source = TaskSource.recurring.rawValue
        draft.documentNumber = c.code
        draft.documentDate = c.received.iso
        draft.documentIssuer = unit.name
        let token = Self.token(c.code)
        var form = WorkService.NewTask(draft: draft, assigneeCodes: [officer.code], token: token)
        form.documentID = c.code
        var prepared: WorkService.Prepared
        do { prepared = try await work.prepare(form) } catch let e as WorkService.Invalid { return .refused(e.problems) }
        let late = c.due < c.finished
        prepared.completion = .init(snapshot: snapshot, note: """
            Tiếp nhận \(c.received.display), hẹn trả \(c.due.display), có kết quả \(c.finished.display): \
            \(late ? "trễ hạn \(c.due.days(to: c.finished)) ngày" : "đúng hạn")
            """, reference: c.code)
        let (principal, actor, ready, postgres) = (work.principal, work.actor, prepared, work.store.isPostgres)
        do {
            let code = try await work.store.write { db in
                let ids = try await WorkService.insert(ready, batch: nil, on: db, principal: principal, actor: actor) { _ in token }
                guard let t = try await WorkTask.find(ids[0], on: db) else { throw Abort(.internalServerError) }
                _ = try await Self.rate(t, c, today: today, principal: principal, actor: actor, postgres: postgres, on: db)
                return t.code
            }
            return .created(task: code, late: late, rated: c.rating != nil)
        } catch {
            // The same dossier in two batches at the same moment: the token's unique index refused the second.
            if let found = try await existing(c, today: today) { return found }
            throw error
        }
    }

    /// The task already made of this dossier, with the citizen's rating added if it is new.
    private func existing(_ c: DossierDraft.Checked, today: DateOnly) async throws -> Outcome? {
        guard let t = try await WorkTask.query(on: work.store.db).filter(\.$creationToken == Self.token(c.code)).first() else {
            return nil
        }
        let (principal, actor, postgres) = (work.principal, work.actor, work.store.isPostgres)
        let rated = c.rating == nil ? false : try await work.store.write { db in
            try await Self.rate(t, c, today: today, principal: principal, actor: actor, postgres: postgres, on: db)
        }
        return .existing(task: t.code, late: t.delays > 0, rated: rated)
    }

    /// The first product of the setting's list that is in the officer's catalog.
    private func product(for officer: Person) async throws -> Product? {
        for code in work.settings.dossierProductCodes {
            guard let p = try await Product.query(on: work.store.db).filter(\.$code == code).first() else { continue }
            do {
                try await work.requireProduct(p, for: officer, on: work.store.db)
                return p
            } catch is WorkService.Invalid { continue }
        }
        return nil
    }

    /// Records the citizen's rating of the dossier once (a closed rating link of the task holds it, as for
    /// a rating given through a public link); false when there is none, or it was recorded before.
    static func rate(_ t: WorkTask, _ c: DossierDraft.Checked, today: DateOnly, principal: Principal, actor: Actor,
                     postgres: Bool, on db: any Database) async throws -> Bool {
        guard let score = c.rating else { return false }
        let id = try t.requireID()
        // The same dossier's rating sent twice at the same moment: the second waits for the first, then finds it.
        if postgres { try await db.sql.raw("SELECT id FROM tasks WHERE id = \(bind: id) FOR UPDATE").run() }
        guard try await Rating.query(on: db).filter(\.$taskID == id).filter(\.$receiptCode == c.code).count() == 0 else { return false }
        let link = RatingLink()
        link.token = "tthc-" + SessionMiddleware.newToken().prefix(22)
        link.taskID = id
        link.scopePath = t.scopePath
        link.active = false
        link.createdByName = principal.displayName
        try await link.create(on: db)
        let r = Rating()
        r.linkID = try link.requireID()
        r.taskID = id
        r.receiptCode = c.code
        r.score = score
        r.comment = c.ratingComment
        // Counted in the period of the day the citizen rated (noon, Việt Nam).
        r.createdAt = (c.ratedOn ?? today).startInVietnam.addingTimeInterval(12 * 3_600)
        try await r.create(on: db)
        try await EvaluationService.markDirty(db, scopePath: t.scopePath)
        try await AuditLog.append(on: db, actor: actor, action: "rating.dossier", entityType: "task", entityID: id.uuidString,
                                  scopePath: t.scopePath, after: ["ma": t.code, "ho_so": c.code, "diem": String(score)])
        return true
    }
}
