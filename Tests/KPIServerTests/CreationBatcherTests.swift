import Fluent
import Foundation
import KPICore
@testable import KPIServer
import SQLKit
import XCTVapor

/// Task creations arriving together are written by one transaction (`CreationBatcher`): each gets its own task
/// with its timeline line and audit entry, the audit chain stays whole, and a document sent twice at once is made
/// once, both callers answered with it.
final class CreationBatcherTests: XCTestCase {
    func testCreationsArrivingTogetherAreWrittenTogetherAndEachOnce() async throws {
        try await withApp { app in
            let lead = WorkService(store: app.store, principal: try await Browser.principal(app, "lanhdao"),
                                   actor: .system("test", at: app.clock.now), settings: app.settings)
            let auditBefore = try await AuditEntry.query(on: app.db).count()
            let base = app.store.creations.counts
            func form(_ i: Int, token: String) -> WorkService.NewTask {
                var d = TaskDraft(title: "Báo cáo nhóm \(i)", start: TestEnv.today.iso, due: TestEnv.today.adding(days: 7).iso)
                d.productCode = "SP-CM-03"
                return .init(draft: d, assigneeCodes: ["CB-BTCTU-P3-03"], token: token)
            }
            // The writer is held up (SQLite: the write gate; PostgreSQL: the audit chain's lock, taken by another
            // transaction) while eleven creations come, two of them the same document.
            let (held, holder) = await Held.writer(of: app) { db in
                try await db.sql.raw("SELECT pg_advisory_xact_lock(\(bind: AuditLog.advisoryLockKey))").run()
            }
            let tokens = (0..<11).map { $0 == 10 ? "document-7" : $0 == 7 ? "document-7" : "form-\($0)" }
            let results = Task {
                try await withThrowingTaskGroup(of: (Int, UUID).self) { group in
                    for (i, token) in tokens.enumerated() {
                        group.addTask { (i, try await lead.create(form(i, token: token))[0]) }
                    }
                    var ids: [Int: UUID] = [:]
                    for try await (i, id) in group { ids[i] = id }
                    return ids
                }
            }
            // The first to come are being written; the others wait for them.
            func arrived() -> Int { let c = app.store.creations.counts; return c.creations - base.creations + c.waiting }
            for _ in 0..<500 where arrived() < 11 { try await Task.sleep(for: .milliseconds(10)) }
            XCTAssertEqual(arrived(), 11)
            await held.letGo(app)
            let ids = try await results.value
            try await holder.value

            XCTAssertEqual(ids.count, 11)
            XCTAssertEqual(ids[7], ids[10], "the same document sent twice at once is one task, both answered with it")
            XCTAssertEqual(Set(ids.values).count, 10)
            let made = try await WorkTask.query(on: app.db).filter(\.$id ~~ Array(Set(ids.values))).all()
            XCTAssertEqual(made.count, 10)
            XCTAssertEqual(Set(made.map(\.code)).count, 10, "each its own number")
            let counts = app.store.creations.counts
            XCTAssertEqual(counts.groups - base.groups, 2, "those first come, then all that came meanwhile together")
            for t in made {
                let lines = try await TaskEventRecord.query(on: app.db).filter(\.$taskID == t.id!).count()
                XCTAssertEqual(lines, 1, "one timeline line for \(t.code)")
            }
            let auditAfter = try await AuditEntry.query(on: app.db).count()
            XCTAssertEqual(auditAfter - auditBefore, 10, "one audit entry per task made")
            guard case .intact = try await AuditLog.verify(on: app.db) else { return XCTFail("the audit chain is broken") }
        }
    }

    /// Mã nhiệm vụ: the year, then the number padded to six digits (more when it outgrows them).
    func testTaskCodesArePaddedToSixDigits() {
        XCTAssertEqual(Counter.taskCode(year: 2026, number: 42), "NV-2026-000042")
        XCTAssertEqual(Counter.taskCode(year: 2027, number: 1_234_567), "NV-2027-1234567")
    }

