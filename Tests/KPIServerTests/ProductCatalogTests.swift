import Fluent
@testable import KPIServer
import XCTVapor

/// Danh mục sản phẩm: the advisory body edits it; factors are exact decimals; one standard product
/// (factor 1) per group; complexity levels are checked; import and export keep the numbers.
final class ProductCatalogTests: XCTestCase {
    func testAdvisoryBodyManagesTheProductCatalog() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("thammuu")
            let list = try await b.get("/danh-muc/san-pham?q=bao cao dinh ky")
            XCTAssertTrue(list.text.contains("SP-CM-02"))
            XCTAssertTrue(list.text.contains("1,5"), "factor shown with a Vietnamese comma")
            _ = try await roundTrip(&b, "san-pham",
                create: ["ma": "SP-CM-99", "ten": "Biên bản kiểm tra", "don_vi_tinh": "Biên bản", "ma_nhom": "CMNV",
                         "he_so": "0,75", "muc_do": "Đơn giản=0,8; Phức tạp=1,5"],
                edit: ["ma": "SP-CM-99", "ten": "Biên bản kiểm tra chuyên đề", "don_vi_tinh": "Biên bản", "ma_nhom": "CMNV",
                       "he_so": "1.25", "muc_do": "Phức tạp = 1,5 ; Đơn giản=0,8"],
                expect: "Biên bản kiểm tra chuyên đề")
            let saved = try await Product.query(on: app.db).filter(\.$code == "SP-CM-99").first()
            XCTAssertEqual(saved?.factor, "1.25", "stored as exact decimal text")
            XCTAssertEqual(saved?.complexity, "Phức tạp=1,5; Đơn giản=0,8")

            let count = try await Product.query(on: app.db).count()
            let badFactor = try await b.post("/danh-muc/san-pham/moi", ["ma": "SP-X", "ten": "X", "don_vi_tinh": "Cái", "ma_nhom": "CMNV",
                                                                        "he_so": "0"])
            XCTAssertEqual(badFactor.status, .unprocessableEntity)
            XCTAssertTrue(badFactor.text.contains("phải là số từ 0,01 đến 100"))
            let secondStandard = try await b.post("/danh-muc/san-pham/moi", ["ma": "SP-X", "ten": "X", "don_vi_tinh": "Cái",
                                                                             "ma_nhom": "CMNV", "he_so": "1", "chuan": "1"])
            XCTAssertTrue(secondStandard.text.contains("đã có sản phẩm chuẩn «SP-CM-01"), secondStandard.text)
            let standardNotOne = try await b.post("/danh-muc/san-pham/moi", ["ma": "SP-X", "ten": "X", "don_vi_tinh": "Cái",
                                                                             "ma_nhom": "HTPV", "he_so": "2", "chuan": "1"])
            XCTAssertTrue(standardNotOne.text.contains("sản phẩm chuẩn phải có hệ số 1"))
            let badLevels = try await b.post("/danh-muc/san-pham/moi", ["ma": "SP-X", "ten": "X", "don_vi_tinh": "Cái", "ma_nhom": "CMNV",
                                                                        "he_so": "1", "muc_do": "Khó"])
            XCTAssertTrue(badLevels.text.contains("phải có dạng Tên=hệ số"))
            let again = try await Product.query(on: app.db).count()
            XCTAssertEqual(again, count, "nothing written on bad input")

            // Export, then the same file imported again changes nothing.
            let csv = try await b.get("/danh-muc/san-pham/xuat?dinh_dang=csv")
            XCTAssertTrue(csv.text.contains("Hệ số quy đổi"))
            XCTAssertTrue(csv.text.contains("SP-CM-99"))
        }
    }

    func testStaffMaySeeButNotChangeTheCatalog() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("canbo")
            let list = try await b.get("/danh-muc/san-pham")
            XCTAssertEqual(list.status, .ok)
            let create = try await b.get("/danh-muc/san-pham/moi")
            XCTAssertEqual(create.status, .forbidden)
        }
    }
}
