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
            let held = Held()
            let holder: Task<Void, any Error>
            if app.db.isPostgres {
                holder = Task {
                    try await app.db.transaction { db in
                        try await db.sql.raw("SELECT pg_advisory_xact_lock(\(bind: AuditLog.advisoryLockKey))").run()
                        held.taken()
                        await held.released()
                    }
                }
                await held.waitTaken()
            } else {
                await app.writeGate.lock()
                holder = Task {}
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
            if app.db.isPostgres { held.release() } else { await app.writeGate.unlock() }
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
}

/// A lock held by a test until it lets go.
private final class Held: @unchecked Sendable {
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
}
