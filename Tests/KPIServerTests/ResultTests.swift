import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Kết quả and giải trình: computed from the stored inputs with the framework in force, shown
/// only to the person, the leaders above and the advisory bodies of the scope.
final class ResultTests: XCTestCase {
    func input(_ app: Application, _ code: String) async throws -> ScoreInputData {
        let person = try await Person.query(on: app.db).filter(\.$code == code).first()
        let row = try await ScoreInput.query(on: app.db).filter(\.$personID == person!.requireID()).first()
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
            let data = try await input(app, "CB-BTCTU-P3-03")
            let period = try await ScoreInput.query(on: app.db).first()!.period
            let expected = try ScoringEngine(rules: ScoringRules.seeded(data.staffKind)!).period(data.periodInput(), leader: data.leader)
            let page = try await b.get("/ket-qua/\(period)/CB-BTCTU-P3-03")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains("Tổng điểm kỳ: \(ScoringEngine.vn(hundredths: expected.totalHundredths!))"), page.text)
            XCTAssertTrue(page.text.contains("U — tổng khối lượng quy đổi được giao"))
            XCTAssertTrue(page.text.contains(data.tasks[0].productCode))
            let csv = try await b.get("/ket-qua/xuat?ky=\(period)&dinh_dang=csv")
            XCTAssertTrue(csv.text.contains("Họ và tên"))
            XCTAssertTrue(csv.text.contains("CB-BTCTU-P3-03"))
        }
    }

    func testStaffSeeOnlyTheirOwnResult() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("canbo")
            let period = try await ScoreInput.query(on: app.db).first()!.period
            let list = try await b.get("/ket-qua")
            XCTAssertTrue(list.text.contains("1 người"), list.text)
            let own = try await b.get("/ket-qua/\(period)/CB-BTCTU-P3-03")
            XCTAssertEqual(own.status, .ok)
            let other = try await b.get("/ket-qua/\(period)/CB-BTCTU-P3-04")
            XCTAssertEqual(other.status, .notFound)
        }
    }
}
