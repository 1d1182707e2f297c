import Fluent
import Foundation
import KPICore
import Vapor

/// Nhiệm vụ thường xuyên: set up once by a leader, given again each week, month or quarter.
extension WorkService {
    struct NewRecurring: Sendable {
        var title: String
        var assigneeCode: String
        var productCode: String
        var quantity: String
        var complexity: String
        var kind: String
        var dueDay: String
    }

    /// The draft of one occurrence; its title names the period ("Báo cáo tháng (2026-11)") unless `period` is false.
    static func draft(_ title: String, product: String, quantity: String, complexity: String, _ o: Recurrence.Occurrence,
                      period: Bool = true) -> TaskDraft {
        var d = TaskDraft(title: period ? "\(title) (\(o.key))" : title, start: o.start.iso, due: o.due.iso)
        d.productCode = product
        d.quantity = quantity
        d.complexity = complexity
        d.source = TaskSource.recurring.rawValue
        return d
    }

    /// Checks the rule and a sample occurrence like a task form, saves it, and gives the current
    /// period's task at once.
    func createRecurring(_ f: NewRecurring, today: DateOnly? = nil) async throws -> UUID {
        let today = today ?? store.today
        guard let kind = Recurrence.Kind(rawValue: f.kind) else { throw Invalid("chu_ky", "Vui lòng chọn chu kỳ.") }
        guard let day = Int(f.dueDay.trimmingCharacters(in: .whitespaces)) else { throw Invalid("ngay_den_han",
            "Ngày đến hạn phải là số.") }
        let rule = Recurrence(kind: kind, dueDay: day)
        if let problem = rule.problem { throw Invalid("ngay_den_han", problem) }
        let calendar = try await DeadlineJob.calendar(on: store.db)
        let sample = rule.occurrence(containing: today, calendar: calendar)
        // Checked with the bare title: the period's suffix must not make an empty title look filled in.
        let prepared = try await prepare(NewTask(draft: Self.draft(f.title, product: f.productCode, quantity: f.quantity,
                                                                   complexity: f.complexity, sample, period: false),
                                                 assigneeCodes: [f.assigneeCode], token: ""))
        guard let person = prepared.targets.first?.0 else { throw Invalid("nguoi",
                                                                          """
                                                                              Nhiệm vụ thường xuyên giao cho một người chủ \
                                                                              trì.
                                                                              """) }
        let (principal, actor) = (principal, actor)
        let id = try await store.write { db in
            let r = RecurringTask()
            r.title = prepared.checked.title
            r.productCode = prepared.product.code
            r.quantity = DecimalText.plain(prepared.checked.quantity)
            r.complexity = prepared.complexity?.name ?? ""
            r.assigneeID = try person.requireID()
            r.scopePath = person.scopePath
            r.kind = kind.rawValue
            r.dueDay = day
            r.createdBy = principal.userID
            r.createdByName = principal.displayName
            r.active = true
            try await r.create(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "task.recurring.create", entityType: "recurring_task",
                                      entityID: r.id!.uuidString, scopePath: r.scopePath,
                                      after: ["tieu_de": r.title, "nguoi": person.code, "san_pham": r.productCode, "chu_ky": r.kind,
                                              "ngay": String(day)])
            return r.id!
        }
        _ = try await RecurringJob.generate(store: store, settings: settings, today: today, only: id)
        return id
    }

    /// The rules the user set up or may lead.
    func recurring() async throws -> [RecurringTask] {
        let scopes = principal.scopes(.leadWork)
        let q = RecurringTask.query(on: store.db).group(.or) { g in
            g.filter(\.$createdBy == principal.userID)
            for s in scopes { g.filter(\.$scopePath, .custom("LIKE"), s + "%") }
        }
        return try await q.sort(\.$active, .descending).sort(\.$title).all()
    }

    func stopRecurring(_ id: UUID) async throws {
        let (principal, actor) = (principal, actor)
        try await store.write { db in
            guard let r = try await RecurringTask.find(id, on: db),
                  r.createdBy == principal.userID || principal.can(.leadWork, at: r.scopePath) else { throw Abort(.notFound) }
            guard r.active else { return }
            r.active = false
            try await r.save(on: db)
            try await AuditLog.append(on: db, actor: actor, action: "task.recurring.stop", entityType: "recurring_task",
                                      entityID: id.uuidString, scopePath: r.scopePath, after: ["tieu_de": r.title])
        }
    }
}

/// Makes the current period's task of each active rule, once: the key "<rule>:<period>" is unique
/// on tasks, so a second run (or a concurrent one) makes nothing. Each task is assigned with its
/// creator's rights of today: a leader who has left the unit gives nothing more.
enum RecurringJob {
    static func generate(store: Store, settings: Settings, today: DateOnly? = nil, only: UUID? = nil) async throws -> Int {
        let today = today ?? store.today
        let calendar = try await DeadlineJob.calendar(on: store.db)
        let q = RecurringTask.query(on: store.db).filter(\.$active == true)
        if let only { q.filter(\.$id == only) }
        var made = 0
        for r in try await q.all() {
            guard let kind = Recurrence.Kind(rawValue: r.kind) else { continue }
            let o = Recurrence(kind: kind, dueDay: r.dueDay).occurrence(containing: today, calendar: calendar)
            guard today <= o.due else { continue }   // the period's due date has passed: the next one comes
            let key = "\(r.id!.uuidString):\(o.key)"
            if try await WorkTask.query(on: store.db).filter(\.$recurrenceKey == key).count() > 0 { continue }
            guard let user = try await User.find(r.createdBy, on: store.db), user.active,
                  let person = try await Person.find(r.assigneeID, on: store.db) else { continue }
            let principal = try await Principal.load(user: user, on: store.db, session: nil)
            let svc = WorkService(store: store, principal: principal, actor: .system("thuong-xuyen", at: store.now), settings: settings)
            do {
                var p = try await svc.prepare(.init(draft: WorkService.draft(r.title, product: r.productCode, quantity: r.quantity,
                                                                              complexity: r.complexity, o),
                                                    assigneeCodes: [person.code], token: ""))
                p.recurrenceKey = key
                let prepared = p
                _ = try await store.write { db in
                    try await WorkService.insert(prepared, batch: nil, on: db, principal: principal, actor: .system("thuong-xuyen",
                        at: store.now)) { _ in "thuong-xuyen:\(key)" }
                }
                made += 1
            } catch is WorkService.Invalid {
                continue
            } catch {
                // Another runner made it at the same moment (the key is unique): nothing to do.
                if try await WorkTask.query(on: store.db).filter(\.$recurrenceKey == key).count() > 0 { continue }
                throw error
            }
        }
        return made
    }
}
