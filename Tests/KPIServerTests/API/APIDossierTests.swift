import Fluent
import Foundation
@testable import KPIServer
import KPICore
import XCTVapor

/// Hồ sơ TTHC from the one-stop system (issue 20, item 8): each finished dossier becomes a completed task
/// of its officer, on time or late by its own dates, in the period it is due; unknown officers and
/// agencies are refused by line while the rest goes in; the dossier code is the natural key; a citizen's
/// rating counts in the satisfaction group.
final class APIDossierTests: XCTestCase {
    /// Ủy ban nhân dân Phường Thành Vinh (demo identifier H40.60.02) and its one-stop centre's officer,
    /// given the position whose catalog holds the product «hồ sơ TTHC» (SP-CM-07).
    static let agency = "H40.60.02"
    static let officer = "CB-THANHVINH-UBND-P4-03"

    /// Days around the test clock's day (the suite also runs at the end of a year and on a leap day).
    static func day(_ n: Int) -> String { TestEnv.today.adding(days: n).iso }
    static let (received, due, onTime, late) = (day(-23), day(-20), day(-21), day(-16))

    static func dossier(_ serial: String, received: String = received, due: String = due, finished: String,
                        officer: String = officer, agency: String = agency, extra: [String: Any] = [:]) -> [String: Any] {
        let day = received.replacingOccurrences(of: "-", with: "").dropFirst(2)
        var d: [String: Any] = ["code": "\(agency)-\(day)-\(serial)", "procedureCode": "1.001193",
                                "procedureName": "Đăng ký khai sinh", "receivedOn": received, "dueOn": due, "finishedOn": finished,
                                "officer": officer]
        for (k, v) in extra { d[k] = v }
        return d
    }

    func send(_ client: APIClientUnderTest, _ items: [[String: Any]], key: String = UUID().uuidString) async throws
        -> BrowserResponse {
        try await Self.post(client, try JSONSerialization.data(withJSONObject: ["items": items], options: [.sortedKeys]), key: key)
    }

    static func post(_ client: APIClientUnderTest, _ body: Data, key: String = UUID().uuidString) async throws -> BrowserResponse {
        try await client.call(.POST, "/api/v1/dossiers", headers: ["Content-Type": "application/json", "Idempotency-Key": key],
                              body: body)
    }

    func prepare(_ app: Application) async throws -> APIClientUnderTest {
        let person = try await Person.query(on: app.db).filter(\.$code == Self.officer).first()
        let position = try await Position.query(on: app.db).filter(\.$code == "VT-CCTPHT").first()
        let (p, pos) = (try XCTUnwrap(person), try XCTUnwrap(position))
        p.positionID = try pos.requireID()
        try await p.save(on: app.db)
        return try await APIClientUnderTest.make(app, username: "motcua-thanhvinh", org: "THANHVINH", scopes: [.tasksRead, .tasksWrite])
    }

    func tasks(_ app: Application) async throws -> [WorkTask] {
        try await WorkTask.query(on: app.db).filter(\.$documentID, .custom("LIKE"), Self.agency + "-%").sort(\.$documentID).all()
    }

