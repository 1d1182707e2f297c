import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Kỷ luật, kỷ cương: who may record, bad input, voiding with a reason, who sees what.
final class DisciplineTests: XCTestCase {
    func testRecordVoidAndVisibility() async throws {
        try await withApp { app in
            var leader = Browser(app)
            try await leader.login("lanhdao")
            try await leader.get("/ky-luat/moi")
            let base = ["nguoi": "CB-BTCTU-P3-03", "loai": "vi-pham", "loai_vi_pham": "VP-01",
                        "ngay": TestEnv.today.adding(days: -2).display,
                        "ghi_chu": "Đến muộn 45 phút"]
            let cases: [([String: String], String)] = [
                (["nguoi": "CB-SNV-P1-02"], "trong phạm vi bạn được ghi nhận"),
                (["nguoi": ""], "Vui lòng ghi mã cán bộ"),
                (["loai_vi_pham": "VP-99"], "Vui lòng chọn loại vi phạm"),
                (["ngay": TestEnv.today.adding(days: 3).display], "không được sau hôm nay"),
                (["ngay": "hôm qua"], "Ngày không đọc được"),
                (["loai": "ky-luat", "hinh_thuc": "khien-trach", "so_quyet_dinh": "", "ngay_quyet_dinh": "01/10/2026"],
                 "Vui lòng ghi số quyết định"),
                (["loai": "ky-luat", "hinh_thuc": "phat-tien", "so_quyet_dinh": "12/QĐ", "ngay_quyet_dinh": "01/10/2026"],
                 "Vui lòng chọn hình thức kỷ luật"),
            ]
            for (change, message) in cases {
                let res = try await leader.post("/ky-luat/moi", base.merging(change) { $1 })
                XCTAssertEqual(res.status, .unprocessableEntity, "\(change)")
                XCTAssertTrue(res.text.contains(message), "\(change): \(message)")
                XCTAssertTrue(res.text.contains("Đến muộn 45 phút"), "what was typed is kept")
            }
            do { let n = try await DisciplineRecord.query(on: app.db).count(); XCTAssertEqual(n, 0) }

            let ok = try await leader.post("/ky-luat/moi", base)
            XCTAssertEqual(ok.status, .seeOther)
            let decision = try await leader.post("/ky-luat/moi", base.merging(["loai": "ky-luat", "nguoi": "CB-BTCTU-P3-05",
                                                                               "hinh_thuc": "khien-trach",
                                                                            "so_quyet_dinh": "125-QĐ/BTCTU",
                                                                            "ngay_quyet_dinh": "01/10/2026"]) { $1 })
            XCTAssertEqual(decision.status, .seeOther)
            let records = try await DisciplineRecord.query(on: app.db).sort(\.$occurredOn).all()
            XCTAssertEqual(records.count, 2)
            XCTAssertEqual(records[0].kind, "ky-luat")
            XCTAssertEqual(records[0].level, "khien-trach")
            XCTAssertEqual(records[1].deduction, "0.5")
            let list = try await leader.get("/ky-luat")
            XCTAssertTrue(list.text.contains("Kỷ luật khiển trách — quyết định số 125-QĐ/BTCTU ngày 01/10/2026"))
            let csv = try await leader.get("/ky-luat?dinh_dang=csv")
            XCTAssertTrue(csv.text.contains("Mã cán bộ"))
            XCTAssertTrue(csv.text.contains("CB-BTCTU-P3-05"))

            // Staff see their own records only and cannot record or void.
            var staff = Browser(app)
            try await staff.login("canbo")
            let own = try await staff.get("/ky-luat")
            XCTAssertTrue(own.text.contains("1 ghi nhận"), own.text)
            XCTAssertFalse(own.text.contains("CB-BTCTU-P3-05"))
            let home = try await staff.get("/viec")
            XCTAssertTrue(home.text.contains("<a href=\"/ky-luat\">Kỷ luật</a>"), "staff find their records in the menu")
            let form = try await staff.get("/ky-luat/moi")
            XCTAssertEqual(form.status, .forbidden)
            let staffVoid = try await staff.post("/ky-luat/\(records[1].id!)/huy", ["ly_do": "Không đúng"])
            XCTAssertEqual(staffVoid.status, .notFound)

            // Voiding needs a reason; the record stays, struck through, with the reason.
            try await leader.get("/ky-luat")
            let noReason = try await leader.post("/ky-luat/\(records[1].id!)/huy", ["ly_do": " "])
            XCTAssertEqual(noReason.status, .unprocessableEntity)
            let voided = try await leader.post("/ky-luat/\(records[1].id!)/huy", ["ly_do": "Có giấy xác nhận đi công tác"])
            XCTAssertEqual(voided.status, .seeOther)
            let again = try await leader.post("/ky-luat/\(records[1].id!)/huy", ["ly_do": "Lần nữa"])
            XCTAssertEqual(again.status, .conflict)
            let after = try await leader.get("/ky-luat")
            XCTAssertTrue(after.text.contains("Đã hủy: Có giấy xác nhận đi công tác"))
            let actions = try await AuditEntry.query(on: app.db).filter(\.$entityType == "discipline").sort(\.$id).all().map(\.action)
            XCTAssertEqual(actions, ["discipline.record", "discipline.record", "discipline.void"])

            // The advisory body keeps the violation types and may record anywhere.
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            let types = try await advisory.get("/danh-muc/vi-pham")
            XCTAssertEqual(types.status, .ok)
            XCTAssertTrue(types.text.contains("VP-01"))
            try await advisory.get("/ky-luat/moi")
            let anywhere = try await advisory.post("/ky-luat/moi", base.merging(["nguoi": "CB-SNV-P1-02"]) { $1 })
            XCTAssertEqual(anywhere.status, .seeOther)
        }
    }
}
