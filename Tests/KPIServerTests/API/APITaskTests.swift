import Fluent
import Foundation
@testable import KPIServer
import KPICore
import SQLKit
import XCTVapor

/// Giving tasks through the API (issue 20, items 1 and 3): the page's rules, idempotency, the
/// document's natural key, and every bad input refused with nothing written.
final class APITaskTests: XCTestCase {
    static func body(title: String = "Báo cáo sơ kết công tác tổ chức xây dựng Đảng", assignee: String? = "CB-BTCTU-P3-03",
                     extra: [String: Any] = [:]) -> Data {
        var b: [String: Any] = ["title": title, "productCode": "SP-CM-02", "quantity": "2",
                                "start": TestEnv.today.iso, "due": TestEnv.today.adding(days: 10).iso]
        if let assignee { b["assignee"] = assignee }
        for (k, v) in extra { b[k] = v }
        return try! JSONSerialization.data(withJSONObject: b, options: [.sortedKeys])
    }

    static let json = ["Content-Type": "application/json"]

    func post(_ client: APIClientUnderTest, key: String?, _ body: Data, headers: [String: String] = json) async throws -> BrowserResponse {
        try await Self.post(client, key: key, body, headers: headers)
    }

    static func post(_ client: APIClientUnderTest, key: String?, _ body: Data,
                     headers: [String: String] = json) async throws -> BrowserResponse {
        var h = headers
        if let key { h["Idempotency-Key"] = key }
        return try await client.call(.POST, "/api/v1/tasks", headers: h, body: body)
    }

    func count(_ app: Application) async throws -> Int { try await WorkTask.query(on: app.db).count() }

    func testAClientGivesATaskAsALeaderWouldAndARetryGetsTheSameAnswer() async throws {
        try await withApp { app in
            let client = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.tasksRead, .tasksWrite])
            let before = try await count(app)
            let made = try await post(client, key: "k-1", Self.body())
            XCTAssertEqual(made.status, .created, made.text)
            let task = try made.json()
            let code = try XCTUnwrap(task["code"] as? String)
            XCTAssertEqual(made.headers.first(name: .location), "/api/v1/tasks/\(code)")
            XCTAssertEqual(task["assigneeCode"] as? String, "CB-BTCTU-P3-03")
            XCTAssertEqual(task["unitCode"] as? String, "BTCTU-P3")
            XCTAssertEqual(task["state"] as? String, "da-giao")
            XCTAssertEqual(task["assigner"] as? String, "Ứng dụng qlvb-btctu")
            XCTAssertEqual(task["quantity"] as? String, "2")
            XCTAssertEqual(task["start"] as? String, TestEnv.today.iso)

            // A retry with the same key and body: the first answer, nothing made twice.
            let again = try await post(client, key: "k-1", Self.body())
            XCTAssertEqual(again.status, .created)
            XCTAssertEqual(again.headers.first(name: "Idempotent-Replayed"), "true")
            XCTAssertEqual(try again.json()["code"] as? String, code)
            let after = try await count(app)
            XCTAssertEqual(after, before + 1)
            // The same key with another body is refused.
            try await post(client, key: "k-1", Self.body(title: "Một việc khác")).assertProblem(.unprocessableEntity,
                                                                                                 "idempotency-key-reused")

            // Read back, in the list and by code.
            let read = try await client.get("/api/v1/tasks/\(code)")
            XCTAssertEqual(read.status, .ok, read.text)
            XCTAssertEqual(try read.json()["title"] as? String, "Báo cáo sơ kết công tác tổ chức xây dựng Đảng")
            let listed = try await client.get("/api/v1/tasks?assignee=CB-BTCTU-P3-03&state=da-giao&limit=500")
            let codes = try XCTUnwrap(try listed.json()["items"] as? [[String: Any]]).compactMap { $0["code"] as? String }
            XCTAssertTrue(codes.contains(code), listed.text.prefix(300).description)

