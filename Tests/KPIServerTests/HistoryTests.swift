import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Lịch sử kết quả (issue 19, item 5): a person's approved results by period and year, current
/// revisions, with the trend; seen by the person and those who may see their detailed scores only.
final class HistoryTests: XCTestCase {
    func testOnesOwnHistoryWithCorrectionsTrendAndExport() async throws {
        try await withApp { app in
            let me = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-03").first()!
            let y = TestEnv.today.year - 1
            _ = try await YearRollupTests.period(app, "\(y)-01", agency: "BTCTU", state: .locked, person: me, revisions: [8_000])
            _ = try await YearRollupTests.period(app, "\(y)-02", agency: "BTCTU", state: .locked, person: me, revisions: [7_000, 8_450])
            _ = try await YearRollupTests.period(app, "\(y)-03", agency: "BTCTU", state: .review, person: me, revisions: [])
            _ = try await YearRollupTests.period(app, "\(y)", agency: "BTCTU", state: .published, person: me, revisions: [8_225])
            let waiting = try await YearRollupTests.period(app, "\(y)-04", agency: "BTCTU", state: .selfAssessment, person: me,
                                                           revisions: [])

            var staff = Browser(app)
            try await staff.login("canbo")
            let results = try await staff.get("/ket-qua")
            XCTAssertTrue(results.text.contains("href=\"/ket-qua/nguoi/CB-BTCTU-P3-03\""), "linked from the results page")
            let page = try await staff.get("/ket-qua/nguoi/CB-BTCTU-P3-03")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains("Lịch sử kết quả của tôi"))
            XCTAssertTrue(page.text.contains("href=\"/ket-qua/\(y)-02/CB-BTCTU-P3-03\""), "each period links to its explanation")
            XCTAssertTrue(page.text.contains("84,50"), "the current revision's score")
            XCTAssertFalse(page.text.contains("70,00"), "not the corrected one")
            XCTAssertTrue(page.text.contains("đã sửa 1 lần"))
            XCTAssertFalse(page.text.contains("Tháng 3/\(y)"), "a period not yet approved is not history")
            XCTAssertTrue(page.text.contains("Năm \(y)") && page.text.contains("82,25"))
            XCTAssertTrue(page.text.contains("data-value=\"8000\"") && page.text.contains("data-value=\"8450\""), "the trend's dots")
            // The home page: the trend of the last six approved months and quarters (current revisions),
            // as read here from the sheets, the self-assessment waiting, the link to the history.
            let approved = try await app.db.rows("""
                SELECT p.code, e.hundredths FROM evaluations e JOIN evaluation_periods p ON p.id = e.period_id
                WHERE e.person_id = \(bind: me.id!) AND e.revision > 0 AND p.state IN ('cong-khai', 'da-chot')
                """, { (try $0.next(String.self), try $0.next(Int?.self)) })
                .filter { PeriodCode($0.0)?.kind != .year }.sorted { $0.0 < $1.0 }.suffix(6)
            let home = try await staff.get("/")
            let trend = home.text.components(separatedBy: "id=\"xu-huong-cua-toi\"").dropFirst().first?
                .components(separatedBy: "</figure>").first ?? ""
            XCTAssertEqual(trend.components(separatedBy: "data-value=\"").dropFirst().map { $0.prefix { $0 != "\"" } },
                           approved.map { "\($0.1 ?? 0)" }, "the trend's dots, oldest first")
            let selfLink = "href=\"/ky-danh-gia/\(waiting.periodID.uuidString)/phieu/CB-BTCTU-P3-03\">Tự đánh giá tháng 4/\(y)"
            XCTAssertTrue(home.text.contains(selfLink), "the self-assessment waiting")
            XCTAssertTrue(home.text.contains("href=\"/ket-qua/nguoi/CB-BTCTU-P3-03\">Lịch sử kết quả của tôi"))
            let csv = try await staff.get("/ket-qua/nguoi/CB-BTCTU-P3-03?dinh_dang=csv")
            XCTAssertTrue(csv.text.contains("Tháng 2/\(y)") && csv.text.contains("84,50"))

            // Others' history: their evaluators see it; a colleague and another agency's administrator do not.
            var leader = Browser(app)
            try await leader.login("lanhdao")
            do { let s = try await leader.get("/ket-qua/nguoi/CB-BTCTU-P3-03").status; XCTAssertEqual(s, .ok) }
            do { let s = try await staff.get("/ket-qua/nguoi/CB-BTCTU-P3-04").status; XCTAssertEqual(s, .notFound) }
            var outsider = Browser(app)
            try await outsider.login("quantri.snv")
            do { let s = try await outsider.get("/ket-qua/nguoi/CB-BTCTU-P3-03").status; XCTAssertEqual(s, .notFound) }
            do { let s = try await staff.get("/ket-qua/nguoi/\(String(repeating: "X", count: 150))").status; XCTAssertEqual(s, .notFound) }
        }
    }
}
