import Fluent
import Foundation
@testable import KPIServer
import SQLKit
import XCTVapor

/// The statements committed without waiting for their flush (`AsyncCommit`: the task numbers reserved ahead of a group
/// of creations, the Idempotency-Key claims) still do their work, and the setting stays theirs: the connection's next
/// transaction commits with its flush as every other does.
final class AsyncCommitTests: XCTestCase {
    func testNumbersReservedAheadFollowEachOtherAndLeaveTheConnectionFlushing() async throws {
        try await withApp { app in
            try await app.db.withConnection { db in
                let first = try await Counter.reserveAhead("thu-async", 3, on: db)
                let second = try await Counter.reserveAhead("thu-async", 2, on: db)
                XCTAssertEqual(first, 3)
                XCTAssertEqual(second, 5)
                let kept = try await db.value("SELECT value FROM counters WHERE name = 'thu-async'", as: Int64.self)
                XCTAssertEqual(kept, 5)
                guard db.isPostgres else { return }
                // One connection throughout (`withConnection`): the statement's own setting ended with it.
                let mode = try await db.value("SELECT current_setting('synchronous_commit')", as: String.self)
                XCTAssertEqual(mode, "on")
            }
        }
    }

    func testAClaimLeavesTheConnectionFlushing() async throws {
        try await withApp { app in
            let store = app.store
            let user = try await Browser.principal(app, "lanhdao").userID
            let claim = IdempotencyWriter.Claim(id: UUID(), userID: user, key: "thu-async", hash: "h", at: app.clock.now)
            let claimed = try await store.idempotency.claim(claim, store: store)
            XCTAssertTrue(claimed)
            let again = IdempotencyWriter.Claim(id: UUID(), userID: user, key: "thu-async", hash: "h", at: app.clock.now)
            let claimedAgain = try await store.idempotency.claim(again, store: store)
            XCTAssertFalse(claimedAgain, "a key held is not claimed twice")
            guard app.db.isPostgres else { return }
            // The next statements, on whichever connections the pool gives: none kept the claims' setting.
            for _ in 0..<8 {
                let mode = try await app.db.value("SELECT current_setting('synchronous_commit')", as: String.self)
                XCTAssertEqual(mode, "on")
            }
        }
    }
}
