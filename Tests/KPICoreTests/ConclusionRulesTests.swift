import KPICore
import XCTest

/// Kết luận suy thoái, tham nhũng: the form's bounds.
final class ConclusionRulesTests: XCTestCase {
    let today = DateOnly(year: 2026, month: 12, day: 2)!

    func fields(_ kind: String = "degradation", year: String = "2026", number: String = "12-KL/UBKT", date: String = "01/12/2026",
                issuer: String = "Ủy ban Kiểm tra", leader: Bool = false) -> [String] {
        switch ConclusionDraft(kind: kind, year: year, decisionNumber: number, decisionDate: date, issuer: issuer)
            .check(today: today, isLeader: leader) {
        case .success: return []
        case let .failure(p): return p.list.map(\.field)
        }
    }

    func testBounds() {
        XCTAssertEqual(fields(), [])
        XCTAssertEqual(fields(year: "2025"), [], "the year before the decision's")
        XCTAssertEqual(fields(year: "2024"), ["nam"])
        XCTAssertEqual(fields(year: "2027"), ["nam"], "not a year after the decision")
        XCTAssertEqual(fields(year: "20260"), ["nam"])
        XCTAssertEqual(fields(date: "03/12/2026"), ["ngay_quyet_dinh"], "dated after today")
        XCTAssertEqual(fields("unit-corruption"), ["loai"], "corruption in the unit concerns its leaders")
        XCTAssertEqual(fields("unit-corruption", leader: true), [])
        XCTAssertEqual(fields("discipline"), ["loai"], "discipline is a disciplinary decision, not a conclusion")
        XCTAssertEqual(fields(number: String(repeating: "9", count: 101)), ["so_quyet_dinh"])
        XCTAssertEqual(fields(issuer: " "), ["co_quan"])
        if case let .success(c) = ConclusionDraft(kind: "degradation", year: " 2026 ", decisionNumber: " 12-KL ",
            decisionDate: "2026-12-01",
                                                  issuer: "UBKT").check(today: today, isLeader: false) {
            XCTAssertEqual(c.flag, .degradation)
            XCTAssertEqual(c.year, 2026)
            XCTAssertEqual(c.decisionNumber, "12-KL")
        } else {
            XCTFail("a well-formed conclusion")
        }
    }
}