            // The audit trail names the application; the assignee is told, as when a leader assigns on the page.
            let found = try await WorkTask.query(on: app.db).filter(\.$code == code).first()
            let stored = try XCTUnwrap(found)
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "task.create")
                .filter(\.$entityID == stored.requireID().uuidString).all()
            XCTAssertEqual(audit.map(\.actor), ["qlvb-btctu (API: Ứng dụng qlvb-btctu)"])
            let canbo = try await Browser.principal(app, "canbo")
            let notices = try await Notice.query(on: app.db).filter(\.$userID == canbo.userID).all()
            XCTAssertTrue(notices.contains { $0.taskID == stored.id }, "the assignee gets a notice")
        }
    }

    func testTwoConcurrentRetriesMakeOneTask() async throws {
        try await withApp { app in
            let client = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.tasksWrite])
            let before = try await count(app)
            let body = Self.body(title: "Nhiệm vụ gửi hai lần cùng lúc")
            let answers = try await withThrowingTaskGroup(of: BrowserResponse.self) { group in
                for _ in 0..<4 { group.addTask { try await Self.post(client, key: "cung-luc", body) } }
                var out: [BrowserResponse] = []
                for try await r in group { out.append(r) }
                return out
            }
            XCTAssertEqual(Set(answers.map(\.status)), [.created], answers.map(\.text).joined(separator: "\n"))
            XCTAssertEqual(Set(try answers.map { try $0.json()["code"] as? String }).count, 1)
            let after = try await count(app)
            XCTAssertEqual(after, before + 1)
        }
    }

    /// The answer to a creation is shown from what was just written (not read back): it is the same
    /// document a read of the task gives, participants included.
    func testTheAnswerToACreationIsWhatAReadGives() async throws {
        try await withApp { app in
            let client = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.tasksRead, .tasksWrite])
            let made = try await post(client, key: "doc-ra", Self.body(extra: ["participants": ["CB-BTCTU-P3-05", "CB-BTCTU-P3-04"],
                                                                               "description": "Có người phối hợp"]))
            XCTAssertEqual(made.status, .created, made.text)
            let answer = try made.json()
            XCTAssertEqual(answer["participants"] as? [String], ["CB-BTCTU-P3-04", "CB-BTCTU-P3-05"])
            let read = try await client.get("/api/v1/tasks/\(try XCTUnwrap(answer["code"] as? String))")
            XCTAssertEqual(NSDictionary(dictionary: try read.json()), NSDictionary(dictionary: answer), "\(read.text)\n\(made.text)")
        }
    }

    /// Task numbers are taken ahead of each task's transaction (on PostgreSQL in a statement of their
    /// own, so writers do not queue on the counter): many at once still get one number each, and the
    /// counter stands at the highest one given.
    func testTasksMadeAtOnceGetOneNumberEach() async throws {
        try await withApp { app in
            let client = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.tasksWrite])
            let codes = try await withThrowingTaskGroup(of: String?.self) { group in
                for i in 0..<12 {
                    group.addTask {
                        let answer = try await Self.post(client, key: "nhieu-\(i)", Self.body(title: "Nhiệm vụ song song \(i)"))
                        return try answer.json()["code"] as? String
                    }
                }
                var out: [String] = []
                for try await c in group { out.append(try XCTUnwrap(c)) }
                return out
            }
            XCTAssertEqual(Set(codes).count, 12, codes.joined(separator: " "))
            let year = TestEnv.today.year
            let counter = try await Counter.find("tasks-\(year)", on: app.db)?.value
            let highest = codes.compactMap { Int64($0.split(separator: "-").last ?? "") }.max()
            XCTAssertEqual(counter, highest)
        }
    }

    func testADocumentBecomesOneTaskPerReceiverWhateverTheKey() async throws {
        try await withApp { app in
            let client = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.tasksRead, .tasksWrite])
            let doc: [String: Any] = ["id": "000.00.00.H42-261201-0001", "number": "125-CV/BTCTU", "date": TestEnv.today.iso,
                                      "issuer": "Ban Tổ chức Tỉnh ủy"]
            let first = try await post(client, key: "a", Self.body(extra: ["document": doc]))
            XCTAssertEqual(first.status, .created, first.text)
            XCTAssertEqual(try first.json()["source"] as? String, "van-ban-chi-dao")
            let second = try await post(client, key: "b", Self.body(extra: ["document": doc]))
            XCTAssertEqual(second.status, .ok, "the same document to the same person: the task already made")
            XCTAssertEqual(try second.json()["code"] as? String, try first.json()["code"] as? String)
            let other = try await post(client, key: "c", Self.body(assignee: nil, extra: ["document": doc, "unit": "BTCTU-P3"]))
            XCTAssertEqual(other.status, .created, "another receiver of the same document gets a task of their own: \(other.text)")
            let byDoc = try await client.get("/api/v1/tasks?documentId=000.00.00.H42-261201-0001")
            XCTAssertEqual(try XCTUnwrap(try byDoc.json()["items"] as? [[String: Any]]).count, 2)
        }
    }

    func testEveryBadInputIsRefusedAndNothingIsWritten() async throws {
        try await withApp { app in
            let client = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.tasksRead, .tasksWrite])
            let reader = try await APIClientUnderTest.make(app, username: "qlvb-doc", org: "BTCTU", scopes: [.tasksRead])
            let before = try await count(app)
            let audited = try await AuditEntry.query(on: app.db).count()
            try await post(client, key: nil, Self.body()).assertProblem(.badRequest, "idempotency-key-missing")
            try await post(client, key: "có dấu cách", Self.body()).assertProblem(.badRequest, "idempotency-key-invalid")
            try await post(client, key: String(repeating: "k", count: 201), Self.body())
                .assertProblem(.badRequest, "idempotency-key-invalid")
            try await post(client, key: "x1", Data("{\"title\": ".utf8)).assertProblem(.badRequest, "invalid-request")
            try await post(client, key: "x2", Data("{\"title\": 5, \"productCode\": \"SP-CM-02\"}".utf8))
                .assertProblem(.badRequest, "invalid-request")
            try await post(client, key: "x3", Self.body(extra: ["unknownField": 1])).assertProblem(.badRequest, "invalid-request")
            try await post(client, key: "x4", Data()).assertProblem(.badRequest, "body-missing")
            try await post(client, key: "x5", Data(repeating: 0x20, count: APIIdempotency.jsonBodyLimit + 1))
                .assertProblem(.payloadTooLarge, "payload-too-large")
            try await post(client, key: "x6", Self.body(), headers: ["Content-Type": "text/plain"]).assertProblem(.badRequest,
                                                                                                           "invalid-request")
            let unknown = try await post(client, key: "x7", Self.body(assignee: "CB-KHONG-CO"))
            try unknown.assertProblem(.unprocessableEntity, "invalid-fields")
            XCTAssertEqual((try unknown.json()["errors"] as? [[String: String]])?.first?["field"], "assignee")
            // A person outside the client's subtree reads as unknown.
            let outside = try await post(client, key: "x8", Self.body(assignee: "CB-SNV-P1-02"))
            try outside.assertProblem(.unprocessableEntity, "invalid-fields")
            XCTAssertTrue(outside.text.contains("trong phạm vi"), outside.text)
            let reversed = try await post(client, key: "x9", Self.body(extra: ["due": TestEnv.today.adding(days: -3).iso]))
            XCTAssertEqual((try reversed.json()["errors"] as? [[String: String]])?.map { $0["field"] ?? "" }, ["due"])
            let farAway = try await post(client, key: "x10", Self.body(extra: ["start": "0226-01-01"]))
            XCTAssertTrue((try farAway.json()["errors"] as? [[String: String]])?.contains { $0["field"] == "start" } == true)
            try await post(reader, key: "x11", Self.body()).assertProblem(.forbidden, "scope-missing")
            let after = try await count(app)
            XCTAssertEqual(after, before, "no task written")
            let auditedAfter = try await AuditEntry.query(on: app.db).count()
            XCTAssertEqual(auditedAfter, audited, "nothing audited as done")
            // A refused call's answer is kept under its key like any other: the same call again gets it again,
            // a corrected one goes with a new key.
            let retried = try await post(client, key: "x7", Self.body(assignee: "CB-KHONG-CO"))
            try retried.assertProblem(.unprocessableEntity, "invalid-fields")
            XCTAssertEqual(retried.headers.first(name: "Idempotent-Replayed"), "true")
            try await post(client, key: "x7", Self.body()).assertProblem(.unprocessableEntity, "idempotency-key-reused")
            let corrected = try await post(client, key: "x7b", Self.body())
            XCTAssertEqual(corrected.status, .created, corrected.text)
        }
    }

    func testAClientSeesOnlyTheTasksOfItsSubtree() async throws {
        try await withApp { app in
            let board = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.tasksRead, .tasksWrite])
            let snv = try await APIClientUnderTest.make(app, username: "qlvb-snv", org: "SNV", scopes: [.tasksRead])
            let made = try await post(board, key: "k", Self.body())
            let code = try XCTUnwrap(try made.json()["code"] as? String)
            try await snv.get("/api/v1/tasks/\(code)").assertProblem(.notFound, "task-not-found")
            try await snv.get("/api/v1/tasks?assignee=CB-BTCTU-P3-03").assertProblem(.notFound, "person-not-found")
            try await snv.get("/api/v1/tasks?under=BTCTU").assertProblem(.notFound, "organization-not-found")
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = try await snv.get("/api/v1/tasks?limit=500" + (cursor.map { "&cursor=" + $0 } ?? ""))
                XCTAssertEqual(page.status, .ok, page.text)
                seen += try XCTUnwrap(try page.json()["items"] as? [[String: Any]]).compactMap { $0["unitCode"] as? String }
                cursor = try page.json()["next"] as? String
            } while cursor != nil
            let snvRecord = try await Organization.query(on: app.db).filter(\.$code == "SNV").first()
            let snvPath = try XCTUnwrap(snvRecord).path
            let expected = try await WorkTask.query(on: app.db).filter(\.$scopePath, .custom("LIKE"), snvPath + "%").count()
            XCTAssertEqual(seen.count, expected, "every task of Sở Nội vụ, nothing else")
            XCTAssertTrue(seen.allSatisfy { $0.hasPrefix("SNV") }, "\(Set(seen))")
            try await board.get("/api/v1/tasks?dueFrom=2026-13-01").assertProblem(.badRequest, "invalid-parameter")
        }
    }
}
