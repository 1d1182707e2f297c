import Fluent
import Foundation
@testable import KPIServer
import KPICore
import XCTVapor

/// People in batches through the API (issue 20, item 1): the import engine of the pages, its dry
/// run, upsert by code, one bad item refusing the whole batch, the client's subtree only.
final class APIPeopleBatchTests: XCTestCase {
    static func person(_ code: String, name: String, unit: String = "BTCTU-P3", extra: [String: Any] = [:]) -> [String: Any] {
        var p: [String: Any] = ["code": code, "fullName": name, "staffKind": "cong-chuc", "organizationCode": unit,
                                "positionCode": "VT-CVTH", "activeFrom": "2026-07-01"]
        for (k, v) in extra { p[k] = v }
        return p
    }

    func send(_ client: APIClientUnderTest, _ items: [[String: Any]], dryRun: Bool = false, key: String? = nil,
              query: String? = nil) async throws -> BrowserResponse {
        let body = try JSONSerialization.data(withJSONObject: ["items": items], options: [.sortedKeys])
        var headers = ["Content-Type": "application/json"]
        if let key { headers["Idempotency-Key"] = key }
        return try await client.call(.POST, "/api/v1/people/batch" + (query ?? (dryRun ? "?dryRun=true" : "")), headers: headers,
                                     body: body)
    }

    func people(_ app: Application) async throws -> Int { try await Person.query(on: app.db).count() }

    func testADryRunThenTheBatchThenTheSameBatchChangesNothing() async throws {
        try await withApp { app in
            let hrm = try await APIClientUnderTest.make(app, username: "qlcb-btctu", org: "BTCTU", scopes: [.catalogRead, .catalogWrite])
            let batch = [Self.person("CB-API-01", name: "Nguyễn Thị Hà"),
                         Self.person("CB-API-02", name: "Trần Văn Minh", extra: ["partyMember": true, "leadershipRank": "khong"])]
            let before = try await people(app)
            let dry = try await send(hrm, batch, dryRun: true, key: "lo-1")
            XCTAssertEqual(dry.status, .ok, dry.text)
            var report = try dry.json()
            XCTAssertEqual(report["dryRun"] as? Bool, true)
            XCTAssertEqual(report["committed"] as? Bool, false)
            XCTAssertEqual(report["created"] as? Int, 2)
            let afterDry = try await people(app)
            XCTAssertEqual(afterDry, before, "the dry run writes nothing")
            // The dry run's key is not the real run's: the address is part of the request.
            try await send(hrm, batch, key: "lo-1").assertProblem(.unprocessableEntity, "idempotency-key-reused")

            report = try await send(hrm, batch).json()
            XCTAssertEqual(report["committed"] as? Bool, true)
            XCTAssertEqual(report["created"] as? Int, 2)
            let afterRun = try await people(app)
            XCTAssertEqual(afterRun, before + 2)
            let stored = try await Person.query(on: app.db).filter(\.$code == "CB-API-01").first()
            XCTAssertEqual(stored?.fullName, "Nguyễn Thị Hà")
            XCTAssertEqual(stored?.activeFrom, "2026-07-01")

            report = try await send(hrm, batch).json()
            XCTAssertEqual(report["unchanged"] as? Int, 2)
            XCTAssertEqual(report["created"] as? Int, 0)
            report = try await send(hrm, [Self.person("CB-API-01", name: "Nguyễn Thị Thu Hà")]).json()
            XCTAssertEqual(report["updated"] as? Int, 1)
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "person.create.import").all()
            XCTAssertEqual(Set(audit.map(\.actor)), ["qlcb-btctu (API: Ứng dụng qlcb-btctu)"])
        }
    }

    func testOneBadItemRefusesTheBatchAndEachProblemIsNamed() async throws {
        try await withApp { app in
            let hrm = try await APIClientUnderTest.make(app, username: "qlcb-btctu", org: "BTCTU", scopes: [.catalogRead, .catalogWrite])
            let before = try await people(app)
            let refused = try await send(hrm, [Self.person("CB-API-03", name: "Lê Văn An"),
                                               Self.person("CB-API-04", name: "Hồ Thị Bình", unit: "SNV"),
                                               Self.person("CB-API-05", name: "Phan Văn Cường",
                                                           extra: ["positionCode": "VT-KHONG-CO"])])
            try refused.assertProblem(.unprocessableEntity, "invalid-fields")
            let fields = try XCTUnwrap(try refused.json()["errors"] as? [[String: Any]]).compactMap { $0["field"] as? String }
            XCTAssertEqual(fields, ["items[1]", "items[2]"])
            let after = try await people(app)
            XCTAssertEqual(after, before, "nothing of the batch is written")

            try await send(hrm, [Self.person("CB-API-06", name: "X", extra: ["activeFrom": "2026-02-30"])])
                .assertProblem(.badRequest, "invalid-parameter")
            let unread = try await send(hrm, [Self.person("CB-API-06", name: "X")], query: "?dryRun=co")
            try unread.assertProblem(.badRequest, "invalid-request")
            XCTAssertTrue(try unread.json()["detail"] as? String ?? "" != "", unread.text)
            let many = (0...APIPeopleBatch.maxItems).map { Self.person("CB-N-\($0)", name: "Người \($0)") }
            try await send(hrm, many).assertProblem(.badRequest, "invalid-parameter")
            let reader = try await APIClientUnderTest.make(app, username: "doc-btctu", org: "BTCTU", scopes: [.catalogRead])
            try await send(reader, [Self.person("CB-API-07", name: "Võ Thị Dung")]).assertProblem(.forbidden, "scope-missing")
        }
    }
}
