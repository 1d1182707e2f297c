import Fluent
import Foundation
import KPICore
import Vapor

/// Thư điện tử on the pages: each person's choice of delivery per kind of notice (their own only),
/// and for system administrators the outbox — what waits, what was sent, what a relay refused — with
/// a test mail and sending again. Every change is audited in its transaction.
struct MailService {
    let store: Store
    let principal: Principal
    let actor: Actor

    typealias Invalid = WorkService.Invalid

    // MARK: Cách nhận thông báo (every signed-in user, for their own account)

    struct Choices: Sendable {
        var rows: [(category: NoticeCategory, delivery: NoticeDelivery)]
        /// Where mail goes (the person's address in the people catalog), nil when there is none that works.
        var address: String?
        /// The address as recorded, when it is not one.
        var badAddress: String?
    }

    func choices() async throws -> Choices {
        let prefs = try await MailRouter.preferences(of: [principal.userID], on: store.db)[principal.userID] ?? [:]
        var address: String?
        var bad: String?
        if let pid = principal.personID, let p = try await Person.find(pid, on: store.db), !p.email.isEmpty {
            address = MailAddress.check(p.email)
            if address == nil { bad = p.email }
        }
        return Choices(rows: NoticeCategory.all.map { ($0, prefs[$0.key] ?? $0.standard) }, address: address, badAddress: bad)
    }

    /// Saves the choices submitted (category key → delivery); an unknown value is refused, nothing is
    /// written then. The number changed.
    @discardableResult
    func saveChoices(_ submitted: [String: String]) async throws -> Int {
        var chosen: [String: NoticeDelivery] = [:]
        var problems: [TaskProblem] = []
        for c in NoticeCategory.all {
            guard let raw = submitted[c.key] else { continue }
            guard let d = NoticeDelivery(rawValue: raw) else {
                problems.append(TaskProblem(c.key, """
                    «\(c.label)»: chọn gửi ngay, gộp vào thư tổng hợp hoặc không gửi thư.
                    """))
                continue
            }
            chosen[c.key] = d
        }
        guard problems.isEmpty else { throw Invalid(problems) }
        let (user, actor, picked) = (principal.userID, actor, chosen)
        return try await store.write(reach: nil) { db in
            let rows = try await NoticePreference.query(on: db).filter(\.$userID == user).all()
            let existing = Dictionary(rows.map { ($0.category, $0) }) { a, _ in a }
            var before: [String: String] = [:], after: [String: String] = [:]
            for c in NoticeCategory.all {
                guard let d = picked[c.key] else { continue }
                let old = existing[c.key].flatMap { NoticeDelivery(rawValue: $0.delivery) } ?? c.standard
                guard old != d || (existing[c.key] == nil && d != c.standard) else { continue }
                if let row = existing[c.key] {
                    row.delivery = d.rawValue
                    try await row.save(on: db)
                } else {
                    let row = NoticePreference()
                    row.userID = user; row.category = c.key; row.delivery = d.rawValue
                    try await row.create(on: db)
                }
                before[c.key] = old.rawValue
                after[c.key] = d.rawValue
            }
            guard !after.isEmpty else { return 0 }
            try await AuditLog.append(on: db, actor: actor, action: "notice.preferences", entityType: "user", entityID: user.uuidString,
                                      scopePath: "/", before: before, after: after)
            return after.count
        }
    }

    // MARK: Hộp thư đi (system administrators)

    func authorize() throws { try principal.require(.manageSettings, at: "/") }

    struct Counts: Sendable, Equatable {
        var waiting = 0
        var sent = 0
        var failed = 0
        /// Waiting messages that have failed at least once (the relay is down or refusing for now).
        var retrying = 0
    }

    func counts() async throws -> Counts {
        try authorize()
        let db = store.db
        return Counts(waiting: try await OutboxMessage.query(on: db).filter(\.$state == OutboxMessage.waiting).count(),
                      sent: try await OutboxMessage.query(on: db).filter(\.$state == OutboxMessage.sent).count(),
                      failed: try await OutboxMessage.query(on: db).filter(\.$state == OutboxMessage.failed).count(),
                      retrying: try await OutboxMessage.query(on: db).filter(\.$state == OutboxMessage.waiting)
                        .filter(\.$attempts > 0).count())
    }

    /// A page of messages, newest first; `state` one of the outbox states or empty, `search` part of the
    /// recipient or subject.
    func messages(state: String, search: String, page: Int, perPage: Int = 50) async throws -> (rows: [OutboxMessage], total: Int) {
        try authorize()
        let q = OutboxMessage.query(on: store.db)
        if !state.isEmpty { q.filter(\.$state == state) }
        if !search.isEmpty {
            q.group(.or) { $0.filter(\.$recipient ~~ search.lowercased()).filter(\.$subject ~~ search) }
        }
        let total = try await q.copy().count()
        let lower = (max(page, 1) - 1) * perPage
        return (try await q.sort(\.$createdAt, .descending).sort(\.$id).range(lower ..< lower + perPage).all(), total)
    }

    /// Queues a test mail to `address`; refused when it is not an address or mail is not configured.
    func sendTest(to raw: String, settings: Settings) async throws -> String {
        try authorize()
        guard let address = MailAddress.check(raw) else { throw Invalid("dia_chi", MailAddress.problem(raw)) }
        guard !settings.smtpHost.isEmpty else {
            throw Invalid("dia_chi", """
                Chưa ghi máy chủ gửi thư ở mục «Thư điện tử» của trang Cài đặt: lưu cấu hình \
                trước khi gửi \
                thử.
                """)
        }
        let mail = MailTemplates.test(base: settings.publicURL ?? "", by: principal.username)
        let (actor, now) = (actor, store.now)
        try await store.write(reach: nil) { db in
            try await Outbox.enqueue(on: db, channel: EmailChannel.name, recipient: address, subject: mail.subject, body: mail.text,
                                     altBody: mail.html, key: "thu-thu:\(UUID().uuidString)", at: now)
            try await AuditLog.append(on: db, actor: actor, action: "mail.test", entityType: "outbox", entityID: address, scopePath: "/",
                                      after: ["dia_chi": address])
        }
        return address
    }

    /// Sends again now (after the address or the relay was fixed): one refused message, or (`id`
    /// nil) every refused one and every one waiting for its next try. The number requeued.
    func retry(_ id: UUID?) async throws -> Int {
        try authorize()
        let (actor, now) = (actor, store.now)
        return try await store.write(reach: nil) { db in
            let q = OutboxMessage.query(on: db)
            if let id {
                q.filter(\.$id == id).filter(\.$state == OutboxMessage.failed)
            } else {
                q.group(.or) { $0.filter(\.$state == OutboxMessage.failed).group(.and) {
                    $0.filter(\.$state == OutboxMessage.waiting).filter(\.$attempts > 0)
                } }
            }
            let rows = try await q.all()
            for m in rows {
                m.state = OutboxMessage.waiting
                m.nextAttemptAt = now
                try await m.save(on: db)
            }
            if !rows.isEmpty {
                try await AuditLog.append(on: db, actor: actor, action: "mail.retry", entityType: "outbox",
                                          entityID: id?.uuidString ?? "tat-ca", scopePath: "/", after: ["so_thu": String(rows.count)])
            }
            return rows.count
        }
    }
}
