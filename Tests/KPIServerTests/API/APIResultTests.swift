import Fluent
import Foundation
@testable import KPIServer
import KPICore
import XCTVapor

/// Periods and results through the API (issue 20, item 1): only published or locked results leave
/// the system unless the token may read unpublished ones; a client reads its subtree's people only.
final class APIResultTests: XCTestCase {
    /// A period of `agency` in `state` with one official result per person of the agency.
    func period(_ app: Application, agency: String, state: EvaluationState) async throws -> EvaluationPeriod {
        let found = try await Organization.query(on: app.db).filter(\.$code == agency).first()
        let org = try XCTUnwrap(found)
        let month = PeriodCode.containing(TestEnv.today.adding(days: 400), kind: .month)
        let p = EvaluationPeriod(code: month, organizationID: try org.requireID(),
                                 scopePath: org.path, openedBy: "test")
        p.state = state.rawValue
        try await p.create(on: app.db)
        let people = try await Person.query(on: app.db).filter(\.$scopePath, .custom("LIKE"), org.path + "%").sort(\.$code).all()
        for (i, person) in people.enumerated() {
            let e = Evaluation()
            e.id = UUID(); e.periodID = try p.requireID(); e.personID = try person.requireID(); e.personCode = person.code
            e.scopePath = person.scopePath; e.isLeader = person.leadershipRank != "khong"
            e.selfComment = ""; e.selfRubric = "{}"; e.reviewComment = ""; e.reviewRubric = "{}"; e.reviewTaskScore = ""; e.reviewedBy = ""
            e.level = i == 0 ? Level.excellent.rawValue : Level.good.rawValue
            e.hundredths = 9_000 - i * 105
            e.reasons = "[]"; e.revision = 1
            try await e.create(on: app.db)
        }
        return p
    }

    func testOnlyPublishedResultsLeaveWithoutTheUnpublishedScope() async throws {
        try await withApp { app in
            let btctu = try await period(app, agency: "BTCTU", state: .approval)
            _ = try await period(app, agency: "SNV", state: .published)
            let reader = try await APIClientUnderTest.make(app, username: "hrm-btctu", org: "BTCTU", scopes: [.resultsRead])
            let id = try btctu.requireID().uuidString

            // The client's agency's periods only.
            let periodDoc = try await reader.get("/api/v1/periods").json()
            let periods = try XCTUnwrap(periodDoc["items"] as? [[String: Any]])
            XCTAssertTrue(periods.contains { $0["id"] as? String == id })
            XCTAssertEqual(Set(periods.compactMap { $0["organizationCode"] as? String }), ["BTCTU"])
            let approving = try await reader.get("/api/v1/periods?state=phe-duyet&kind=month").json()
            let listed = try XCTUnwrap(approving["items"] as? [[String: Any]])
            XCTAssertEqual(listed.compactMap { $0["id"] as? String }, [id])
            XCTAssertEqual(listed.first?["published"] as? Bool, false)

            // Not yet published: refused without the scope.
            try await reader.get("/api/v1/periods/\(id)/results").assertProblem(.forbidden, "results-unpublished")
            let insider = try await APIClientUnderTest.make(app, username: "tcbt-btctu", org: "BTCTU",
                                                            scopes: [.resultsRead, .resultsReadUnpublished])
            try await insider.expectOK("/api/v1/periods/\(id)/results", "the unpublished scope reads it")

            // Published: every person of the agency, paged by code, official scores.
            btctu.state = EvaluationState.published.rawValue
            try await btctu.save(on: app.db)
            let first = try await reader.get("/api/v1/periods/\(id)/results?limit=2").json()
            let items = try XCTUnwrap(first["items"] as? [[String: Any]])
            XCTAssertEqual(items.count, 2)
            XCTAssertEqual(items[0]["level"] as? String, "HTXSNV")
            XCTAssertEqual(items[0]["score"] as? String, "90.00")
            XCTAssertEqual(items[1]["score"] as? String, "88.95")
            XCTAssertEqual(items[0]["levelName"] as? String, "Hoàn thành xuất sắc nhiệm vụ")
            let next = try XCTUnwrap(first["next"] as? String)
            let restDoc = try await reader.get("/api/v1/periods/\(id)/results?limit=500&cursor=\(next)").json()
            let rest = try XCTUnwrap(restDoc["items"] as? [[String: Any]])
            let all = try await Evaluation.query(on: app.db).filter(\.$periodID == btctu.requireID()).count()
            XCTAssertEqual(items.count + rest.count, all)
            XCTAssertFalse(rest.contains { ($0["personCode"] as? String) == items[1]["personCode"] as? String })

            // Another agency's period is not found, whatever its state; a malformed id is a 400.
            let other = try await EvaluationPeriod.query(on: app.db).filter(\.$state == "cong-khai")
                .filter(\.$id != btctu.requireID()).first()
            let snv = try XCTUnwrap(other)
            try await reader.get("/api/v1/periods/\(snv.requireID().uuidString)/results").assertProblem(.notFound, "period-not-found")
            try await reader.get("/api/v1/periods/khong-phai-uuid/results").assertProblem(.badRequest, "invalid-parameter")
            let tasksOnly = try await APIClientUnderTest.make(app, username: "qlvb-btctu", org: "BTCTU", scopes: [.tasksRead])
            try await tasksOnly.get("/api/v1/periods").assertProblem(.forbidden, "scope-missing")
        }
    }

    /// A client given one unit reads that unit's people in its agency's period, nobody else's.
    func testAUnitsClientReadsItsOwnPeopleOnly() async throws {
        try await withApp { app in
            let btctu = try await period(app, agency: "BTCTU", state: .locked)
            let unit = try await APIClientUnderTest.make(app, username: "hrm-p3", org: "BTCTU-P3", scopes: [.resultsRead])
            let doc = try await unit.get("/api/v1/periods/\(btctu.requireID().uuidString)/results?limit=500").json()
            let orgs = try XCTUnwrap(doc["items"] as? [[String: Any]]).compactMap { $0["organizationCode"] as? String }
            XCTAssertFalse(orgs.isEmpty)
            XCTAssertEqual(Set(orgs), ["BTCTU-P3"])
        }
    }
}
