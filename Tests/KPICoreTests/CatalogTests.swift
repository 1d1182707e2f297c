import KPICore
import XCTest

final class CatalogTests: XCTestCase {
    let orgs = Catalogs.organizations

    func testValidRow() {
        let r = orgs.check(["ma": "SNV", "ten": "  Sở   Nội vụ ", "khoi": "Chính quyền", "cap": "tinh", "thu_tu": "3"])
        XCTAssertEqual(r.problems, [])
        XCTAssertEqual(r.values["ten"], .text("Sở Nội vụ"))
        XCTAssertEqual(r.values["khoi"], .text("chinh-quyen"))
        XCTAssertEqual(r.values["thu_tu"], .integer(3))
        XCTAssertEqual(r.values["ma_cap_tren"], FieldValue.none)
    }

    func testEveryProblemIsReportedInVietnamese() {
        let r = orgs.check(["ma": "SỞ NV", "ten": String(repeating: "x", count: 256), "khoi": "Khác", "cap": "", "thu_tu": "-1"])
        let byField = Dictionary(uniqueKeysWithValues: r.problems.map { ($0.fieldKey, $0.message) })
        XCTAssertTrue(byField["ma"]!.contains("chỉ được gồm chữ không dấu"))
        XCTAssertEqual(byField["ten"], "dài 256 ký tự, tối đa 255")
        XCTAssertTrue(byField["khoi"]!.contains("không hợp lệ"))
        XCTAssertEqual(byField["cap"], "không được để trống")
        XCTAssertTrue(byField["thu_tu"]!.contains("số nguyên"))
    }

    func testHeaderByLabelOrKeyWithoutDiacritics() {
        let (mapping, problems) = orgs.mapHeader(["Mã", "TEN", "Khoi", "cấp", "Mã cơ quan cấp trên"])
        XCTAssertEqual(problems, [])
        XCTAssertEqual(mapping[0], "ma")
        XCTAssertEqual(mapping[1], "ten")
        XCTAssertEqual(mapping[4], "ma_cap_tren")
    }

    func testHeaderProblems() {
        let (_, problems) = orgs.mapHeader(["Mã", "Tên", "Tên", "Ghi chú"])
        XCTAssertTrue(problems.contains("Cột «Tên» bị lặp lại."))
        XCTAssertTrue(problems.contains { $0.hasPrefix("Cột «Ghi chú» không thuộc danh mục") })
        XCTAssertTrue(problems.contains("Thiếu cột bắt buộc «Khối»."))
    }

    func testPeopleDatesFlagsEmailsAndReferences() {
        let r = Catalogs.people.check(["ma": "CB1", "ho_ten": "Nguyễn Văn A", "loai": "Công chức", "ma_don_vi": "SNV",
                                       "dang_vien": "Có", "tu_ngay": "1/7/2026", "den_ngay": "2026-12-31",
                                       "email": "A@Example.VN", "kiem_nhiem": "X1; X2 ;"])
        XCTAssertEqual(r.problems, [])
        XCTAssertEqual(r.values["tu_ngay"]?.date?.display, "01/07/2026")
        XCTAssertEqual(r.values["den_ngay"]?.date?.iso, "2026-12-31")
        XCTAssertEqual(r.values["dang_vien"], .flag(true))
        XCTAssertEqual(r.values["email"], .text("a@example.vn"))
        XCTAssertEqual(r.values["kiem_nhiem"], .codes(["X1", "X2"]))
        let bad = Catalogs.people.check(["ma": "CB1", "ho_ten": "A", "loai": "cong-chuc", "ma_don_vi": "SNV",
                                         "tu_ngay": "31/02/2026", "email": "khong-phai-thu", "dang_vien": "có lẽ"])
        XCTAssertEqual(Set(bad.problems.map(\.fieldKey)), ["tu_ngay", "email", "dang_vien"])
    }

    func testDates() {
        XCTAssertEqual(DateOnly(parsing: "29/02/2024")?.display, "29/02/2024")
        XCTAssertNil(DateOnly(parsing: "29/02/2025"))
        XCTAssertNil(DateOnly(parsing: "2025/13/01"))
        XCTAssertNil(DateOnly(parsing: "hôm nay"))
        // Every accepted spelling gives the same day, and both printed forms pad with zeros.
        for text in ["1/7/2026", "01/07/2026", "2026-07-01", "01-07-2026", "1.7.2026", " 01/07/2026 ", "01//07/2026", "\u{00A0}2026-7-1"] {
            XCTAssertEqual(DateOnly(parsing: text), DateOnly(year: 2026, month: 7, day: 1), text)
        }
        XCTAssertEqual(DateOnly(year: 2026, month: 7, day: 1)?.display, "01/07/2026")
        XCTAssertEqual(DateOnly(year: 2026, month: 7, day: 1)?.iso, "2026-07-01")
        XCTAssertEqual(DateOnly(year: 2026, month: 12, day: 31)?.iso, "2026-12-31")
        for bad in ["01/07", "01/07/2026/1", "26/07/01", "１/7/2026", "0001/07/2026", "1/7/20266", "1-7-", ""] {
            XCTAssertNil(DateOnly(parsing: bad), bad)
        }
        XCTAssertTrue(DateOnly(year: 2026, month: 1, day: 2)! < DateOnly(year: 2026, month: 2, day: 1)!)
    }