    /// What a group of creations reads or writes once (`WriteGroup`) comes out as if each was written alone: each task
    /// with its participant and its timeline line (rows the group inserts together at its end), a notice to the
    /// assignee's account for each task, one webhook event for each to the subscription, the agency's open periods marked
    /// for recompute.
    func testWhatAGroupSharesComesOutAsIfEachWereWrittenAlone() async throws {
        try await withApp { app in
            let shared = try await sharedWork(app)
            let lead = WorkService(store: app.store, principal: try await Browser.principal(app, "lanhdao"),
                                   actor: .system("test", at: app.clock.now), settings: app.settings)
            var prepared: [WorkService.Prepared] = []
            for i in 0..<3 {
                var d = TaskDraft(title: "Báo cáo chung \(i)", start: TestEnv.today.iso, due: TestEnv.today.adding(days: 7).iso)
                d.productCode = "SP-CM-03"
                prepared.append(try await lead.prepare(.init(draft: d, assigneeCodes: ["CB-BTCTU-P3-03"],
                                                             participantCodes: ["CB-BTCTU-P3-05"], token: "chung-\(i)")))
            }
            let (principal, actor, forms, now) = (lead.principal, lead.actor, prepared, app.clock.now)
            let made = try await app.store.write(reach: .work) { db in
                let group = WriteGroup()
                var made: [WorkTask] = []
                for (i, p) in forms.enumerated() {
                    made += try await WorkService.insertTasks(p, batch: nil, on: db, principal: principal, actor: actor,
                                                              group: group) { _ in "chung-\(i)" }
                }
                try await group.finish(on: db, at: now)
                return made
            }
            XCTAssertEqual(made.count, 3)
            let ids = made.compactMap(\.id)
            let stored = try await WorkTask.query(on: app.db).filter(\.$id ~~ ids).all()
            XCTAssertEqual(Set(stored.map(\.code)), Set(made.map(\.code)))
            XCTAssertEqual(Set(stored.map(\.creationToken)), ["chung-0", "chung-1", "chung-2"])
            // Every field stored as the task was made (the rows are written by one hand-built insert), stamped at `now`.
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            encoder.outputFormatting = .sortedKeys
            for task in made {
                let back = try XCTUnwrap(stored.first { $0.id == task.id })
                let (kept, written) = (try encoder.encode(back), try encoder.encode(task))
                XCTAssertEqual(String(decoding: kept, as: UTF8.self), String(decoding: written, as: UTF8.self))
                XCTAssertEqual(back.createdAt.map { Int($0.timeIntervalSince1970) }, Int(now.timeIntervalSince1970))
                XCTAssertEqual(back.updatedAt.map { Int($0.timeIntervalSince1970) }, Int(now.timeIntervalSince1970))
            }
            let lines = try await TaskEventRecord.query(on: app.db).filter(\.$taskID ~~ ids).all()
            XCTAssertEqual(lines.map(\.kind), ["tao", "tao", "tao"], "one timeline line per task")
            let parts = try await TaskParticipant.query(on: app.db).filter(\.$taskID ~~ ids).count()
            XCTAssertEqual(parts, 3, "each task's participant")
            let notices = try await Notice.query(on: app.db).filter(\.$userID == shared.assigneeUser)
                .filter(\.$taskID ~~ made.compactMap(\.id)).count()
            XCTAssertEqual(notices, 3)
            let events = try await OutboxMessage.query(on: app.db).filter(\.$channel == Webhooks.channel)
                .filter(\.$recipient == shared.subscription.uuidString).all()
            XCTAssertEqual(events.map(\.subject), Array(repeating: "task.assigned", count: 3), "one task.assigned event per task")
            let codes = Set(events.compactMap { m -> String? in
                let payload = try? JSONSerialization.jsonObject(with: Data(m.body.utf8)) as? [String: Any]
                return (payload?["data"] as? [String: Any])?["code"] as? String
            })
            XCTAssertEqual(codes, Set(made.map(\.code)))
            let marked = try await EvaluationPeriod.query(on: app.db).filter(\.$id ~~ shared.periods).filter(\.$dirty == true).count()
            XCTAssertEqual(marked, shared.periods.count, "the agency's open periods marked for recompute")
            let entries = try await AuditEntry.query(on: app.db).filter(\.$entityID ~~ made.map { $0.id!.uuidString }).count()
            XCTAssertEqual(entries, 3, "one audit entry per task, chained at the end")
            guard case .intact = try await AuditLog.verify(on: app.db) else { return XCTFail("the audit chain is broken") }
        }
    }

