import Fluent
@testable import KPIServer
import XCTVapor

final class ImportExportTests: XCTestCase {
    let goodCSV = """
        Mã,Tên,Khối,Cấp,Mã cơ quan cấp trên,Thứ tự
        SKHCN-P5,Phòng Quản lý công nghệ,Chính quyền,Tỉnh,SKHCN,5
        SKHCN-P5-T1,Tổ Tiêu chuẩn đo lường,Chính quyền,Tỉnh,SKHCN-P5,1
        SNV-P1,Văn phòng Sở Nội vụ,Chính quyền,Tỉnh,SNV,1

        """

    func upload(_ b: inout Browser, _ catalog: String, _ name: String, _ data: Data) async throws -> BrowserResponse {
        try await b.get("/nhap-du-lieu")
        return try await b.upload("/nhap-du-lieu", fields: ["danh_muc": catalog], fileField: "tep", fileName: name, data: data)
    }

    func testGoodCSVDryRunThenImportThenReimportChangesNothing() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            let before = try await Organization.query(on: app.db).count()
            let auditBefore = try await AuditEntry.query(on: app.db).count()
            let dry = try await upload(&b, "co-quan", "co-quan.csv", Data(goodCSV.utf8))
            XCTAssertEqual(dry.status, .ok)
            XCTAssertTrue(dry.text.contains("Tệp «co-quan.csv» hợp lệ. Chưa có gì được ghi"), dry.text)
            XCTAssertTrue(dry.text.contains("Thêm mới: <strong>2</strong>"))
            XCTAssertTrue(dry.text.contains("Cập nhật: <strong>1</strong>"))
            let v1 = try await Organization.query(on: app.db).count()
            XCTAssertEqual(v1, before, "the dry run writes nothing")
            let v2 = try await AuditEntry.query(on: app.db).count()
            XCTAssertEqual(v2, auditBefore)
            let hash = try XCTUnwrap(dry.text.range(of: "name=\"tep_hash\" value=\"").map { String(dry.text[$0.upperBound...].prefix(64)) })
            let done = try await b.post("/nhap-du-lieu/xac-nhan", ["danh_muc": "co-quan", "tep_hash": hash, "ten_tep": "co-quan.csv"])
            XCTAssertEqual(done.status, .ok)
            XCTAssertTrue(done.text.contains("Đã nhập tệp «co-quan.csv»"))
            let v3 = try await Organization.query(on: app.db).count()
            XCTAssertEqual(v3, before + 2)
            let child = try await Organization.query(on: app.db).filter(\.$code == "SKHCN-P5-T1").first()!
            let parent = try await Organization.query(on: app.db).filter(\.$code == "SKHCN-P5").first()!
            XCTAssertEqual(child.parentID, parent.id)
            XCTAssertTrue(child.path.hasPrefix(parent.path))
            let summaries = try await AuditEntry.query(on: app.db).filter(\.$action == "organization.import")
                .filter(\.$actor == "quantri").count()
            XCTAssertEqual(summaries, 1)
            let rows = try await AuditEntry.query(on: app.db).filter(\.$action == "organization.create.import")
                .filter(\.$actor == "quantri").count()
            XCTAssertEqual(rows, 2)
            // The same file again: nothing to create or update.
            let again = try await upload(&b, "co-quan", "co-quan.csv", Data(goodCSV.utf8))
            XCTAssertTrue(again.text.contains("Không thay đổi: <strong>3</strong>"))
            XCTAssertTrue(again.text.contains("Thêm mới: <strong>0</strong>"))
        }
    }

    func testBadCSVListsEveryRowAndWritesNothing() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            let bad = """
                ma;ten;khoi;cap;ma_cap_tren
                X1;Đơn vị một;Đảng;Tỉnh;X2
                X2;Đơn vị hai;Đảng;Tỉnh;X1
                X3;;Đảng;Tỉnh;
                X4;Đơn vị bốn;Khối lạ;Tỉnh;KHONGCO
                X5;Đơn vị năm;Đảng;Tỉnh;
                X5;Đơn vị năm lặp;Đảng;Tỉnh;
                SNV-P9;Đơn vị tốt;Chính quyền;Tỉnh;SNV
                """
            let before = try await Organization.query(on: app.db).count()
            let res = try await upload(&b, "co-quan", "sai.csv", Data(bad.utf8))
            XCTAssertEqual(res.status, .unprocessableEntity)
            XCTAssertTrue(res.text.contains("Chưa có dữ liệu nào được ghi"))
            XCTAssertTrue(res.text.contains("tạo vòng lặp trong cây tổ chức (X1"))
            XCTAssertTrue(res.text.contains("tạo vòng lặp trong cây tổ chức (X2"))
            XCTAssertTrue(res.text.contains("«Tên»: không được để trống"))
            XCTAssertTrue(res.text.contains("«Khối»: giá trị «Khối lạ» không hợp lệ"))
            XCTAssertTrue(res.text.contains("<td data-label=\"Dòng\">5</td>"))
            XCTAssertTrue(res.text.contains("mã «X5» lặp lại ở các dòng 6, 7"))
            XCTAssertFalse(res.text.contains("Nhập chính thức"))
            let v5 = try await Organization.query(on: app.db).count()
            XCTAssertEqual(v5, before, "not even the good row")
        }
    }

    func testHeaderAndFileProblems() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            let noCols = try await upload(&b, "co-quan", "thieu.csv", Data("Mã,Tên gọi\nA,B\n".utf8))
            XCTAssertTrue(noCols.text.contains("Cột «Tên gọi» không thuộc danh mục"))
            XCTAssertTrue(noCols.text.contains("Thiếu cột bắt buộc «Tên»."))
            let garbage = try await upload(&b, "co-quan", "hong.xlsx", Data([0x50, 0x4B, 0x03, 0x04, 0x00, 0x01]))
            XCTAssertEqual(garbage.status, .unprocessableEntity)
            XCTAssertTrue(garbage.text.contains("Không đọc được tệp «hong.xlsx»"))
            let empty = try await upload(&b, "co-quan", "rong.csv", Data())
            XCTAssertTrue(empty.text.contains("Vui lòng chọn một tệp CSV hoặc XLSX."))
            let stale = try await b.post("/nhap-du-lieu/xac-nhan", ["danh_muc": "co-quan", "tep_hash": String(repeating: "a", count: 64),
                                                                    "ten_tep": "x.csv"])
            XCTAssertEqual(stale.status, .gone)
        }
    }

    func testXLSXExportImportsBackUnchanged() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            let export = try await b.get("/danh-muc/can-bo/xuat?dinh_dang=xlsx&don_vi=SNV")
            XCTAssertEqual(export.status, .ok)
            XCTAssertTrue(export.headers.first(name: .contentDisposition)?.contains(".xlsx") == true)
            let data = Data(buffer: export.body)
            let table = try XLSX.read(data)
            XCTAssertEqual(table.count, 21, "header and the 20 people of Sở Nội vụ")
            XCTAssertEqual(table[0][0], "Mã")
            XCTAssertEqual(Array(table[1].prefix(7)), ["CB-SNV-P1-01", "Phan Hữu Nam", "Công chức", "SNV-P1", "VT-TRUONG",
                                                       "Cấp trưởng",
                                                       "Có"],
                           "choices exported as words")
            let res = try await upload(&b, "can-bo", "can-bo.xlsx", data)
            XCTAssertEqual(res.status, .ok, res.text)
            XCTAssertTrue(res.text.contains("Không thay đổi: <strong>20</strong>"))
            let v6 = try await AuditEntry.query(on: app.db).filter(\.$action == "person.export").count()
            XCTAssertEqual(v6, 1)
        }
    }

    func testCSVExportOfEachCatalog() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            for key in ["co-quan", "nhom-vi-tri", "vi-tri-viec-lam", "can-bo", "nguoi-dung"] {
                let res = try await b.get("/danh-muc/\(key)/xuat?dinh_dang=csv")
                XCTAssertEqual(res.status, .ok, key)
                let rows = CSVRows.parse(res.text)
                XCTAssertGreaterThan(rows.count, 1, key)
                XCTAssertFalse(rows[0].contains("Mật khẩu tạm"), "never export passwords")
            }
            let template = try await b.get("/nhap-du-lieu/mau/can-bo?dinh_dang=csv")
            XCTAssertTrue(template.text.contains("Họ và tên"))
        }
    }

    func testPeopleAndUsersImport() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            let people = """
                ma,ho_ten,loai,ma_don_vi,ma_vi_tri,chuc_vu,dang_vien,tu_ngay,kiem_nhiem
                CB-NEW-1,Trần Thị Nhập,Viên chức,SKHCN-P2,VT-KETOAN,Không giữ chức vụ,Có,01/07/2026,SKHCN-P1
                CB-NEW-2,Lê Văn Sai,Công chức,KHONGCO,VT-KHONG,,,31/13/2026,
                """
            let bad = try await upload(&b, "can-bo", "cb.csv", Data(people.utf8))
            XCTAssertTrue(bad.text.contains("«Từ ngày»: ngày «31/13/2026» không đúng dạng dd/MM/yyyy"))
            let good = people.split(separator: "\n").prefix(2).joined(separator: "\n")
            let dry = try await upload(&b, "can-bo", "cb.csv", Data(good.utf8))
            let hash = String(dry.text[dry.text.range(of: "name=\"tep_hash\" value=\"")!.upperBound...].prefix(64))
            try await b.post("/nhap-du-lieu/xac-nhan", ["danh_muc": "can-bo", "tep_hash": hash, "ten_tep": "cb.csv"])
            let v7 = try await Person.query(on: app.db).filter(\.$code == "CB-NEW-1").count()
            XCTAssertEqual(v7, 1)
            let users = "Tên đăng nhập,Mã cán bộ,Mật khẩu tạm\nnhap.moi,CB-NEW-1,TamThoi-2026!\nthieu.mk,CB-NEW-1,\n"
            let noPassword = try await upload(&b, "nguoi-dung", "nd.csv", Data(users.utf8))
            XCTAssertTrue(noPassword.text.contains("«Mật khẩu tạm»: bắt buộc với tài khoản mới"))
            let okUsers = "Tên đăng nhập,Mã cán bộ,Mật khẩu tạm\nnhap.moi,CB-NEW-1,TamThoi-2026!\n"
            let dryUsers = try await upload(&b, "nguoi-dung", "nd.csv", Data(okUsers.utf8))
            let uhash = String(dryUsers.text[dryUsers.text.range(of: "name=\"tep_hash\" value=\"")!.upperBound...].prefix(64))
            try await b.post("/nhap-du-lieu/xac-nhan", ["danh_muc": "nguoi-dung", "tep_hash": uhash, "ten_tep": "nd.csv"])
            var newcomer = Browser(app)
            let v8 = try await newcomer.login("nhap.moi", "TamThoi-2026!").location
            XCTAssertEqual(v8, "/doi-mat-khau")
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "user.create.import").first()!
            XCTAssertFalse(audit.after.contains("TamThoi-2026!"), "passwords never reach the audit trail")
        }
    }

    /// Issue 16: a staged file (it can hold temporary passwords) is the uploader's own, is used once,
    /// and expires after an hour on the application clock.
    func testStagedFilesAreOwnUsedOnceAndExpire() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            let dry = try await upload(&b, "co-quan", "co-quan.csv", Data(goodCSV.utf8))
            let hash = String(dry.text[dry.text.range(of: "name=\"tep_hash\" value=\"")!.upperBound...].prefix(64))
            let form = ["danh_muc": "co-quan", "tep_hash": hash, "ten_tep": "co-quan.csv"]
            var other = Browser(app)
            try await other.login("quantri.snv")
            try await other.get("/nhap-du-lieu")
            let foreign = try await other.post("/nhap-du-lieu/xac-nhan", form)
            XCTAssertEqual(foreign.status, .gone, "another user cannot confirm it")
            let done = try await b.post("/nhap-du-lieu/xac-nhan", form)
            XCTAssertEqual(done.status, .ok)
            let again = try await b.post("/nhap-du-lieu/xac-nhan", form)
            XCTAssertEqual(again.status, .gone, "used once")
            let staged = app.settings.dataDirectory + "/imports"
            let left = try FileManager.default.subpathsOfDirectory(atPath: staged).filter { !$0.hasSuffix("/") && $0.contains(".") }
            XCTAssertEqual(left, [])

            let later = try await upload(&b, "co-quan", "co-quan.csv", Data(goodCSV.utf8))
            XCTAssertEqual(later.status, .ok)
            app.clock.advance(by: 61 * 60)
            try await b.login("quantri")
            try await b.get("/nhap-du-lieu")
            let expired = try await b.post("/nhap-du-lieu/xac-nhan", form)
            XCTAssertEqual(expired.status, .gone)
            XCTAssertTrue(expired.text.contains("không còn trên máy chủ"))
            // The next upload of anyone sweeps what expired.
            try await other.login("quantri.snv")
            _ = try await upload(&other, "co-quan", "x.csv", Data("ma,ten,khoi,cap,ma_cap_tren\n".utf8))
            let swept = try FileManager.default.subpathsOfDirectory(atPath: staged).filter { $0.contains(hash) }
            XCTAssertEqual(swept, [])
        }
    }
}

/// CSV reading for the tests (the server's own parser lives in KPICore).
import KPICore
enum CSVRows {
    static func parse(_ s: String) -> [[String]] { CSV.parse(s) }
}