    func testDecimalTextAsUsersReadIt() {
        for (stored, shown) in [("2", "2"), ("120", "120"), ("1.5", "1,5"), ("0.25", "0,25"), ("02", "2"), ("0", "0"), ("1.50", "1,5"),
                                ("không rõ", "không rõ"), ("", "")] {
            XCTAssertEqual(DecimalText.vn(text: stored), shown, stored)
            if let r = DecimalText.parse(stored) { XCTAssertEqual(DecimalText.vn(text: stored), DecimalText.vn(r), stored) }
        }
    }

    func testTextNormalization() {
        XCTAssertEqual(TextNormalizer.fold("Đảng ủy Xã HẢI CHÂU"), "dang uy xa hai chau")
        // Decomposed input (e.g. from some keyboards) becomes the composed form.
        XCTAssertEqual(TextNormalizer.clean("Vie\u{0323}\u{0302}t"), "Việt")
    }

    func testVietnameseNumbers() {
        XCTAssertEqual(VNNumber.format(1234.5, decimals: 1), "1.234,5")
        XCTAssertEqual(VNNumber.format(80000), "80.000")
        for n in [0, 7, 999, 1000, -1000, 123_456, -1_234_567, 80_315_000] {
            XCTAssertEqual(VNNumber.format(n), VNNumber.format(Double(n)), "\(n): whole numbers print as before")
        }
        XCTAssertEqual(VNNumber.format(-1_234_567), "-1.234.567")
        XCTAssertEqual(VNNumber.format(Int.min), "-9.223.372.036.854.775.808")
        XCTAssertEqual(VNNumber.format(-1234567.891, decimals: 2), "-1.234.567,89")
        XCTAssertEqual(VNNumber.format(12), "12")
        // Scaled whole numbers print as their value did through floating point.
        for (n, d) in [(0, 1), (5, 1), (-5, 1), (12_345, 1), (1_000, 1), (99_999_999, 1), (7, 2), (-1, 2), (123_456_789, 2),
                       (100, 2), (42, 0), (-12_345_678, 3)] {
            let divisor = [1.0, 10, 100, 1000][d]
            XCTAssertEqual(VNNumber.format(scaled: n, decimals: d), VNNumber.format(Double(n) / divisor, decimals: d), "\(n) \(d)")
        }
        XCTAssertEqual(VNNumber.format(scaled: 12_345, decimals: 1), "1.234,5")
        XCTAssertEqual(VNNumber.format(scaled: -5, decimals: 1), "-0,5")
        XCTAssertEqual(VNNumber.format(scaled: Int.min, decimals: 2), "-92.233.720.368.547.758,08")
    }

    func testCycles() {
        XCTAssertEqual(OrgTreeRules.cycles(parents: ["A": nil, "B": "A", "C": "B"]), [])
        XCTAssertEqual(OrgTreeRules.cycles(parents: ["A": "B", "B": "A", "C": "A"]), ["A", "B"])
        XCTAssertEqual(OrgTreeRules.cycles(parents: ["A": "A"]), ["A"])
        XCTAssertEqual(OrgTreeRules.cycles(parents: ["A": "B", "B": "C", "C": "A", "D": "X"]), ["A", "B", "C"])
    }

    func testPaths() {
        XCTAssertEqual(OrgPath.make(parent: nil, id: "a"), "/a/")
        XCTAssertEqual(OrgPath.make(parent: "/a/", id: "b"), "/a/b/")
        XCTAssertEqual(OrgPath.depth("/a/b/"), 2)
        XCTAssertTrue(OrgPath.contains("/a/", "/a/b/"))
        XCTAssertFalse(OrgPath.contains("/a/b/", "/a/"))
        XCTAssertEqual(OrgPath.outermost(["/a/b/", "/c/", "/a/", "/a/b/", "/ab/"]), ["/a/", "/ab/", "/c/"])
        XCTAssertEqual(OrgPath.ancestors("/a/b/"), ["/", "/a/", "/a/b/"])
        XCTAssertEqual(OrgPath.ancestors("/"), ["/"])
        XCTAssertTrue(OrgPath.ancestors("/a/b/c/").allSatisfy { OrgPath.contains($0, "/a/b/c/") })
    }
}
