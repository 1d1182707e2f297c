import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

/// Thông báo: who hears of what happens to a task, and the deadline warnings.
enum Notices {
    /// The accounts of these people.
    static func users(of people: [UUID], on db: any Database) async throws -> [UUID: [UUID]] {
        guard !people.isEmpty else { return [:] }
        // Two columns, not whole `User` rows through Fluent (on the path of every group of creations, bench/README.md).
        let pairs = try await db.rows("""
            SELECT person_id, id FROM users WHERE active = \(bind: true) AND person_id IN (\(binds: people))
            """) { (try $0.next(UUID.self), try $0.next(UUID.self)) }
        return Dictionary(grouping: pairs, by: \.0).mapValues { $0.map(\.1) }
    }

    /// The leaders nearest to a scope: the holders of a lãnh đạo grant on the deepest node above it.
    static func heads(of scopePath: String, among grants: [(String, UUID)]) -> [UUID] {
        let above = grants.filter { OrgPath.contains($0.0, scopePath) }
        guard let deepest = above.map(\.0.count).max() else { return [] }
        return above.filter { $0.0.count == deepest }.map(\.1)
    }

    /// Lãnh đạo grants, all of them (the warning job, once a run) or only those whose scope contains
    /// `scopePath` (one event: an indexed lookup of the node's ancestors, not the province's leaders),
    /// with those held by delegation (ủy quyền) on the day of `now`.
    static func leaderGrants(covering scopePath: String? = nil, on db: any Database, at now: Date) async throws -> [(String, UUID)] {
        let q = RoleGrant.query(on: db).filter(\.$role == Role.leader.rawValue)
        if let scopePath { q.filter(\.$scopePath ~~ OrgPath.ancestors(scopePath)) }
        return try await q.all().map { ($0.scopePath, $0.userID) }
            + Delegations.leaderGrants(covering: scopePath, on: db, day: DateOnly.inVietnam(now))
    }

    /// The columns of a notice, in the order `write` gives their values.
    static let columns = ["id", "user_id", "task_id", "kind", "title", "dedupe_key", "created_at"]

    static func write(_ db: any Database, to users: [UUID], task: WorkTask, kind: String, title: String, key: String,
                      at now: Date, group: WriteGroup? = nil) async throws {
        // One statement for all of them, through SQLKit (not Fluent models: on the path of every task event); in a group
        // of creations one for the whole group, at its end.
        let recipients = Set(users)
        guard !recipients.isEmpty else { return }
        let rows: [[any SQLExpression]] = recipients.map { u in
            [SQLBind(UUID()), SQLBind(u), SQLBind(task.id), SQLBind(kind), SQLBind(title), SQLBind("\(key):\(u.uuidString)"), SQLBind(now)]
        }
        if let group { group.notices += rows } else { try await db.sql.insert(into: Notice.schema).columns(columns).rows(rows).run() }
    }

    /// The notices an event on a task sends: to the assignee, the assigner or the leaders, whoever is
    /// waiting on it, never to the person who acted.
    static func afterEvent(_ db: any Database, task t: WorkTask, participants: [TaskParticipant], kind: String, by p: Principal,
                           at now: Date, group: WriteGroup? = nil) async throws {
        var people: [UUID] = []
        var users: [UUID] = []
        let assignee = t.assigneeID.map { [$0] } ?? []
        var toHeads = false
        switch kind {
        case "tao":
            people = assignee + participants.compactMap(\.personID)
            toHeads = t.assigneeID == nil
        case "phan-cong", "dong-y-gia-han", "tu-choi-gia-han", "nghiem-thu", "tra-lai", "huy":
            people = assignee
        case "duyet-de-xuat", "khong-duyet":
            users = t.proposerUserID.map { [$0] } ?? []
        case "de-xuat":
            toHeads = true
        case "xin-gia-han", "gui-nghiem-thu":
            if let a = t.assignerUserID { users = [a] } else { toHeads = true }
        default:
            return
        }
        if let group {
            // Read once for the group of creations (`WriteGroup`).
            try await group.readAccounts(of: people, on: db)
            for person in people { users += group.accounts[person] ?? [] }
        } else {
            for list in try await Self.users(of: people, on: db).values { users += list }
        }
        if toHeads {
            let grants: [(String, UUID)]
            if let kept = group?.leaders[t.scopePath] { grants = kept } else {
                grants = try await leaderGrants(covering: t.scopePath, on: db, at: now)
                group?.leaders[t.scopePath] = grants
            }
            users += heads(of: t.scopePath, among: grants)
        }
        users.removeAll { $0 == p.userID }
        let label = WorkService.eventLabels[kind] ?? kind
        try await write(db, to: users, task: t, kind: kind, title: "\(label): \(t.code) — \(t.title)", key: "\(kind):\(t.id!):\(UUID())",
                        at: now, group: group)
    }

    // MARK: Reading

