import Fluent
import FluentPostgresDriver
import Foundation
@testable import KPIServer
import SQLKit
import XCTVapor

/// A transaction whose PostgreSQL connection is lost between two of its statements (the database restarted, the
/// leader died) ends, answered as the database being away, and gives its connection back to the pool: PostgresNIO
/// drops a statement sent on a closed connection without ever answering it (`ConnectionGuard`). Without the guard the
/// first round is held until `limit` (seen: every task creation of a process held from then on, e2e/test_failover.py).
final class ConnectionGuardTests: XCTestCase {
    /// Far longer than the guard's grace; a round still running then is held for good.
    let limit: Duration = .seconds(20)

    func testATransactionWhoseConnectionIsLostEndsAndTheProcessGoesOn() async throws {
        guard TestEnv.postgresURL != nil else { throw XCTSkip("PostgreSQL only: the loss is of a PostgreSQL connection") }
        try await withApp(demo: false) { app in
            let store = app.store
            // More losses than the pool has connections: a connection kept by a transaction that never ends would
            // leave the pool empty, and the ordinary write after the rounds would wait for one in vain.
            let rounds = postgresConnectionsPerLoop * System.coreCount + 2
            for round in 0..<rounds {
                let outcome = await Self.within(limit) {
                    try await store.write(reach: nil) { db in
                        let pid = try await db.value("SELECT pg_backend_pid()::bigint AS pid", as: Int64.self) ?? 0
                        // Another connection ends this one's server process, as a restart or a failover would.
                        let ended = try await app.db.value("SELECT pg_terminate_backend(\(bind: pid)::integer)", as: Bool.self)
                        XCTAssertEqual(ended, true)
                        try await Self.waitClosed(db)
                        _ = try await db.value("SELECT 1", as: Int.self)
                    }
                }
                switch outcome {
                case .held:
                    return XCTFail("round \(round): the transaction was still held after \(limit)")
                case .ended(nil):
                    return XCTFail("round \(round): a statement on a closed connection succeeded")
                case .ended(let error?):
                    XCTAssertTrue(DatabaseOutage.matches(error), "round \(round): \(String(reflecting: error))")
                }
            }
            let outcome = await Self.within(limit) {
                let one = try await store.write(reach: nil) { db in try await db.value("SELECT 1", as: Int.self) }
                XCTAssertEqual(one, 1)
            }
            if case .ended(nil) = outcome { return }
            XCTFail("after the losses an ordinary write did not go through: \(outcome)")
        }
    }

    func testWorkOnAHealthyConnectionIsUnchanged() async throws {
        try await withApp(demo: false) { app in
            // A transaction's result and its rollback on error, as Fluent's own.
            let kept = try await app.store.write(reach: nil) { db in
                try await db.sql.raw("INSERT INTO counters (name, value) VALUES ('thu-guard', 1)").run()
                return try await db.value("SELECT value FROM counters WHERE name = 'thu-guard'", as: Int64.self)
            }
            XCTAssertEqual(kept, 1)
            struct Refused: Error {}
            do {
                try await app.store.write(reach: nil) { db in
                    try await db.sql.raw("UPDATE counters SET value = 9 WHERE name = 'thu-guard'").run()
                    throw Refused()
                }
                XCTFail("the body's error was lost")
            } catch is Refused {}
            let after = try await app.db.value("SELECT value FROM counters WHERE name = 'thu-guard'", as: Int64.self)
            XCTAssertEqual(after, 1, "rolled back")
        }
    }

    enum Outcome: Sendable {
        case ended((any Error)?)
        case held
    }

    /// How `work` ended, or `.held` when it had not ended after `limit` (it is then left running).
    static func within(_ limit: Duration, _ work: @escaping @Sendable () async throws -> Void) async -> Outcome {
        await withCheckedContinuation { (c: CheckedContinuation<Outcome, Never>) in
            let once = Once()
            Task {
                do {
                    try await work()
                    if once.take() { c.resume(returning: .ended(nil)) }
                } catch {
                    if once.take() { c.resume(returning: .ended(error)) }
                }
            }
            Task {
                try? await Task.sleep(for: limit)
                if once.take() { c.resume(returning: .held) }
            }
        }
    }

    /// Waits until the connection under `db` is closed, then a moment more: the closed channel has let go of its
    /// handlers, so a statement sent now is the kind PostgresNIO drops.
    static func waitClosed(_ db: any Database) async throws {
        guard let conn = try await ConnectionGuard.connection(of: db) else { return }
        for _ in 0..<500 {
            if conn.isClosed { break }
            try await Task.sleep(for: .milliseconds(10))
        }
        try await Task.sleep(for: .milliseconds(100))
    }

    final class Once: @unchecked Sendable {
        private let lock = NSLock()
        private var taken = false

        func take() -> Bool { lock.withLock { defer { taken = true }; return !taken } }
    }
}
