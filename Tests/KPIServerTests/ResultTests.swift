import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Kết quả and giải trình: computed from the stored inputs with the framework in force, shown
/// only to the person, the leaders above and the advisory bodies of the scope.
final class ResultTests: XCTestCase {
    /// The earliest period with stored inputs (the demo's last month; a database returns rows in no set order).
    func firstPeriod(_ app: Application) async throws -> String {
        let row = try await ScoreInput.query(on: app.db).sort(\.$period).first()
        return try XCTUnwrap(row).period
    }

    func input(_ app: Application, _ code: String, period: String) async throws -> ScoreInputData {
        let person = try await Person.query(on: app.db).filter(\.$code == code).first()
        let row = try await ScoreInput.query(on: app.db).filter(\.$personID == person!.requireID()).filter(\.$period == period).first()
        return try JSONDecoder().decode(ScoreInputData.self, from: Data(try XCTUnwrap(row).data.utf8))
    }

    func testExplanationMatchesTheEngine() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("lanhdao")
            let list = try await b.get("/ket-qua")
            XCTAssertEqual(list.status, .ok)
            XCTAssertTrue(list.text.contains("CB-BTCTU-P3-03"))
            XCTAssertFalse(list.text.contains("CB-SNV-"), "only the leader's scope")
            let period = try await firstPeriod(app)
            let data = try await input(app, "CB-BTCTU-P3-03", period: period)
            let expected = try ScoringEngine(rules: ScoringRules.seeded(data.staffKind)!).period(data.periodInput(), leader: data.leader)
            let page = try await b.get("/ket-qua/\(period)/CB-BTCTU-P3-03")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains("Tổng điểm kỳ: \(ScoringEngine.vn(hundredths: expected.totalHundredths!))"), page.text)
            XCTAssertTrue(page.text.contains("U — tổng khối lượng quy đổi được giao"))
            XCTAssertTrue(page.text.contains(try XCTUnwrap(data.tasks.first).productCode))
            let csv = try await b.get("/ket-qua/xuat?ky=\(period)&dinh_dang=csv")
            XCTAssertTrue(csv.text.contains("Họ và tên"))
            XCTAssertTrue(csv.text.contains("CB-BTCTU-P3-03"))
        }
    }

    func testStaffSeeOnlyTheirOwnResult() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("canbo")
            let period = try await firstPeriod(app)
            let list = try await b.get("/ket-qua")
            XCTAssertTrue(list.text.contains("1 người"), list.text)
            let own = try await b.get("/ket-qua/\(period)/CB-BTCTU-P3-03")
            XCTAssertEqual(own.status, .ok)
            let other = try await b.get("/ket-qua/\(period)/CB-BTCTU-P3-04")
            XCTAssertEqual(other.status, .notFound)
        }
    }

    /// Issue 19, item 9: the list and the explanation show what the last recompute stored — the score,
    /// the level the agency's quota left and the quota's reasons — and never rank an agency on view.
    func testListAndExplanationReadTheStoredRanking() async throws {
        try await withApp { app in
            let period = try await firstPeriod(app)
            // Each agency ranked afresh here, from the raw rows: the stored results say the same.
            let frameworks = try await Framework.query(on: app.db).filter(\.$status == "published").all()
            var ranked: [String: PersonResult] = [:]
            for batch in Dictionary(grouping: try await ScoreInputs.load(period: period, on: app.db), by: \.agency).values {
                for (code, r) in try ScoreInputs.score(agency: batch.map { ($0.row.scopePath, $0.data) }, period: period,
                                                       frameworks: frameworks) { ranked[code] = r.result }
            }
            let scores = ScoreService(store: app.store, principal: try await Browser.principal(app, "thammuu"))
            let rows = try await scores.results(period: period)
            XCTAssertEqual(rows.count, ranked.count)
            for row in rows { XCTAssertEqual(row.result, ranked[row.input.personCode], row.input.personCode) }
            XCTAssertTrue(rows.contains { $0.result.explanation.contains(where: \.isQuota) }, "someone is within the quota")

            // What the page shows is the stored row, whatever ranking again would say.
            let me = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-03").first()!
            try await app.db.sql.raw("""
                UPDATE score_inputs SET hundredths = 4321, level = \(bind: Level.fail.rawValue), quota = '', tie = \(bind: true)
                WHERE person_id = \(bind: me.id!) AND period = \(bind: period)
                """).run()
            var b = Browser(app)
            try await b.login("thammuu")
            let list = try await b.get("/ket-qua?ky=\(period)&q=CB-BTCTU-P3-03")
            XCTAssertTrue(list.text.contains("1 người"), list.text)
            XCTAssertTrue(list.text.contains("43,21"))
            XCTAssertTrue(list.text.contains(Level.fail.label))
            XCTAssertTrue(list.text.contains("đồng điểm"))
            let explained = try await scores.explain(period: period, personCode: "CB-BTCTU-P3-03")
            XCTAssertEqual(explained.level, .fail)
            XCTAssertTrue(explained.tie)

            // A page at a time, the same lines as the export in the same order.
            let everyone = try await b.get("/ket-qua/xuat?ky=\(period)&dinh_dang=csv")
            let codes = everyone.text.split(whereSeparator: \.isNewline).dropFirst()
                .compactMap { $0.split(separator: ",").dropFirst().first }.map(String.init)
            XCTAssertEqual(codes.count, ranked.count)
            let pages = (codes.count + ResultController.perPage - 1) / ResultController.perPage
            guard pages > 1 else { return XCTFail("the demo's people fill more than one page") }
            for page in [1, 2, pages] {
                let res = try await b.get("/ket-qua?ky=\(period)&trang=\(page)")
                XCTAssertTrue(res.text.contains("Trang \(page)/\(pages)"), "\(page)")
                let shown = codes.dropFirst((page - 1) * ResultController.perPage).prefix(ResultController.perPage)
                XCTAssertTrue(shown.allSatisfy { res.text.contains("/ket-qua/\(period)/\($0)\"") })
                XCTAssertFalse(codes.filter { !shown.contains($0) }.contains { res.text.contains("/ket-qua/\(period)/\($0)\"") })
            }
            let beyond = try await b.get("/ket-qua?ky=\(period)&trang=9999")
            XCTAssertTrue(beyond.text.contains("Trang \(pages)/\(pages)"), "a page past the end shows the last")
        }
    }
}