    static func unread(_ userID: UUID, on db: any Database) async throws -> Int {
        try await Notice.query(on: db).filter(\.$userID == userID).filter(\.$readAt == nil).count()
    }
}

/// Cảnh báo hạn: finds open tasks due soon, due today and overdue and sends each warning once per
/// task, due date and person. One runner at a time: a PostgreSQL advisory lock, or on SQLite a
/// lease row; and the notices' unique key makes a second run, or a racing one, write nothing twice.
enum DeadlineJob {
    static let lockKey: Int64 = 0x4B50_4957_4152_4E00
    static let leaseName = "canh-bao-han"
    /// States in which the assignee still owes the work (a submitted task is not late).
    static let watched = [TaskState.assigned, .inProgress, .extensionRequested].map(\.rawValue)

    struct Outcome: Sendable, Equatable {
        /// False when another runner held the lock.
        var ran: Bool
        var notices: Int
        /// Recurring tasks made by this run.
        var generated = 0
    }

    /// The calendar as pages use it (cached for a few minutes).
    static func calendar(_ store: Store) async throws -> WorkCalendar {
        try await store.changes.calendar(now: store.now) { try await calendar(on: store.db) }
    }

    static func calendar(on db: any Database) async throws -> WorkCalendar {
        let days = try await CalendarDay.query(on: db).all()
        return WorkCalendar(holidays: Set(days.filter { $0.kind == "nghi" }.compactMap { DateOnly(parsing: $0.day) }),
                            workingWeekends: Set(days.filter { $0.kind == "lam-bu" }.compactMap { DateOnly(parsing: $0.day) }))
    }

    static func run(_ app: Application, today: DateOnly? = nil, holder: String = UUID().uuidString) async throws -> Outcome {
        let today = today ?? app.clock.today
        let store = app.store
        let soon = app.settings.warnSoonDays
        // The period's recurring tasks first (each made once whoever runs), so they are warned about too.
        let generated = try await RecurringJob.generate(store: store, settings: app.settings, today: today)
        if store.isPostgres {
            return try await ConnectionGuard.transaction(on: store.db) { db in
                let got = try await db.value("SELECT pg_try_advisory_xact_lock(\(bind: lockKey)) AS got", as: Bool.self)
                guard got == true else { return Outcome(ran: false, notices: 0,
                    generated: generated) }
                let n = try await scan(db, today: today, soon: soon, now: app.clock.now, inactiveDays: app.settings.inactiveDays)
                try await AuditAnchors.daily(path: app.settings.anchorFile, on: db, at: app.clock.now)
                try await Retention.daily(db, settings: app.settings, now: app.clock.now)
                return Outcome(ran: true, notices: n, generated: generated)
            }
        }
        guard try await acquireLease(store, holder: holder) else { return Outcome(ran: false, notices: 0, generated: generated) }
        do {
            let n = try await store.write { try await scan($0, today: today, soon: soon, now: store.now,
                                                           inactiveDays: app.settings.inactiveDays) }
            try await AuditAnchors.daily(path: app.settings.anchorFile, on: store.db, at: store.now)
            try await store.write { try await Retention.daily($0, settings: app.settings, now: store.now) }
            try await releaseLease(store, holder: holder)
            return Outcome(ran: true, notices: n, generated: generated)
        } catch {
            try? await releaseLease(store, holder: holder)
            throw error
        }
    }

    /// A ten-minute lease, taken when free or expired (a crashed runner does not block for ever).
    static func acquireLease(_ store: Store, holder: String, name leaseName: String = leaseName) async throws -> Bool {
        do {
            return try await store.write(reach: nil) { db in
                let now = store.now
                if let lease = try await JobLock.find(leaseName, on: db) {
                    guard lease.expiresAt < now || lease.holder == holder else { return false }
                    lease.holder = holder
                    lease.expiresAt = now.addingTimeInterval(600)
                    try await lease.save(on: db)
                } else {
                    let lease = JobLock()
                    lease.id = leaseName
                    lease.holder = holder
                    lease.expiresAt = now.addingTimeInterval(600)
                    try await lease.create(on: db)
                }
                return true
            }
        } catch {
            // Another process wrote the lease at the same moment (SQLite busy or the unique name).
            return false
        }
    }

    static func releaseLease(_ store: Store, holder: String, name leaseName: String = leaseName) async throws {
        try await store.write(reach: nil) { db in
            try await JobLock.query(on: db).filter(\.$id == leaseName).filter(\.$holder == holder).delete()
        }
    }

