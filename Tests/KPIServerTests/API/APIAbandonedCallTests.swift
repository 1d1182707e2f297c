import Fluent
import Foundation
@testable import KPIServer
import SQLKit
import XCTVapor

/// A call that died after claiming its Idempotency-Key (its process killed, the database gone before it
/// could answer or let go) must not block that key for 48 hours, and what it may already have written
/// must not be written twice when the call is sent again (found by e2e/test_faults.py: PostgreSQL stopped
/// under load left keys answering «đang được xử lý» for ever).
final class APIAbandonedCallTests: XCTestCase {
    /// The worst case: the work was written, the answer was never kept. The key's claim is as the dead call
    /// left it; a call with the same key after `abandonedAfter` takes it over and finds the work done.
    private func abandon(_ app: Application, key: String) async throws {
        let old = app.clock.now.addingTimeInterval(-APIIdempotency.abandonedAfter - 1)
        try await app.db.sql.raw("""
            UPDATE api_idempotency SET status = 0, content_type = '', body = '', created_at = \(bind: old) WHERE key = \(bind: key)
            """).run()
    }

    func testAClaimLeftByADeadCallIsTakenOverAndNothingIsWrittenTwice() async throws {
        try await withApp { app in
            let client = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.tasksRead, .tasksWrite])
            let body = APITaskTests.body(title: "Nhiệm vụ của một lần gọi bị ngắt")
            let made = try await APITaskTests.post(client, key: "bi-ngat", body)
            XCTAssertEqual(made.status, .created, made.text)
            let code = try XCTUnwrap(try made.json()["code"] as? String)
            let tasks = try await WorkTask.query(on: app.db).count()

            try await abandon(app, key: "bi-ngat")
            let again = try await APITaskTests.post(client, key: "bi-ngat", body)
            XCTAssertEqual(again.status, .ok, "the task already made, found by its creation token: \(again.text)")
            XCTAssertEqual(try again.json()["code"] as? String, code)
            let after = try await WorkTask.query(on: app.db).count()
            XCTAssertEqual(after, tasks)
            // The new answer is kept: the next retry is a replay.
            let third = try await APITaskTests.post(client, key: "bi-ngat", body)
            XCTAssertEqual(third.headers.first(name: "Idempotent-Replayed"), "true")

            // The same for a file: added once, found again.
            let pdf = APIWorkTests.pdf
            func upload(_ key: String) async throws -> BrowserResponse {
                try await client.call(.POST, "/api/v1/tasks/\(code)/evidence?name=bao-cao.pdf",
                                      headers: ["Content-Type": "application/octet-stream", "Idempotency-Key": key], body: pdf)
            }
            let first = try await upload("tep-bi-ngat")
            XCTAssertEqual(first.status, .created, first.text)
            try await abandon(app, key: "tep-bi-ngat")
            let retried = try await upload("tep-bi-ngat")
            XCTAssertEqual(retried.status, .created, retried.text)
            XCTAssertEqual(try retried.json()["id"] as? String, try first.json()["id"] as? String)
            let other = try await upload("tep-lan-khac")
            XCTAssertEqual(try other.json()["id"] as? String, try first.json()["id"] as? String,
                           "the same file and name: the same evidence")
            let task = try await WorkTask.query(on: app.db).filter(\.$code == code).first()
            let files = try await Evidence.query(on: app.db).filter(\.$taskID == XCTUnwrap(task?.id)).count()
            XCTAssertEqual(files, 1)
        }
    }
}
