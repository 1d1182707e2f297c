import Fluent
import Foundation
@testable import KPIServer
import KPICore
import XCTVapor

/// Handling tasks through the API (issue 20, item 1): the document system reports progress, evidence
/// and the submission for the assignee; a client that sent a submission does not judge it; versions,
/// states, scopes and bad input are refused with problems and nothing written.
final class APIWorkTests: XCTestCase {
    static let json = ["Content-Type": "application/json"]

    static func data(_ object: [String: Any]) -> Data { try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) }

    /// A task given by `client` to the BTCTU clerk; its code and version.
    func give(_ client: APIClientUnderTest, key: String) async throws -> (code: String, version: Int) {
        let made = try await APITaskTests.post(client, key: key, APITaskTests.body())
        XCTAssertEqual(made.status, .created, made.text)
        let doc = try made.json()
        return (try XCTUnwrap(doc["code"] as? String), try XCTUnwrap(doc["version"] as? Int))
    }

    func post(_ client: APIClientUnderTest, _ path: String, _ body: [String: Any]) async throws -> BrowserResponse {
        try await client.call(.POST, path, headers: Self.json, body: Self.data(body))
    }

    func upload(_ client: APIClientUnderTest, _ code: String, name: String, _ bytes: Data) async throws -> BrowserResponse {
        try await client.call(.POST, "/api/v1/tasks/\(code)/evidence?name=\(name)", headers: ["Content-Type": "application/octet-stream"],
                              body: bytes)
    }

    static let pdf = Data("%PDF-1.4\n1 0 obj << >> endobj\ntrailer << >>\n%%EOF\n".utf8)

    func testADocumentSystemReportsTheHandlingAndAnotherDeciderAccepts() async throws {
        try await withApp { app in
            let qlvb = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.tasksRead, .tasksWrite])
            let (code, v0) = try await give(qlvb, key: "giao-1")

            let progressed = try await post(qlvb, "/api/v1/tasks/\(code)/progress",
                                            ["version": v0, "percent": 40, "note": "Đã dự thảo"])
            XCTAssertEqual(progressed.status, .ok, progressed.text)
            var task = try progressed.json()
            XCTAssertEqual(task["state"] as? String, "dang-thuc-hien")
            XCTAssertEqual(task["percent"] as? Int, 40)
            // The same form again (an old version) changes nothing.
            try await post(qlvb, "/api/v1/tasks/\(code)/progress", ["version": v0, "percent": 60]).assertProblem(.conflict, "task-changed")

            // Submitting with no evidence is refused by the workflow; then a file and a document number.
            var version = try XCTUnwrap(task["version"] as? Int)
            try await post(qlvb, "/api/v1/tasks/\(code)/submit", ["version": version]).assertProblem(.conflict, "task-state")
            let file = try await upload(qlvb, code, name: "bao-cao.pdf", Self.pdf)
            XCTAssertEqual(file.status, .created, file.text)
            XCTAssertEqual(try file.json()["sha256"] as? String, EvidenceStore.sha256(Self.pdf))
            let ref = try await post(qlvb, "/api/v1/tasks/\(code)/references", ["kind": "van-ban", "text": "125/BC-BTCTU"])
            XCTAssertEqual(ref.status, .created, ref.text)
            let listed = try await qlvb.get("/api/v1/tasks/\(code)/evidence")
            let names = try XCTUnwrap(try listed.json()["items"] as? [[String: Any]]).compactMap { $0["name"] as? String }
            XCTAssertEqual(names, ["bao-cao.pdf", "125/BC-BTCTU"])

            let submitted = try await post(qlvb, "/api/v1/tasks/\(code)/submit", ["version": version, "note": "Trình ký xong"])
            XCTAssertEqual(submitted.status, .ok, submitted.text)
            task = try submitted.json()
            XCTAssertEqual(task["state"] as? String, "cho-nghiem-thu")
            version = try XCTUnwrap(task["version"] as? Int)

            // The system that sent the result does not accept it, though it leads work in the subtree.
            try await post(qlvb, "/api/v1/tasks/\(code)/accept", ["version": version, "result": "dat"])
                .assertProblem(.forbidden, "action-forbidden")
            try await post(qlvb, "/api/v1/tasks/\(code)/return", ["version": version, "reason": "Thiếu số liệu"])
                .assertProblem(.forbidden, "action-forbidden")
            // Another client of the same subtree decides: a return, a second submission, an acceptance.
            let other = try await APIClientUnderTest.make(app, username: "dhtn-btctu", org: "BTCTU", scopes: [.tasksRead, .tasksWrite])
            let returned = try await post(other, "/api/v1/tasks/\(code)/return",
                                          ["version": version, "reason": "Thiếu số liệu quý III"])
            XCTAssertEqual(returned.status, .ok, returned.text)
            task = try returned.json()
            XCTAssertEqual(task["state"] as? String, "dang-thuc-hien")
            let again = try await post(qlvb, "/api/v1/tasks/\(code)/submit", ["version": try XCTUnwrap(task["version"] as? Int)])
            XCTAssertEqual(again.status, .ok, again.text)
            version = try XCTUnwrap(try again.json()["version"] as? Int)
            let accepted = try await post(other, "/api/v1/tasks/\(code)/accept", ["version": version, "result": "dat"])
            XCTAssertEqual(accepted.status, .ok, accepted.text)
            task = try accepted.json()
            XCTAssertEqual(task["state"] as? String, "hoan-thanh")
            XCTAssertEqual(task["verdict"] as? String, "dat")
            try await post(other, "/api/v1/tasks/\(code)/accept", ["version": try XCTUnwrap(task["version"] as? Int), "result": "dat"])
                .assertProblem(.conflict, "task-state")
            // Evidence is closed once the work is done.
            try await upload(qlvb, code, name: "bo-sung.pdf", Self.pdf).assertProblem(.conflict, "task-state")

            // The trail names each application; the timeline shows who did what.
            let found = try await WorkTask.query(on: app.db).filter(\.$code == code).first()
            let id = try XCTUnwrap(found?.id).uuidString
            let trail = try await AuditEntry.query(on: app.db).filter(\.$entityID == id).sort(\.$atMillis).all()
            XCTAssertEqual(trail.filter { $0.action == "task.nghiem-thu" }.map(\.actor), ["dhtn-btctu (API: Ứng dụng dhtn-btctu)"])
            XCTAssertEqual(trail.filter { $0.action == "task.gui-nghiem-thu" }.map(\.actor).count, 2)
            XCTAssertEqual(Set(trail.filter { $0.action == "task.gui-nghiem-thu" }.map(\.actor)),
                           ["qlvb-btctu (API: Ứng dụng qlvb-btctu)"])
        }
    }

    func testBadInputOnActionsIsRefusedAndNothingWritten() async throws {
        try await withApp { app in
            app.settings.evidenceMaxMegabytes = 1
            let qlvb = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.tasksRead, .tasksWrite])
            let (code, v0) = try await give(qlvb, key: "giao-2")
            let evidenceBefore = try await Evidence.query(on: app.db).count()
            let path = "/api/v1/tasks/\(code)"

            try await upload(qlvb, code, name: "chuong-trinh.exe", Self.pdf).assertProblem(.unprocessableEntity, "invalid-fields")
            try await upload(qlvb, code, name: "gia-mao.pdf", Data("MZ this is not a pdf".utf8))
                .assertProblem(.unprocessableEntity, "invalid-fields")
            try await upload(qlvb, code, name: "lon.pdf", Self.pdf + Data(count: 1_100_000))
                .assertProblem(.payloadTooLarge, "payload-too-large")
            try await upload(qlvb, code, name: "rong.pdf", Data()).assertProblem(.unprocessableEntity, "invalid-fields")
            try await post(qlvb, path + "/references", ["kind": "lien-ket", "text": "javascript:alert(1)"])
                .assertProblem(.unprocessableEntity, "invalid-fields")
            try await post(qlvb, path + "/progress", ["version": v0, "percent": 101]).assertProblem(.badRequest, "invalid-parameter")
            try await post(qlvb, path + "/progress", ["version": v0, "percent": "nhiều"]).assertProblem(.badRequest, "invalid-request")
            try await post(qlvb, path + "/progress", ["version": v0, "percent": 10, "thua": 1])
                .assertProblem(.badRequest, "invalid-request")
            try await post(qlvb, path + "/return", ["version": v0, "reason": "   "]).assertProblem(.unprocessableEntity, "invalid-fields")
            try await post(qlvb, path + "/accept", ["version": v0, "result": "chua-dat"])
                .assertProblem(.unprocessableEntity, "invalid-fields")
            try await post(qlvb, path + "/accept", ["version": v0, "result": "dat", "errors": 2]).assertProblem(.unprocessableEntity,
                                                                                                           "invalid-fields")
            try await post(qlvb, path + "/accept", ["version": v0, "result": "chua-dat", "errors": 1_000])
                .assertProblem(.badRequest, "invalid-parameter")
            // Outside the client's subtree, or without the scope.
            let other = try await APIClientUnderTest.make(app, username: "qlvb-snv", org: "SNV", scopes: [.tasksRead, .tasksWrite])
            try await post(other, path + "/progress", ["version": v0, "percent": 10]).assertProblem(.notFound, "task-not-found")
            try await upload(other, code, name: "bao-cao.pdf", Self.pdf).assertProblem(.notFound, "task-not-found")
            let reader = try await APIClientUnderTest.make(app, username: "doc-btctu", org: "BTCTU", scopes: [.tasksRead])
            try await post(reader, path + "/progress", ["version": v0, "percent": 10]).assertProblem(.forbidden, "scope-missing")
            try await upload(reader, code, name: "bao-cao.pdf", Self.pdf).assertProblem(.forbidden, "scope-missing")

            // An address refused before routing (a path part too long) is not found, not a wrong method.
            try await qlvb.get("/api/v1/tasks/" + String(repeating: "a", count: 300)).assertProblem(.notFound, "not-found")

            let evidenceAfter = try await Evidence.query(on: app.db).count()
            XCTAssertEqual(evidenceAfter, evidenceBefore)
            let task = try await qlvb.get(path).json()
            XCTAssertEqual(task["version"] as? Int, v0, "no refused call moved the task")
            XCTAssertEqual(task["state"] as? String, "da-giao")
        }
    }
}