    /// Writes the warnings that are due and not yet sent; returns how many.
    /// `now` stamps the notices written (default: the start of `today` in Việt Nam).
    /// Also disables accounts idle for `inactiveDays` (0: not at all; `InactiveAccounts`).
    static func scan(_ db: any Database, today: DateOnly, soon: Int, now: Date? = nil, inactiveDays: Int = 0) async throws -> Int {
        let now = now ?? today.startInVietnam
        _ = try await InactiveAccounts.sweep(db, now: now, days: inactiveDays)
        let calendar = try await calendar(on: db)
        let horizon = calendar.adding(workingDays: soon, to: today)
        let heads = try await Notices.leaderGrants(on: db, at: now)
        let subscribed = try await WebhookSubscription.query(on: db).filter(\.$active == true).count() > 0
        var written = 0
        var lastID: UUID?
        while true {
            let q = WorkTask.query(on: db).filter(\.$state ~~ watched).filter(\.$due <= horizon.iso).sort(\.$id).limit(1000)
            if let lastID { q.filter(\.$id > lastID) }
            let tasks = try await q.all()
            guard let last = tasks.last else { break }
            lastID = last.id
            let sent = Set(try await Notice.query(on: db).filter(\.$taskID ~~ tasks.compactMap(\.id))
                .filter(\.$kind ~~ [DeadlineWarning.dueSoon, .dueToday, .overdue].map(\.rawValue)).all().map(\.dedupeKey))
            let accounts = try await Notices.users(of: tasks.compactMap(\.assigneeID), on: db)
            var batch: [Notice] = []
            for t in tasks {
                guard let due = DateOnly(parsing: t.due),
                      let warning = WorkService.warning(t, today: today, calendar: calendar, soon: soon) else { continue }
                if subscribed {
                    // Once per task, warning and due date, however many scans see it.
                    try await Webhooks.emit(db, warning == .overdue ? .taskOverdue : .taskDueSoon, scopePath: t.scopePath,
                                            data: try await Webhooks.taskData(t, on: db), at: now,
                                            once: "\(warning.rawValue):\(t.id!):\(t.due)")
                }
                var users = t.assigneeID.flatMap { accounts[$0] } ?? []
                if let a = t.assignerUserID { users.append(a) }
                if warning == .overdue || t.assigneeID == nil { users += Notices.heads(of: t.scopePath, among: heads) }
                for u in Set(users) {
                    let key = "\(warning.rawValue):\(t.id!):\(t.due):\(u.uuidString)"
                    guard !sent.contains(key) else { continue }
                    let n = Notice()
                    n.userID = u
                    n.taskID = t.id
                    n.kind = warning.rawValue
                    n.title = "\(warning.label) (\(due.display)): \(t.code) — \(t.title)"
                    n.dedupeKey = key
                    n.createdAt = now
                    batch.append(n)
                }
            }
            if !batch.isEmpty {
                try await batch.create(on: db)
                written += batch.count
            }
        }
        return written + (try await EvaluationReminders.scan(db, today: today, soon: soon, calendar: calendar, leaders: heads, now: now))
    }
}

/// Starts what runs while the server runs: the other processes' news (`ChangeNotifications`), settings, scores,
/// mail, and the deadline warnings every `KPI_WARN_EVERY_MINUTES`.
public func startBackgroundJobs(_ app: Application) {
    startChangeNotifications(app)
    startSettingsRefresh(app)
    startEvaluationJob(app)
    startMailJob(app)
    startMemoryTrim(app)
    let minutes = app.settings.warnEveryMinutes
    guard minutes > 0 else { return }
    let job = Task {
        try? await Task.sleep(for: .seconds(20))
        while !Task.isCancelled {
            do {
                let outcome = try await app.metrics.job("canh-bao") { try await DeadlineJob.run(app) }
                if outcome.ran { app.logger.info("""
                    Cảnh báo hạn: \(outcome.notices) thông báo mới; \(outcome.generated) nhiệm vụ thường xuyên mới.
                    """) }
            } catch {
                app.logger.error("Cảnh báo hạn thất bại: \(error)")
            }

            try? await Task.sleep(for: .seconds(60 * minutes))
        }
    }
    app.lifecycle.use(JobCanceller(task: job))
}

/// Kỳ đánh giá: periods opened on schedule and stale ones computed again, every
/// `KPI_SCORE_EVERY_SECONDS` (default 60; 0 leaves it to `kpi recompute`).
func startEvaluationJob(_ app: Application) {
    let seconds = app.settings.scoreEverySeconds
    guard seconds > 0 else { return }
    let job = Task {
        try? await Task.sleep(for: .seconds(min(20, seconds)))
        while !Task.isCancelled {
            do {
                let (opened, computed) = try await app.metrics.job("tinh-diem") {
                    (try await EvaluationService.openScheduled(app.store), try await EvaluationService.recomputeStale(app.store))
                }
                if opened + computed > 0 { app.logger.info("""
                    Kỳ đánh giá: mở \(opened) kỳ theo lịch; tính lại \(computed) kỳ.
                    """) }
            } catch {
                app.logger.error("Tính điểm kỳ đánh giá thất bại: \(error)")
            }
            try? await Task.sleep(for: .seconds(seconds))
        }
    }
    app.lifecycle.use(JobCanceller(task: job))
}

struct JobCanceller: LifecycleHandler {
    let task: Task<Void, Never>
    func shutdownAsync(_ application: Application) async { task.cancel() }
}
