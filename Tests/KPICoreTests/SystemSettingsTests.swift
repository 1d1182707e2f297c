import KPICore
import XCTest

/// Cài đặt (issue 18, item 2): every setting's range and the calendar's rules, as the page refuses them.
final class SystemSettingsTests: XCTestCase {
    func spec(_ key: String) -> SettingSpec { SettingsCatalog.spec(key)! }

    func testEachKindIsCheckedAgainstItsRange() {
        let idle = spec("phien-khong-thao-tac")
        XCTAssertEqual(try idle.check(" 30 ").get(), "30")
        XCTAssertEqual(try idle.check("480").get(), "480")
        XCTAssertEqual(try? idle.check("4").get(), nil, "below the security minimum")
        XCTAssertEqual(try? idle.check("481").get(), nil)
        XCTAssertEqual(try? idle.check("ba mươi").get(), nil)
        XCTAssertEqual(try? idle.check("99999999999999999999").get(), nil, "no overflow on hostile numbers")
        if case .failure(let p) = idle.check("2") { XCTAssertTrue(p.message.contains("2 ngoài khoảng cho phép, từ 5 đến 480"),
                                                                  p.message) }
        // The password floor can only go up.
        XCTAssertEqual(try? spec("mat-khau-toi-thieu").check("8").get(), nil)
        XCTAssertEqual(try spec("mat-khau-toi-thieu").check("14").get(), "14")
        // Zero switches the inactive-account lock off; otherwise at least a week.
        XCTAssertEqual(try spec("khoa-tai-khoan-khong-dung").check("0").get(), "0")
        XCTAssertEqual(try? spec("khoa-tai-khoan-khong-dung").check("3").get(), nil)
        // Addresses: http(s), no trailing slash, nothing that would break a link.
        let url = spec("dia-chi-cong-khai")
        XCTAssertEqual(try url.check("https://kpi.nghean.gov.vn/").get(), "https://kpi.nghean.gov.vn")
        XCTAssertEqual(try url.check("http://10.0.0.5:8080/kpi").get(), "http://10.0.0.5:8080/kpi")
        for bad in ["kpi.nghean.gov.vn", "javascript:alert(1)", "https://", "https://a b", "https://x/?q=1", "ftp://x"] {
            XCTAssertEqual(try? url.check(bad).get(), nil, bad)
        }
        // Evidence types: only the safe list, normalized, without repeats.
        let types = spec("minh-chung-loai-tep")
        XCTAssertEqual(try types.check("PDF, .docx;png pdf").get(), "pdf,docx,png")
        if case .failure(let p) = types.check("pdf,exe") { XCTAssertTrue(p.message.contains("«exe»"), p.message) } else { XCTFail() }
        XCTAssertEqual(try? types.check(" , ").get(), nil)
        XCTAssertEqual(try? spec("noi-ban-hanh").check("").get(), nil)
        XCTAssertEqual(try? spec("noi-ban-hanh").check(String(repeating: "a", count: 51)).get(), nil)
        // Every default passes its own check.
        for s in SettingsCatalog.all where !s.defaultValue.isEmpty {
            XCTAssertEqual(try s.check(s.defaultValue).get(), s.defaultValue, s.key)
        }
        XCTAssertEqual(Set(SettingsCatalog.all.map(\.key)).count, SettingsCatalog.all.count)
    }

    func testTheCalendarRefusesWhatCannotBe() {
        let tet = DateOnly(year: 2027, month: 2, day: 8)!   // a Monday
        let saturday = DateOnly(year: 2027, month: 2, day: 13)!
        func problem(_ day: String, _ kind: String, existing: [DateOnly: String] = [:]) -> String? {
            if case .failure(let p) = CalendarRules.check(day: day, kind: kind, name: "Tết", year: 2027, existing: existing) {
                return p.message
            }
            return nil
        }
        XCTAssertNil(problem("08/02/2027", "nghi"))
        XCTAssertNil(problem("13/02/2027", "lam-bu"))
        XCTAssertEqual(problem("08/02/2026", "nghi"), "Ngày 08/02/2026 không thuộc năm 2027: chọn năm 2026 ở trên.")
        XCTAssertEqual(problem("31/02/2027", "nghi"), "Ngày «31/02/2027» không đúng dạng dd/MM/yyyy.")
        XCTAssertEqual(problem("08/02/2027", "lam-bu"), "Ngày làm bù 08/02/2027 phải là thứ Bảy hoặc Chủ nhật.")
        XCTAssertTrue(problem("13/02/2027",
                              "nghi")?.hasPrefix("Ngày 13/02/2027 là thứ Bảy hoặc Chủ nhật, vốn đã nghỉ") == true)
        // A swapped day on a holiday, and the reverse.
        XCTAssertEqual(problem("13/02/2027", "lam-bu", existing: [saturday: "nghi"]),
                       "Ngày 13/02/2027 đã là ngày nghỉ lễ, Tết: một ngày không thể vừa nghỉ vừa làm bù.")
        XCTAssertEqual(problem("08/02/2027", "nghi", existing: [tet: "nghi"]), "Ngày 08/02/2027 đã có trong lịch.")
        XCTAssertNotNil(problem("08/02/2027", "khac"))
        if case .failure(let p) = CalendarRules.check(day: "08/02/2027", kind: "nghi", name: "  ", year: 2027, existing: [:]) {
            XCTAssertTrue(p.message.hasPrefix("Ghi tên ngày"))
        } else { XCTFail("a day without a name") }
    }
}
