import Fluent
import Foundation
@testable import KPIServer
import KPICore
import SQLKit
import XCTVapor

/// Tokens of API clients (issue 20, item 2): who is let in, with what, where; each refusal a problem
/// document with its stable code.
final class APITokenTests: XCTestCase {
    func testAClientSeesItselfAndEveryBadTokenIsRefusedWithItsOwnCode() async throws {
        try await withApp { app in
            let client = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.catalogRead, .tasksRead])
            let me = try await client.get("/api/v1/me")
            XCTAssertEqual(me.status, .ok, me.text)
            XCTAssertEqual(me.headers.first(name: .contentType), "application/json; charset=utf-8")
            let doc = try me.json()
            XCTAssertEqual(doc["name"] as? String, "Ứng dụng qlvb-btctu")
            XCTAssertEqual(doc["scopes"] as? [String], ["catalog:read", "tasks:read"])
            XCTAssertEqual(doc["organizations"] as? [String], ["BTCTU"])

            let missing = try await client.get("/api/v1/me", headers: ["Authorization": "-"])
            try missing.assertProblem(.unauthorized, "token-missing")
            XCTAssertTrue(missing.headers.first(name: .wwwAuthenticate)?.hasPrefix("Bearer") == true)
            try await client.get("/api/v1/me", headers: ["Authorization": "Basic YTpi"]).assertProblem(.unauthorized, "token-invalid")
            try await client.get("/api/v1/me", token: "kpi_" + String(repeating: "A", count: 43))
                .assertProblem(.unauthorized, "token-invalid")
            try await client.get("/api/v1/me", token: "kpi_" + String(repeating: "A", count: 5_000))
                .assertProblem(.unauthorized, "token-invalid")
            // A session cookie is no way into the API.
            var page = Browser(app)
            try await page.login("quantri")
            try await page.get("/api/v1/me").assertProblem(.unauthorized, "token-missing")
        }
    }

    func testExpiredRevokedRotatedAndLockedTokens() async throws {
        try await withApp { app in
            let svc = try await APIClientUnderTest.admin(app)
            let client = try await APIClientUnderTest.make(app, username: "qlvb-tinh", org: nil, scopes: [.catalogRead], days: 10)
            try await client.expectOK("/api/v1/me")

            // Rotation: the new token works at once, the old one for the grace period only.
            let second = try await svc.issue(client: client.id, label: "khóa 2", scopes: [.catalogRead], days: 365, rotating: true)
            try await client.expectOK("/api/v1/me", "the old token still works during the switch")
            try await client.expectOK("/api/v1/me", token: second.token)
            app.clock.advance(by: Double(APITokenRules.rotationGraceDays) * 86_400 + 60)
            try await client.get("/api/v1/me").assertProblem(.unauthorized, "token-expired")
            try await client.expectOK("/api/v1/me", token: second.token)

            // Revocation is immediate.
            try await svc.revoke(client: client.id, token: second.id)
            try await client.get("/api/v1/me", token: second.token).assertProblem(.unauthorized, "token-revoked")

            // A locked client's tokens are refused; unlocked, they work again.
            let third = try await svc.issue(client: client.id, label: "khóa 3", scopes: [.catalogRead], days: 1, rotating: false)
            try await svc.setActive(client: client.id, false)
            try await client.get("/api/v1/me", token: third.token).assertProblem(.unauthorized, "client-disabled")
            try await svc.setActive(client: client.id, true)
            try await client.expectOK("/api/v1/me", token: third.token)
            app.clock.advance(by: 86_400 + 1)
            try await client.get("/api/v1/me", token: third.token).assertProblem(.unauthorized, "token-expired")

            // Every change is in the audit trail under the administrator's name; the token's text never is.
            let entries = try await AuditEntry.query(on: app.db).filter(\.$action ~~ ["api-client.create", "api-token.issue",
                                                                                       "api-token.revoke", "api-client.disable",
                                                                                       "api-client.enable"]).all()
            XCTAssertEqual(entries.count, 7)
            XCTAssertTrue(entries.allSatisfy { $0.actor == "quantri" })
            XCTAssertFalse(entries.contains { $0.after.contains(second.token) || $0.after.contains(third.token) })
            // Only the hash is stored.
            let stored = try await APITokenRecord.query(on: app.db).all().map(\.tokenHash)
            XCTAssertTrue(stored.contains(AuditLog.sha256(second.token)))
            XCTAssertFalse(stored.contains(second.token))
        }
    }

    func testScopesAndTheClientsSubtreeDecideWhatItReads() async throws {
        try await withApp { app in
            let board = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.catalogRead])
            let tasksOnly = try await APIClientUnderTest.make(app, username: "qlvb-viec", org: "BTCTU", scopes: [.tasksRead])
            try await tasksOnly.get("/api/v1/organizations").assertProblem(.forbidden, "scope-missing")
            try await tasksOnly.get("/api/v1/people/CB-BTCTU-P3-03").assertProblem(.forbidden, "scope-missing")

            let orgs = try await board.get("/api/v1/organizations?limit=500&status=all")
            XCTAssertEqual(orgs.status, .ok, orgs.text)
            let codes = try XCTUnwrap(try orgs.json()["items"] as? [[String: Any]]).compactMap { $0["code"] as? String }
            let boardRecord = try await Organization.query(on: app.db).filter(\.$code == "BTCTU").first()
            let boardPath = try XCTUnwrap(boardRecord).path
            let inside = try await Organization.query(on: app.db).all().filter { OrgPath.contains(boardPath, $0.path) }.map(\.code)
            XCTAssertEqual(codes, inside.sorted(), "the board's subtree, by code")
            XCTAssertTrue(codes.contains("BTCTU-P3"))

            // Outside the subtree: 404, as for pages, whether asked directly or as a filter.
            try await board.get("/api/v1/organizations/SNV").assertProblem(.notFound, "organization-not-found")
            try await board.get("/api/v1/people?under=SNV").assertProblem(.notFound, "organization-not-found")
            try await board.get("/api/v1/people/CB-SNV-P1-02").assertProblem(.notFound, "person-not-found")
            let person = try await board.get("/api/v1/people/CB-BTCTU-P3-03")
            XCTAssertEqual(person.status, .ok, person.text)
            XCTAssertEqual(try person.json()["organizationCode"] as? String, "BTCTU-P3")
            XCTAssertNil(try person.json()["email"], "contact details do not leave through the API")
            let org = try await board.get("/api/v1/organizations/BTCTU-P3")
            XCTAssertEqual(try org.json()["parentCode"] as? String, "BTCTU")

            // Province-wide positions are everyone's.
            let positions = try await board.get("/api/v1/positions?limit=500")
            XCTAssertEqual(positions.status, .ok, positions.text)
            let all = try await Position.query(on: app.db).filter(\.$active == true).all()
            let seen = try XCTUnwrap(try positions.json()["items"] as? [[String: Any]]).count
            XCTAssertEqual(seen, all.filter { $0.scopePath == "/" || OrgPath.contains(boardPath, $0.scopePath) }.count)
        }
    }

    func testPagingWalksEveryRecordOnceAndRefusesBadParameters() async throws {
        try await withApp { app in
            let client = try await APIClientUnderTest.make(app, username: "qlvb-tinh", org: nil, scopes: [.catalogRead])
            var seen: [String] = []
            var cursor: String?
            var pages = 0
            repeat {
                let res = try await client.get("/api/v1/people?limit=7" + (cursor.map { "&cursor=" + $0 } ?? ""))
                XCTAssertEqual(res.status, .ok, res.text)
                let doc = try res.json()
                let items = try XCTUnwrap(doc["items"] as? [[String: Any]])
                XCTAssertLessThanOrEqual(items.count, 7)
                seen += items.compactMap { $0["code"] as? String }
                cursor = doc["next"] as? String
                pages += 1
            } while cursor != nil && pages < 1_000
            let all = try await Person.query(on: app.db).filter(\.$active == true).all().map(\.code).sorted()
            XCTAssertEqual(seen, all, "every active person once, in code order")
            XCTAssertGreaterThan(pages, 2)

            try await client.get("/api/v1/people?limit=0").assertProblem(.badRequest, "invalid-parameter")
            try await client.get("/api/v1/people?limit=501").assertProblem(.badRequest, "invalid-parameter")
            try await client.get("/api/v1/people?limit=abc").assertProblem(.badRequest, "invalid-request")
            try await client.get("/api/v1/people?limit=99999999999999999999999").assertProblem(.badRequest, "invalid-request")
            try await client.get("/api/v1/people?status=deleted").assertProblem(.badRequest, "invalid-request")
            try await client.get("/api/v1/people?cursor=%%%").assertProblem(.badRequest, "invalid-cursor")
            try await client.get("/api/v1/people?cursor=a%20b").assertProblem(.badRequest, "invalid-cursor")
            try await client.get("/api/v1/people?q=" + String(repeating: "a", count: 101)).assertProblem(.badRequest, "invalid-parameter")
            try await client.get("/api/v1/people?q=a%00b").assertProblem(.badRequest, "invalid-parameter")
            try await client.get("/api/v1/people/CB%00X").assertProblem(.notFound, "not-found")
            try await client.get("/api/v1/nothing-here").assertProblem(.notFound, "not-found")
            let wrongMethod = try await client.call(.DELETE, "/api/v1/people/CB-BTCTU-P3-03")
            try wrongMethod.assertProblem(.methodNotAllowed, "method-not-allowed")
            XCTAssertEqual(wrongMethod.headers.first(name: "Allow"), "GET")
            let search = try await client.get("/api/v1/people?q=CB-BTCTU-P3-03")
            XCTAssertEqual(try XCTUnwrap(try search.json()["items"] as? [[String: Any]]).count, 1)
        }
    }

    func testEachClientHasItsOwnLimitAndEveryCallIsLogged() async throws {
        try await withApp { app in
            let client = try await APIClientUnderTest.make(app, username: "qlvb-nho", org: nil, scopes: [.catalogRead], rate: 10)
            let other = try await APIClientUnderTest.make(app, username: "qlvb-khac", org: nil, scopes: [.catalogRead])
            for _ in 0..<10 { try await client.expectOK("/api/v1/me") }
            let refused = try await client.get("/api/v1/me")
            try refused.assertProblem(.tooManyRequests, "rate-limited")
            XCTAssertEqual(refused.headers.first(name: "Retry-After"), "60")
            try await other.expectOK("/api/v1/me", "another client's calls do not count")
            app.clock.advance(by: 61)
            try await client.expectOK("/api/v1/me", "a minute later it may call again")

            try await app.apiCalls.flush(app.store)
            let calls = try await APICallRecord.query(on: app.db).all()
            let uid = try await client.userID
            XCTAssertEqual(calls.filter { $0.userID == uid }.count, 12)
            XCTAssertEqual(calls.filter { $0.status == 429 }.count, 1)
            XCTAssertTrue(calls.allSatisfy { $0.path == "/api/v1/me" && $0.method == "GET" && $0.ip == "127.0.9.1" })
        }
    }

    /// The limit counts what other server processes logged too: a second `APICallLog` on the same
    /// database stands for another process. Its calls, once written, count here within a second; a
    /// process's unwritten calls count at once in that process.
    func testTheLimitHoldsAcrossProcessesThroughTheSharedLog() async throws {
        try await withApp { app in
            let client = try await APIClientUnderTest.make(app, username: "qlvb-hai", org: nil, scopes: [.catalogRead], rate: 10)
            let uid = try await client.userID
            let tokenID = try await APITokenRecord.query(on: app.db).filter(\.$userID == uid).first()!.requireID()
            let other = APICallLog()
            for _ in 0..<7 {
                other.record(.init(userID: uid, tokenID: tokenID, method: "GET", path: "/api/v1/me", status: 200, milliseconds: 1,
                                   ip: "127.0.9.2", at: app.clock.now), store: app.store, logger: app.logger)
            }
            let counted = try await other.callsInLastMinute(client: uid, now: app.clock.now, store: app.store)
            XCTAssertEqual(counted, 7, "unwritten calls count in their own process")
            try await other.flush(app.store)
            for _ in 0..<3 { try await client.expectOK("/api/v1/me") }
            app.clock.advance(by: 1)
            try await client.get("/api/v1/me").assertProblem(.tooManyRequests, "rate-limited")
            app.clock.advance(by: 60)
            try await client.expectOK("/api/v1/me", "a minute later the other process's calls no longer count")
            try await app.apiCalls.flush(app.store)
            let used = try await APITokenRecord.find(tokenID, on: app.db)?.lastUsedAt
            XCTAssertNotNil(used, "the token's last use is written with the log")
        }
    }

    /// The api-client role leads work within its subtree, through the API only: the roles page does
    /// not give it to a person's account, and a session never carries it (were it in the database).
    func testTheAPIRoleNeverReachesThePages() async throws {
        try await withApp { app in
            var admin = Browser(app)
            try await admin.login("quantri")
            let canbo = try await Browser.principal(app, "canbo")
            let res = try await admin.post("/nguoi-dung/\(canbo.userID.uuidString)/quyen", ["vai_tro": "api-client", "don_vi": "BTCTU-P3"])
            XCTAssertEqual(res.status, .unprocessableEntity)
            XCTAssertTrue(res.text.contains("chỉ cấp cho ứng dụng kết nối"), res.text)
            let granted = try await RoleGrant.query(on: app.db).filter(\.$role == "api-client").count()
            XCTAssertEqual(granted, 0)
            // Written past the service, the grant still gives a signed-in person nothing.
            let p3Record = try await Organization.query(on: app.db).filter(\.$code == "BTCTU-P3").first()
            let p3 = try XCTUnwrap(p3Record)
            let g = RoleGrant()
            g.userID = canbo.userID; g.role = "api-client"; g.organizationID = p3.id; g.scopePath = p3.path; g.grantedBy = "thử"
            try await g.create(on: app.db)
            var staff = Browser(app)
            try await staff.login("canbo")
            let board = try await staff.get("/viec/bang")
            XCTAssertEqual(board.status, .forbidden, "the unit board stays a leader's")
            let recurring = try await staff.get("/viec/thuong-xuyen")
            XCTAssertEqual(recurring.status, .forbidden)
        }
    }

    func testTheContractAndItsReferencePageAreServed() async throws {
        try await withApp(demo: false) { app in
            var b = Browser(app)
            let yaml = try await b.get("/api/v1/openapi.yaml")
            XCTAssertEqual(yaml.status, .ok)
            XCTAssertTrue(yaml.text.hasPrefix("openapi: 3.1.0"))
            let page = try await b.get("/api/v1")
            XCTAssertEqual(page.status, .ok)
            for id in ["getMe", "listOrganizations", "getOrganization", "listPositions", "listPeople", "getPerson"] {
                XCTAssertTrue(page.text.contains("id=\"\(id)\""), id)
            }
            XCTAssertTrue(page.text.contains("GET /api/v1/people/{code}"))
            XCTAssertTrue(page.text.contains("application/problem+json: Problem"))
        }
    }
}

extension APIClientUnderTest {
    var userID: UUID {
        get async throws {
            let record = try await APIClientRecord.find(id, on: app.db)
            return try XCTUnwrap(record).userID
        }
    }
}
