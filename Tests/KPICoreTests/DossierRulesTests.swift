import KPICore
import XCTest

/// Hồ sơ TTHC (issue 20, item 8): the dossier code of Thông tư 01/2018/TT-VPCP and what a line must hold.
final class DossierRulesTests: XCTestCase {
    let today = DateOnly(year: 2026, month: 11, day: 25)!

    func testTheCodeNamesTheAgencyAndTheDayOfReceipt() throws {
        let parts = try DossierCode.parse("H40.60.02-260705-0012").get()
        XCTAssertEqual([parts.agency, parts.received.iso, parts.serial], ["H40.60.02", "2026-07-05", "0012"])
        XCTAssertEqual(try DossierCode.parse("000.00.12.H40-261231-123456").get().agency, "000.00.12.H40")
        XCTAssertEqual(DossierCode.normalize(" h40.60.02-260705-0012 "), "H40.60.02-260705-0012")
        for bad in ["H40.60.02-260705", "H40.60.02-260230-0001", "H40.60.02-2607O5-0001", "H40.60.02-260705-12",
                    "H40.60.02-260705-1234567", "40H-260705-0001", "H40..1-260705-0001", "H40-260705-0001-2", ""] {
            guard case .failure(let p) = DossierCode.parse(bad) else { XCTFail("accepted \(bad)"); continue }
            XCTAssertEqual(p.list.map(\.field), ["code"], bad)
        }
    }

    func draft(received: String = "2026-11-02", due: String = "2026-11-05", finished: String) -> DossierDraft {
        DossierDraft(code: "H40.60.02-261102-0001", procedureCode: "1.001193", procedureName: "Đăng ký khai sinh",
                     received: received, due: due, finished: finished, officer: "CB-01")
    }

    func testOnTimeAndLateAreCountedAsAnyCompletion() throws {
        let onTime = try draft(finished: "2026-11-05").check(today: today).get()
        XCTAssertFalse(onTime.late)
        let done = try onTime.completion().get()
        XCTAssertEqual(done.state, .completed)
        XCTAssertEqual([done.delays, done.majorErrors, done.percent], [0, 0, 100])
        XCTAssertEqual(done.submittedOn, DateOnly(year: 2026, month: 11, day: 5))
        let late = try draft(finished: "2026-11-20").check(today: today).get()
        XCTAssertTrue(late.late)
        XCTAssertEqual(try late.completion().get().delays, 1)
        // A deadline interval of 3 days, 15 days late: one delay plus four more intervals under the other rule.
        XCTAssertEqual(try late.completion(delayRule: .perInterval).get().delays, 5)
        XCTAssertEqual(late.title, "Hồ sơ TTHC H40.60.02-261102-0001: Đăng ký khai sinh")
    }

    func testEveryProblemOfALineIsNamed() {
        func fields(_ d: DossierDraft) -> [String] {
            guard case .failure(let p) = d.check(today: today) else { return [] }
            return p.list.map(\.field)
        }
        XCTAssertEqual(fields(draft(received: "2026-11-03", finished: "2026-11-04")), ["receivedOn"])
        XCTAssertEqual(fields(draft(due: "2026-11-01", finished: "2026-11-04")), ["dueOn"])
        XCTAssertEqual(fields(draft(finished: "2026-11-01")), ["finishedOn"])
        XCTAssertEqual(fields(draft(finished: "2026-11-26")), ["finishedOn"], "a result cannot come from the future")
        XCTAssertEqual(fields(draft(finished: "2026-13-01")), ["finishedOn"])
        var d = draft(finished: "2026-11-04")
        d.procedureCode = ""; d.procedureName = "  "; d.officer = ""; d.rating = 6
        d.ratingComment = String(repeating: "a", count: 1_001); d.ratedOn = "2026-11-03"
        XCTAssertEqual(fields(d), ["procedure", "officer", "rating.score", "rating.comment", "rating.ratedOn"])
        d = draft(finished: "2026-11-04")
        d.rating = 4; d.ratedOn = "2026-11-24"
        XCTAssertEqual(try d.check(today: today).get().ratedOn, DateOnly(year: 2026, month: 11, day: 24))
    }
}
