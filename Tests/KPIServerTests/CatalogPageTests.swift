import Fluent
@testable import KPIServer
import XCTVapor

final class CatalogPageTests: XCTestCase {
    func org(_ app: Application, _ code: String) async throws -> Organization {
        try await Organization.query(on: app.db).filter(\.$code == code).first()!
    }

    func testListSearchFilterAndPaging() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            let all = try await b.get("/danh-muc/co-quan")
            XCTAssertEqual(all.status, .ok)
            XCTAssertTrue(all.text.contains("85 bản ghi"), "the whole demo tree")
            XCTAssertTrue(all.text.contains("Trang 1/2"))
            // Search without diacritics finds names with them.
            let search = try await b.get("/danh-muc/co-quan?q=nam%20can")
            XCTAssertTrue(search.text.contains("Xã Nậm Cắn"))
            XCTAssertFalse(search.text.contains("Phường Thành Vinh"))
            let block = try await b.get("/danh-muc/co-quan?khoi=mat-tran-doan-the&cap=tinh")
            XCTAssertTrue(block.text.contains("4 bản ghi"), "MTTQ tỉnh and its 3 units")
            let subtree = try await b.get("/danh-muc/can-bo?don_vi=BTCTU")
            XCTAssertTrue(subtree.text.contains("20 bản ghi"))
            let page2 = try await b.get("/danh-muc/co-quan?trang=2&sap_xep=ten&chieu=giam")
            XCTAssertEqual(page2.status, .ok)
            XCTAssertTrue(page2.text.contains("Trang 2/2"))
            for key in ["nhom-vi-tri", "vi-tri-viec-lam", "can-bo", "nguoi-dung"] {
                let res = try await b.get("/danh-muc/\(key)")
                XCTAssertEqual(res.status, .ok, key)
            }
            let v1 = try await b.get("/danh-muc/khong-co").status
            XCTAssertEqual(v1, .notFound)
        }
    }

    func testCreateEditDeactivateOrganization() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            try await b.get("/danh-muc/co-quan/moi")
            let created = try await b.post("/danh-muc/co-quan/moi",
                                           ["ma": "SNV-P5", "ten": "Phòng Thi đua - Khen thưởng", "khoi": "chinh-quyen",
                                            "cap": "tinh", "ma_cap_tren": "SNV", "thu_tu": "5"])
            XCTAssertEqual(created.status, .seeOther)
            let id = created.location.split(separator: "/")[2].split(separator: "?")[0]
            let page = try await b.get("/danh-muc/co-quan/\(id)")
            XCTAssertTrue(page.text.contains("Phòng Thi đua - Khen thưởng"))
            XCTAssertTrue(page.text.contains("Sở Nội vụ"), "breadcrumb shows the parent")
            let snv = try await org(app, "SNV")
            let p5 = try await org(app, "SNV-P5")
            XCTAssertEqual(p5.path, snv.path + p5.id!.uuidString + "/")

            try await b.get("/danh-muc/co-quan/\(id)/sua")
            let edited = try await b.post("/danh-muc/co-quan/\(id)/sua",
                                          ["ma": "SNV-P5", "ten": "Phòng Thi đua, Khen thưởng", "khoi": "chinh-quyen", "cap": "tinh",
                                           "ma_cap_tren": "SNV"])
            XCTAssertEqual(edited.status, .seeOther)
            try await b.get("/danh-muc/co-quan/\(id)/ngung")
            let confirm = try await b.get("/danh-muc/co-quan/\(id)/ngung")
            XCTAssertTrue(confirm.text.contains("Xác nhận ngừng hoạt động"))
            let v2 = try await b.post("/danh-muc/co-quan/\(id)/ngung", [:]).status
            XCTAssertEqual(v2, .seeOther)
            let inactive = try await org(app, "SNV-P5")
            XCTAssertFalse(inactive.active)
            let actions = try await AuditEntry.query(on: app.db).filter(\.$entityID == String(id)).sort(\.$id).all().map(\.action)
            XCTAssertEqual(actions, ["organization.create", "organization.update", "organization.deactivate"])
            let update = try await AuditEntry.query(on: app.db).filter(\.$action == "organization.update").first()!
            XCTAssertTrue(update.before.contains("Phòng Thi đua - Khen thưởng"))
            XCTAssertTrue(update.after.contains("Phòng Thi đua, Khen thưởng"))
        }
    }

    func testCannotDeactivateUnitWithActiveMembers() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            let snv = try await org(app, "SNV")
            try await b.get("/danh-muc/co-quan/\(snv.id!.uuidString)/ngung")
            let res = try await b.post("/danh-muc/co-quan/\(snv.id!.uuidString)/ngung", [:])
            XCTAssertEqual(res.status, .conflict)
            XCTAssertTrue(res.text.contains("còn 4 đơn vị trực thuộc"))
            let still = try await org(app, "SNV")
            XCTAssertTrue(still.active)
        }
    }

    func testBadInputKeepsValuesAndWritesNothing() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            try await b.get("/danh-muc/co-quan/moi")
            let before = try await Organization.query(on: app.db).count()
            let empty = try await b.post("/danh-muc/co-quan/moi", ["ma": "", "ten": "", "khoi": "dang", "cap": "tinh"])
            XCTAssertEqual(empty.status, .unprocessableEntity)
            XCTAssertTrue(empty.text.contains("«Mã»: không được để trống"))
            XCTAssertTrue(empty.text.contains("«Tên»: không được để trống"))
            let long = try await b.post("/danh-muc/co-quan/moi", ["ma": "DAI", "ten": String(repeating: "Ư", count: 300), "khoi": "dang",
                                                                  "cap": "tinh"])
            XCTAssertTrue(long.text.contains("dài 300 ký tự, tối đa 255"))
            XCTAssertTrue(long.text.contains("value=\"DAI\""), "values are kept after an error")
            let dup = try await b.post("/danh-muc/co-quan/moi", ["ma": "SNV", "ten": "Trùng", "khoi": "dang", "cap": "tinh"])
            XCTAssertTrue(dup.text.contains("mã «SNV» đã được dùng cho «Sở Nội vụ»"))
            let unknown = try await b.post("/danh-muc/co-quan/moi", ["ma": "MOI", "ten": "Mới", "khoi": "dang", "cap": "tinh",
                                                                     "ma_cap_tren": "KHONGCO"])
            XCTAssertTrue(unknown.text.contains("mã «KHONGCO» không tồn tại hoặc ngoài phạm vi của bạn"))
            let v3 = try await Organization.query(on: app.db).count()
            XCTAssertEqual(v3, before)
        }
    }

    func testCycleInTreeIsRefusedOnEdit() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            let snv = try await org(app, "SNV")
            try await b.get("/danh-muc/co-quan/\(snv.id!.uuidString)/sua")
            let res = try await b.post("/danh-muc/co-quan/\(snv.id!.uuidString)/sua",
                                       ["ma": "SNV", "ten": "Sở Nội vụ", "khoi": "chinh-quyen", "cap": "tinh",
                                        "ma_cap_tren": "SNV-P2"])
            XCTAssertEqual(res.status, .unprocessableEntity)
            XCTAssertTrue(res.text.contains("tạo vòng lặp"))
            let same = try await org(app, "SNV")
            XCTAssertEqual(same.path, snv.path)
        }
    }

    func testMovingAUnitMovesItsPeopleAndScopes() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            let unit = try await org(app, "BTCTU-P3")
            try await b.get("/danh-muc/co-quan/\(unit.id!.uuidString)/sua")
            let res = try await b.post("/danh-muc/co-quan/\(unit.id!.uuidString)/sua",
                                       ["ma": "BTCTU-P3", "ten": "Phòng Cán bộ", "khoi": "dang", "cap": "tinh", "ma_cap_tren": "VPTU"])
            XCTAssertEqual(res.status, .seeOther)
            let vptu = try await org(app, "VPTU")
            let moved = try await org(app, "BTCTU-P3")
            XCTAssertEqual(moved.path, vptu.path + unit.id!.uuidString + "/")
            let people = try await Person.query(on: app.db).filter(\.$organizationID == unit.id!).all()
            XCTAssertFalse(people.isEmpty)
            XCTAssertTrue(people.allSatisfy { $0.scopePath == moved.path })
            let grant = try await RoleGrant.query(on: app.db).filter(\.$organizationID == unit.id!).first()!
            XCTAssertEqual(grant.scopePath, moved.path, "the leader's scope follows the unit")
        }
    }

    func testPeopleFormWithConcurrentPostsAndDates() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri.snv")
            try await b.get("/danh-muc/can-bo/moi")
            let bad = try await b.post("/danh-muc/can-bo/moi", ["ma": "CB-SNV-NEW", "ho_ten": "Lê Thị Mới", "loai": "cong-chuc",
                                                                "ma_don_vi": "SNV-P2", "tu_ngay": "01/07/2026", "den_ngay": "01/01/2026",
                                                                "kiem_nhiem": "SNV-P3"])
            XCTAssertTrue(bad.text.contains("ngày kết thúc 01/01/2026 trước ngày bắt đầu 01/07/2026"))
            let outside = try await b.post("/danh-muc/can-bo/moi", ["ma": "CB-SNV-NEW", "ho_ten": "Lê Thị Mới", "loai": "cong-chuc",
                                                                    "ma_don_vi": "BTCTU-P1"])
            XCTAssertTrue(outside.text.contains("mã «BTCTU-P1» không tồn tại hoặc ngoài phạm vi của bạn"),
                          "a unit admin of SNV cannot place people in BTCTU, nor learn that the code exists")
            let ok = try await b.post("/danh-muc/can-bo/moi", ["ma": "CB-SNV-NEW", "ho_ten": "Lê Thị Mới", "loai": "cong-chuc",
                                                               "ma_don_vi": "SNV-P2", "ma_vi_tri": "VT-CVTC", "chuc_vu": "khong",
                                                               "dang_vien": "1", "tu_ngay": "01/07/2026", "kiem_nhiem": "SNV-P3"])
            XCTAssertEqual(ok.status, .seeOther)
            let page = try await b.get(ok.location)
            XCTAssertTrue(page.text.contains("01/07/2026"))
            XCTAssertTrue(page.text.contains("SNV-P3"))
            let person = try await Person.query(on: app.db).filter(\.$code == "CB-SNV-NEW").first()!
            XCTAssertEqual(person.activeFrom, "2026-07-01")
            let v4 = try await ConcurrentPost.query(on: app.db).filter(\.$personID == person.id!).count()
            XCTAssertEqual(v4, 1)
        }
    }
}
