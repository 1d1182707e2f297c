import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Xếp loại các năm trước (issue 19, item 7): last years' levels imported through the import engine,
/// one row per person and year, read by the personnel lists where the system has no year result.
final class PriorLevelTests: XCTestCase {
    func upload(_ b: inout Browser, _ name: String, _ text: String) async throws -> BrowserResponse {
        try await b.get("/nhap-du-lieu")
        return try await b.upload("/nhap-du-lieu", fields: ["danh_muc": "xep-loai-nam-truoc"], fileField: "tep", fileName: name,
                                  data: Data(text.utf8))
    }

    func hash(_ r: BrowserResponse) throws -> String {
        try XCTUnwrap(r.text.range(of: "name=\"tep_hash\" value=\"").map { String(r.text[$0.upperBound...].prefix(64)) }, r.text)
    }

    func testLastYearsLevelsAreImportedAndReadByThePersonnelLists() async throws {
        try await withApp { app in
            let y = TestEnv.today.year - 1
            var admin = Browser(app)
            try await admin.login("thammuu")
            // A person who does not exist and the same person and year twice: refused, nothing written.
            let bad = try await upload(&admin, "xl.csv", """
                Mã cán bộ,Năm,Xếp loại,Căn cứ
                CB-BTCTU-P3-03,\(y - 1),HTXSNV,Quyết định số 12/QĐ-BTCTU
                CB-KHONG-CO,\(y - 1),HTNV,
                CB-BTCTU-P3-04,\(y - 1),HTTNV,
                CB-BTCTU-P3-04,\(y - 1),KHTNV,
                """)
            XCTAssertTrue(bad.text.contains("CB-KHONG-CO"), bad.text)
            XCTAssertTrue(bad.text.contains("«CB-BTCTU-P3-04», năm \(y - 1) lặp lại ở các dòng 4, 5"), bad.text)
            let none = try await PriorLevel.query(on: app.db).count()
            XCTAssertEqual(none, 0)

            // Several years of one person in one file; the dry run, then the import.
            let file = """
                Mã cán bộ,Năm,Xếp loại,Căn cứ
                CB-BTCTU-P3-03,\(y - 1),HTXSNV,Quyết định số 12/QĐ-BTCTU
                CB-BTCTU-P3-04,\(y - 1),KHTNV,Quyết định số 12/QĐ-BTCTU
                CB-BTCTU-P3-04,\(y),HTNV,Quyết định số 30/QĐ-BTCTU
                """
            let dry = try await upload(&admin, "xl.csv", file)
            XCTAssertTrue(dry.text.contains("Thêm mới: <strong>3</strong>"), dry.text)
            let done = try await admin.post("/nhap-du-lieu/xac-nhan", ["danh_muc": "xep-loai-nam-truoc", "tep_hash": try hash(dry),
                                                                        "ten_tep": "xl.csv"])
            XCTAssertEqual(done.status, .ok)
            let rows = try await PriorLevel.query(on: app.db).all()
            XCTAssertEqual(rows.count, 3)
            // The same person and year again updates the row (a corrected decision), never a second one.
            let fix = try await upload(&admin, "xl2.csv", """
                Mã cán bộ,Năm,Xếp loại,Căn cứ
                CB-BTCTU-P3-04,\(y),KHTNV,Quyết định số 31/QĐ-BTCTU
                """)
            XCTAssertTrue(fix.text.contains("Cập nhật: <strong>1</strong>"), fix.text)
            _ = try await admin.post("/nhap-du-lieu/xac-nhan", ["danh_muc": "xep-loai-nam-truoc", "tep_hash": try hash(fix),
                                                                 "ten_tep": "xl2.csv"])
            let weak = try await PriorLevel.query(on: app.db).filter(\.$personCode == "CB-BTCTU-P3-04").filter(\.$year == y).all()
            XCTAssertEqual(weak.map(\.level), [Level.fail.rawValue])
            XCTAssertEqual(weak.map(\.basis), ["Quyết định số 31/QĐ-BTCTU"])
            let audited = try await AuditEntry.query(on: app.db).filter(\.$entityType == "prior_level").count()
            XCTAssertGreaterThanOrEqual(audited, 4)

            // The lists: "không hoàn thành" two years running, both imported; "xuất sắc" two years, the
            // last from the system's own year result.
            let star = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-03").first()!
            _ = try await YearRollupTests.period(app, "\(y)", agency: "BTCTU", state: .published, person: star, revisions: [9_300])
            var adviser = Browser(app)
            try await adviser.login("thammuu")
            let page = try await adviser.get("/bao-cao/cong-tac-can-bo?nam=\(y)").text
            func section(_ name: String) -> String {
                page.components(separatedBy: name).dropFirst().first?.components(separatedBy: "</section>").first ?? ""
            }
            XCTAssertTrue(section("Hoàn thành xuất sắc nhiệm vụ 2 năm liên tiếp").contains(star.fullName), page)
            let twice = section("Không hoàn thành nhiệm vụ 2 năm liên tiếp")
            XCTAssertTrue(twice.contains("CB-BTCTU-P3-04") && twice.contains("1 người"), twice)

            // Who sees the catalog: the unit's leader its own people; a specialist nobody's.
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let list = try await leader.get("/danh-muc/xep-loai-nam-truoc")
            XCTAssertEqual(list.status, .ok)
            XCTAssertTrue(list.text.contains("CB-BTCTU-P3-04"))
            var staff = Browser(app)
            try await staff.login("canbo")
            let refused = try await staff.get("/danh-muc/xep-loai-nam-truoc").status
            XCTAssertEqual(refused, .forbidden)
        }
    }
}