    func testFinishedDossiersBecomeCompletedTasksAndUnknownOnesAreRefusedByLine() async throws {
        try await withApp { app in
            let portal = try await prepare(app)
            let batch = [Self.dossier("0001", finished: Self.onTime, extra: ["rating": ["score": 5, "comment": "Nhanh, chu đáo"]]),
                         Self.dossier("0002", finished: Self.late),
                         Self.dossier("0003", finished: Self.onTime, officer: "CB-KHONG-CO"),
                         Self.dossier("0004", finished: Self.onTime, agency: "H40.99.09"),
                         Self.dossier("0005", finished: Self.onTime, extra: ["receivedOn": Self.day(-22)]),
                         Self.dossier("0006", finished: Self.onTime, officer: "CB-THANHVINH-UBND-P4-04"),
                         Self.dossier("0007", finished: Self.day(5))]
            let answer = try await send(portal, batch)
            XCTAssertEqual(answer.status, .ok, answer.text)
            let report = try answer.json()
            XCTAssertEqual([report["received"], report["created"], report["existing"], report["refused"]] as? [Int], [7, 2, 0, 5])
            let items = try XCTUnwrap(report["items"] as? [[String: Any]])
            XCTAssertEqual(items.map { $0["status"] as? String }, ["created", "created", "refused", "refused", "refused", "refused",
                                                                   "refused"])
            XCTAssertEqual(items[0]["late"] as? Bool, false)
            XCTAssertEqual(items[0]["rated"] as? Bool, true)
            XCTAssertEqual(items[1]["late"] as? Bool, true)
            func fields(_ i: Int) -> [String] { ((items[i]["errors"] as? [[String: Any]]) ?? []).compactMap { $0["field"] as? String } }
            XCTAssertEqual(fields(2), ["items[2].officer"])
            XCTAssertEqual(fields(3), ["items[3].code"])
            XCTAssertEqual(fields(4), ["items[4].receivedOn"])
            XCTAssertEqual(fields(5), ["items[5].officer"])
            XCTAssertEqual(fields(6), ["items[6].finishedOn"])
            XCTAssertTrue(answer.text.contains("không có sản phẩm hồ sơ TTHC"), answer.text)

            // Completed tasks of the officer, with the product of their catalog, dated by the dossier.
            let made = try await tasks(app)
            let yymmdd = Self.received.replacingOccurrences(of: "-", with: "").dropFirst(2)
            XCTAssertEqual(made.map(\.documentID), ["H40.60.02-\(yymmdd)-0001", "H40.60.02-\(yymmdd)-0002"])
            XCTAssertEqual(made.map(\.code), items.prefix(2).compactMap { $0["taskCode"] as? String })
            for t in made {
                XCTAssertEqual(t.state, TaskState.completed.rawValue)
                XCTAssertEqual(t.verdict, "dat")
                XCTAssertEqual(t.productCode, "SP-CM-07")
                XCTAssertEqual([t.start, t.due], [Self.received, Self.due])
                XCTAssertEqual(t.title, "Hồ sơ TTHC \(t.documentID): Đăng ký khai sinh")
            }
            XCTAssertEqual(made.map(\.completedOn), [Self.onTime, Self.late])
            XCTAssertEqual(made.map(\.delays), [0, 1])
            let evidence = try await Evidence.query(on: app.db).filter(\.$taskID ~~ made.compactMap(\.id)).all()
            XCTAssertEqual(Set(evidence.map(\.reference)), Set(made.map(\.documentID)))
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "task.dossier").count()
            XCTAssertEqual(audit, 2)
            let officer = try await Person.query(on: app.db).filter(\.$code == Self.officer).first()
            let officerID = try XCTUnwrap(officer?.id)
            let period = PeriodCode(year: TestEnv.today.year, kind: .month, index: TestEnv.today.month)!
            let listed = try await ScoreGathering(db: app.db).tasks(period: period, scope: .person(officerID))[officerID] ?? []
            XCTAssertEqual(listed.filter { $0.title.hasPrefix("Hồ sơ TTHC") }.map(\.delays).sorted(), [0, 1])

            // Sent again, by the same system under another key and at the same moment under two more: the
            // dossiers are found, not made again; the rating now sent with the second is recorded once.
            let again = [Self.dossier("0001", finished: Self.onTime, extra: ["rating": ["score": 5]]),
                         Self.dossier("0002", finished: Self.late, extra: ["rating": ["score": 3, "ratedOn": Self.day(-5)]])]
            let body = try JSONSerialization.data(withJSONObject: ["items": again], options: [.sortedKeys])
            let answers = try await withThrowingTaskGroup(of: BrowserResponse.self) { group in
                for _ in 0..<2 { group.addTask { try await Self.post(portal, body) } }
                var out: [BrowserResponse] = []
                for try await r in group { out.append(r) }
                return out
            }
            for a in answers {
                XCTAssertEqual(a.status, .ok, a.text)
                XCTAssertEqual(try a.json()["existing"] as? Int, 2, a.text)
            }
            let rated = try answers.map { try XCTUnwrap($0.json()["items"] as? [[String: Any]]).map { $0["rated"] as? Bool } }
            XCTAssertEqual(rated.map { $0[0] }, [false, false], "the first dossier's rating was recorded with it")
            XCTAssertEqual(Set(rated.map { $0[1] }), [true, false], "the second's is recorded by one of the two")
            let after = try await tasks(app)
            XCTAssertEqual(after.count, 2)
            let ratings = try await Rating.query(on: app.db).filter(\.$taskID ~~ made.compactMap(\.id)).all()
            XCTAssertEqual(ratings.map(\.score).sorted(), [3, 5])

            // The citizens' ratings count in the officer's satisfaction group of the month.
            let ubnd = try await Organization.query(on: app.db).filter(\.$identifier == Self.agency).first()
            // (On PostgreSQL a sum of these integer columns is NUMERIC: the gathering casts it back.)
            let gathered = try await ScoreGathering(db: app.db).gather(period: period, scope: PeriodScope(path: try XCTUnwrap(ubnd).path),
                                                                       frameworks: [])
            let metrics = try XCTUnwrap(gathered.first { $0.member.code == Self.officer }).data.metrics
            XCTAssertEqual([metrics?.satisfactionCount, metrics?.satisfactionSum], [2, 8])
        }
    }

    func testABatchOutsideTheContractOrTheClientsRightsWritesNothing() async throws {
        try await withApp { app in
            let portal = try await prepare(app)
            let before = try await WorkTask.query(on: app.db).count()
            try await send(portal, []).assertProblem(.badRequest, "invalid-parameter")
            try await send(portal, Array(repeating: Self.dossier("0001", finished: Self.onTime), count: 1_001))
                .assertProblem(.badRequest, "invalid-parameter")
            let badDate = try await send(portal, [Self.dossier("0001", finished: Self.onTime),
                                                  Self.dossier("0002", finished: TestEnv.today.display)])
            try badDate.assertProblem(.badRequest, "invalid-parameter")
            XCTAssertTrue(badDate.text.contains("items[1].finishedOn"), badDate.text)
            try await send(portal, [Self.dossier("0001", finished: Self.onTime, extra: ["rating": ["score": 9]])])
                .assertProblem(.badRequest, "invalid-parameter")
            try await send(portal, [Self.dossier("0001", finished: Self.onTime, extra: ["ngay": "x"])])
                .assertProblem(.badRequest, "invalid-request")
            let noKey = try await portal.call(.POST, "/api/v1/dossiers", headers: ["Content-Type": "application/json"],
                                              body: Data(#"{"items":[]}"#.utf8))
            try noKey.assertProblem(.badRequest, "idempotency-key-missing")
            let reader = try await APIClientUnderTest.make(app, username: "chi-doc", org: "THANHVINH", scopes: [.tasksRead])
            try await send(reader, [Self.dossier("0001", finished: Self.onTime)]).assertProblem(.forbidden, "scope-missing")
            // Another commune's system: the agency of the dossier is outside its tree, refused by line.
            let other = try await APIClientUnderTest.make(app, username: "motcua-hungnguyen", org: "HUNGNGUYEN",
                                                          scopes: [.tasksWrite])
            let outside = try await send(other, [Self.dossier("0001", finished: Self.onTime)]).json()
            XCTAssertEqual(outside["refused"] as? Int, 1)
            let after = try await WorkTask.query(on: app.db).count()
            XCTAssertEqual(after, before)
        }
    }
}
