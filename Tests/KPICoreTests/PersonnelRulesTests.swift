import KPICore
import XCTest

/// Danh sách phục vụ công tác cán bộ: a rule asks for a level in consecutive years ending at a year.
final class PersonnelRulesTests: XCTestCase {
    func testConsecutiveYearsEndingAtTheYearAsked() {
        let twice = PersonnelRule(name: "Xuất sắc 2 năm", purpose: .reward, level: .excellent, years: 2)
        XCTAssertTrue(twice.matches([2025: .excellent, 2026: .excellent], endingIn: 2026))
        XCTAssertFalse(twice.matches([2024: .excellent, 2026: .excellent], endingIn: 2026), "not consecutive")
        XCTAssertFalse(twice.matches([2025: .excellent, 2026: .good], endingIn: 2026))
        XCTAssertFalse(twice.matches([2025: .excellent, 2026: .excellent], endingIn: 2027), "the year asked about has none")
        XCTAssertEqual(twice.span(endingIn: 2026), [2025, 2026])
        XCTAssertEqual(PersonnelRule.defaults.count, 3)
    }

    func testTheFormsRows() {
        func check(_ rows: [(String, String, String, String)]) -> Result<[PersonnelRule], TaskProblems> {
            PersonnelRule.check(rows.map { (name: $0.0, purpose: $0.1, level: $0.2, years: $0.3) })
        }
        let typed = [(" Xuất sắc  2 năm ", "khen-thuong", "HTXSNV", "2"), ("", "xem-xet", "KHTNV", "")]
        guard case let .success(rules) = check(typed) else {
            return XCTFail("one rule and an empty row")
        }
        XCTAssertEqual(rules, [PersonnelRule(name: "Xuất sắc 2 năm", purpose: .reward, level: .excellent, years: 2)])
        func fields(_ r: Result<[PersonnelRule], TaskProblems>) -> [String] {
            if case let .failure(p) = r { return p.list.map(\.field) }
            return []
        }
        XCTAssertEqual(fields(check([("A", "khen-thuong", "HTXSNV", "6")])), ["so_nam_0"])
        XCTAssertEqual(fields(check([("A", "khen-thuong", "HTXSNV", "99999999999999999999")])), ["so_nam_0"])
        XCTAssertEqual(fields(check([("A", "thuong", "HTXSNV", "1")])), ["muc_dich_0"])
        XCTAssertEqual(fields(check([("A", "khen-thuong", "XS", "1")])), ["xep_loai_0"])
        XCTAssertEqual(fields(check([("", "khen-thuong", "HTXSNV", "1")])), ["ten_0"], "a row with years needs its name")
        XCTAssertEqual(fields(check([("", "khen-thuong", "HTXSNV", "")])), ["ten_0"], "at least one list")
        XCTAssertEqual(fields(check([("A", "khen-thuong", "HTXSNV", "1"), ("A", "xem-xet", "KHTNV", "1")])), ["ten_0"], "names differ")
    }
}
