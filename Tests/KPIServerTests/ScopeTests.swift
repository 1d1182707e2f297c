import Fluent
@testable import KPIServer
import XCTVapor

/// Records outside a user's scope are neither shown nor changeable, and nothing reveals them.
final class ScopeTests: XCTestCase {
    func id(_ app: Application, _ code: String) async throws -> String {
        try await Organization.query(on: app.db).filter(\.$code == code).first()!.id!.uuidString
    }

    func testStaffSeesOnlyTheirUnitAndChangesNothing() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("canbo")
            let list = try await b.get("/danh-muc/can-bo")
            XCTAssertTrue(list.text.contains("5 bản ghi"), "only Phòng Cán bộ")
            XCTAssertFalse(list.text.contains("CB-SNV-"))
            let inside = try await id(app, "BTCTU-P3")
            let v1 = try await b.get("/danh-muc/co-quan/\(inside)").status
            XCTAssertEqual(v1, .ok)
            let v2 = try await b.get("/danh-muc/co-quan/\(inside)/sua").status
            XCTAssertEqual(v2, .forbidden)
            let outside = try await id(app, "SNV")
            let hidden = try await b.get("/danh-muc/co-quan/\(outside)")
            XCTAssertEqual(hidden.status, .notFound)
            XCTAssertFalse(hidden.text.contains("Sở Nội vụ"))
            let v3 = try await b.get("/danh-muc/co-quan/moi").status
            XCTAssertEqual(v3, .forbidden)
            let v4 = try await b.get("/nhap-du-lieu").status
            XCTAssertEqual(v4, .forbidden)
            let v5 = try await b.get("/nhat-ky").status
            XCTAssertEqual(v5, .forbidden)
            let v6 = try await b.get("/danh-muc/nguoi-dung").status
            XCTAssertEqual(v6, .forbidden, "accounts are for administrators")
            let v7 = try await b.get("/danh-muc/co-quan/xuat?dinh_dang=csv").status
            XCTAssertEqual(v7, .forbidden)
            // A forged post is refused on the server, whatever the page showed.
            let res = try await b.post("/danh-muc/co-quan/\(inside)/sua", ["ma": "BTCTU-P3", "ten": "Đổi tên", "khoi": "dang",
                                                                           "cap": "tinh", "ma_cap_tren": "BTCTU"])
            XCTAssertEqual(res.status, .forbidden, "refused before the form is read")
            XCTAssertTrue(res.text.contains("không có quyền"))
            let unchanged = try await Organization.query(on: app.db).filter(\.$code == "BTCTU-P3").first()!
            XCTAssertEqual(unchanged.name, "Phòng Cán bộ")
        }
    }

    func testUnitAdminManagesOnlyTheirSubtree() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri.snv")
            let snvUnit = try await id(app, "SNV-P1")
            try await b.get("/danh-muc/co-quan/\(snvUnit)/sua")
            let ok = try await b.post("/danh-muc/co-quan/\(snvUnit)/sua", ["ma": "SNV-P1", "ten": "Văn phòng Sở Nội vụ",
                                                                           "khoi": "chinh-quyen", "cap": "tinh", "ma_cap_tren": "SNV"])
            XCTAssertEqual(ok.status, .seeOther)
            let other = try await id(app, "BTCTU-P1")
            let v8 = try await b.get("/danh-muc/co-quan/\(other)/sua").status
            XCTAssertEqual(v8, .notFound)
            let forged = try await b.post("/danh-muc/co-quan/\(other)/ngung", [:])
            XCTAssertEqual(forged.status, .notFound)
            // Moving one of its units out of its subtree is refused.
            let out = try await b.post("/danh-muc/co-quan/\(snvUnit)/sua", ["ma": "SNV-P1", "ten": "Văn phòng", "khoi": "chinh-quyen",
                                                                            "cap": "tinh", "ma_cap_tren": "BTCTU"])
            XCTAssertTrue(out.text.contains("mã «BTCTU» không tồn tại hoặc ngoài phạm vi của bạn"))
            // Province-wide position groups need a system-wide grant.
            try await b.get("/danh-muc/nhom-vi-tri/moi")
            let group = try await b.post("/danh-muc/nhom-vi-tri/moi", ["ma": "MOI", "ten": "Nhóm mới", "loai": "ho-tro-phuc-vu"])
            XCTAssertTrue(group.text.contains("ngoài phạm vi quản lý của bạn"))
        }
    }

    func testInspectorReadsAuditButChangesNothing() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("kiemtra")
            let audit = try await b.get("/nhat-ky?hanh_dong=login")
            XCTAssertEqual(audit.status, .ok)
            XCTAssertTrue(audit.text.contains("kiemtra"))
            let v9 = try await b.get("/danh-muc/co-quan/moi").status
            XCTAssertEqual(v9, .forbidden)
            let v10 = try await b.get("/danh-muc/co-quan/xuat?dinh_dang=csv").status
            XCTAssertEqual(v10, .ok)
        }
    }

    func testLeaderAndAdvisoryCannotEditCatalogs() async throws {
        try await withApp { app in
            for user in ["lanhdao", "thammuu"] {
                var b = Browser(app)
                try await b.login(user)
                let v11 = try await b.get("/danh-muc/co-quan/moi").status
                XCTAssertEqual(v11, .forbidden, user)
                let v12 = try await b.get("/nhat-ky").status
                XCTAssertEqual(v12, .forbidden, user)
                let v13 = try await b.get("/danh-muc/co-quan").status
                XCTAssertEqual(v13, .ok, user)
            }
        }
    }
}
