import KPICore
import XCTest

/// Mã định danh điện tử (Quyết định 20/2020/QĐ-TTg; the QCVN 102:2016 form still in use).
final class AgencyIdentifierTests: XCTestCase {
    func testBothFormsAreAcceptedAndLettersAreUpperCased() {
        for ok in ["H40", "H40.12", "H40.12.03", "G01.9.A1", "000.00.00.H42", "000.00.31.H40", "H40.1.2.3.4.5.6.7.8.9.10.11.1"] {
            XCTAssertNil(AgencyIdentifier.problem(ok), ok)
        }
        XCTAssertEqual(AgencyIdentifier.normalize("  h40.12.03 "), "H40.12.03")
        let row = Catalogs.organizations.check(["ma": "SNV", "ten": "Sở Nội vụ", "khoi": "chinh-quyen", "cap": "tinh",
                                                "ma_dinh_danh": "h40.12"])
        XCTAssertEqual(row.problems, [])
        XCTAssertEqual(row.values["ma_dinh_danh"]?.text, "H40.12")
        let bad = Catalogs.organizations.check(["ma": "SNV", "ten": "Sở Nội vụ", "khoi": "chinh-quyen", "cap": "tinh",
                                                "ma_dinh_danh": "H40..12"])
        XCTAssertEqual(bad.problems.map(\.fieldKey), ["ma_dinh_danh"])
    }

    func testEachBrokenRuleIsNamed() {
        let cases: [(String, String)] = [
            ("", "dài 1–35"),
            (String(repeating: "H40.1", count: 8), "dài 1–35"),
            ("H40-12", "chỉ gồm chữ in hoa"),
            ("H40.Đ1", "chỉ gồm chữ in hoa"),
            ("h40", "chỉ gồm chữ in hoa"),
            ("H40..12", "nhóm trống"),
            (".H40", "nhóm trống"),
            ("H40.", "nhóm trống"),
            ("40H.12", "không đúng dạng"),
            ("HH4.12", "không đúng dạng"),
            ("H4", "không đúng dạng"),
            ("00.00.00.H42", "không đúng dạng"),
            ("000.00.00.42H", "không đúng dạng"),
            ("000.00.00.H42.1", "không đúng dạng"),
        ]
        for (text, words) in cases {
            let problem = AgencyIdentifier.problem(text)
            XCTAssertTrue(problem?.contains(words) ?? false, "\(text): \(problem ?? "accepted")")
        }
    }
}