    /// A client subscribed to task.assigned for the whole province, and the open periods over the assignee's unit marked
    /// clean (there must be some: the demonstration's).
    private func sharedWork(_ app: Application) async throws -> (assigneeUser: UUID, subscription: UUID, periods: [UUID]) {
        let person = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-03").first()!
        let assignee = try await User.query(on: app.db).filter(\.$personID == person.id!).first()!
        let client = User()
        client.id = UUID(); client.username = "ung-dung-nhom"; client.passwordHash = "x"; client.scopePath = "/"
        client.mustChangePassword = false; client.failedAttempts = 0; client.active = true; client.createdAt = app.clock.now
        try await client.create(on: app.db)
        let grant = RoleGrant()
        grant.userID = client.id!; grant.role = Role.apiClient.rawValue; grant.scopePath = "/"; grant.grantedBy = "test"
        try await grant.create(on: app.db)
        let s = WebhookSubscription()
        s.id = UUID(); s.userID = client.id!; s.url = "https://203.113.131.1/su-kien"; s.events = "task.assigned task.accepted"
        s.secret = try app.secretBox.seal(Array("whsec_thu".utf8), for: s.id!); s.active = true; s.createdBy = "quantri"
        s.createdAt = app.clock.now
        try await s.create(on: app.db)
        let open = EvaluationState.allCases.filter(\.recomputes).map(\.rawValue)
        let periods = try await EvaluationPeriod.query(on: app.db).filter(\.$state ~~ open).all()
            .filter { OrgPath.contains($0.scopePath, person.scopePath) }.map { $0.id! }
        XCTAssertFalse(periods.isEmpty, "the demonstration has open periods over the assignee")
        try await app.db.sql.raw("UPDATE evaluation_periods SET dirty = \(bind: false)").run()
        return (assignee.id!, s.id!, periods)
    }
}

/// A lock held by a test until it lets go.
final class Held: @unchecked Sendable {
    private let lock = NSLock()
    private var isTaken = false, isReleased = false

    func taken() { lock.withLock { isTaken = true } }
    func release() { lock.withLock { isReleased = true } }

    func waitTaken() async {
        while !lock.withLock({ isTaken }) { try? await Task.sleep(for: .milliseconds(5)) }
    }

    func released() async {
        while !lock.withLock({ isReleased }) { try? await Task.sleep(for: .milliseconds(5)) }
    }

    /// Holds the application's writer: on SQLite its write gate; on PostgreSQL a transaction that runs `hold` (taking a
    /// lock the writer will want) and stays open until `letGo`.
    static func writer(of app: Application, holding hold: @escaping @Sendable (any Database) async throws -> Void) async
        -> (Held, Task<Void, any Error>) {
        let held = Held()
        guard app.db.isPostgres else {
            await app.writeGate.lock()
            return (held, Task {})
        }
        let holder = Task {
            try await app.db.transaction { db in
                try await hold(db)
                held.taken()
                await held.released()
            }
        }
        await held.waitTaken()
        return (held, holder)
    }

    func letGo(_ app: Application) async {
        if app.db.isPostgres { release() } else { await app.writeGate.unlock() }
    }
}
