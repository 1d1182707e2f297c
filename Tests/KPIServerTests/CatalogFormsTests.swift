import Fluent
@testable import KPIServer
import XCTVapor

extension XCTestCase {
    /// Create, edit, deactivate after confirming, reactivate: the same pages for every catalog.
    func roundTrip(_ b: inout Browser, _ key: String, create: [String: String], edit: [String: String],
                   expect title: String) async throws -> String {
        let form = try await b.get("/danh-muc/\(key)/moi")
        XCTAssertEqual(form.status, .ok, key)
        let created = try await b.post("/danh-muc/\(key)/moi", create)
        XCTAssertEqual(created.status, .seeOther, "\(key): \(created.text.prefix(2000))")
        let path = String(created.location.split(separator: "?")[0])
        let editForm = try await b.get(path + "/sua")
        XCTAssertEqual(editForm.status, .ok)
        let edited = try await b.post(path + "/sua", edit)
        XCTAssertEqual(edited.status, .seeOther, "\(key): \(edited.text.prefix(2000))")
        let shown = try await b.get(edited.location)
        XCTAssertTrue(shown.text.contains(title), key)
        XCTAssertTrue(shown.text.contains("Đã lưu."))
        let confirm = try await b.get(path + "/ngung")
        XCTAssertTrue(confirm.text.contains("Xác nhận ngừng hoạt động"))
        try await b.post(path + "/ngung", [:])
        let off = try await b.get(path)
        XCTAssertTrue(off.text.contains("Ngừng hoạt động"))
        XCTAssertTrue(off.text.contains("Kích hoạt lại"))
        let list = try await b.get("/danh-muc/\(key)?trang_thai=inactive")
        XCTAssertTrue(list.text.contains("1 bản ghi"), key)
        try await b.post(path + "/kich-hoat", [:])
        let on = try await b.get(path)
        XCTAssertTrue(on.text.contains("✓ Đang hoạt động"))
        return path
    }
}

/// The same form pages for every catalog: create, edit, deactivate after confirming, reactivate.
final class CatalogFormsTests: XCTestCase {
    func testEveryCatalogForm() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            _ = try await roundTrip(&b, "nhom-vi-tri",
                                    create: ["ma": "CMDC2", "ten": "Chuyên môn dùng chung 2", "loai": "chuyen-mon-dung-chung"],
                                    edit: ["ma": "CMDC2", "ten": "Chuyên môn dùng chung (bổ sung)", "loai": "chuyen-mon-dung-chung",
                                           "mo_ta": "Ghi chú"],
                                    expect: "Chuyên môn dùng chung (bổ sung)")
            _ = try await roundTrip(&b, "vi-tri-viec-lam",
                                    create: ["ma": "VT-THANHTRA", "ten": "Thanh tra viên", "ma_nhom": "CMNV", "ma_co_quan": "SNV"],
                                    edit: ["ma": "VT-THANHTRA", "ten": "Thanh tra viên chính", "ma_nhom": "CMNV", "ma_co_quan": "SNV"],
                                    expect: "Thanh tra viên chính")
            _ = try await roundTrip(&b, "can-bo",
                                    create: ["ma": "CB-X", "ho_ten": "Ngô Thị Xuân", "loai": "vien-chuc", "ma_don_vi": "SKHCN-P3"],
                                    edit: ["ma": "CB-X", "ho_ten": "Ngô Thị Xuân Mai", "loai": "vien-chuc", "ma_don_vi": "SKHCN-P3",
                                           "chuc_vu": "cap-pho"],
                                    expect: "Ngô Thị Xuân Mai")
            let user = try await roundTrip(&b, "nguoi-dung",
                                           create: ["ma": "xuan.mai", "ma_can_bo": "CB-X", "mat_khau_tam": "TamThoi-2026!"],
                                           edit: ["ma": "xuanmai", "ma_can_bo": "CB-X"],
                                           expect: "xuanmai — Ngô Thị Xuân Mai")
            XCTAssertTrue(user.hasPrefix("/danh-muc/nguoi-dung/"))
            var newcomer = Browser(app)
            let v1 = try await newcomer.login("xuanmai", "TamThoi-2026!").location
            XCTAssertEqual(v1, "/doi-mat-khau")
            let weak = try await b.post("/danh-muc/nguoi-dung/moi", ["ma": "yeu", "ma_can_bo": "CB-X", "mat_khau_tam": "12345678"])
            XCTAssertTrue(weak.text.contains("Mật khẩu phải có ít nhất 12 ký tự."))
            let unknownGroup = try await b.post("/danh-muc/vi-tri-viec-lam/moi", ["ma": "VT-Y", "ten": "Y", "ma_nhom": "KHONG"])
            XCTAssertTrue(unknownGroup.text.contains("mã «KHONG» không tồn tại hoặc ngoài phạm vi của bạn"))
            let v2 = try await b.get("/danh-muc/can-bo/khong-phai-uuid").status
            XCTAssertEqual(v2, .notFound)
            let v3 = try await b.get("/danh-muc/can-bo/\(UUID().uuidString)").status
            XCTAssertEqual(v3, .notFound)
        }
    }
}
