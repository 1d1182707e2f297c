import KPICore
import XCTest

/// The deadlines proposed when an agency starts its evaluation: three working days per step.
final class StepDeadlinesTests: XCTestCase {
    func testThreeWorkingDaysPerStepSkippingWeekendsAndHolidays() throws {
        // Thursday 27/08/2026; 2/9 (Wednesday) and 1/9 are the National Day holidays of 2026.
        let today = try XCTUnwrap(DateOnly(parsing: "27/08/2026"))
        let due = StepDeadlines.proposed(from: today, calendar: .vietnam2026)
        // Fri 28, (weekend), Mon 31, (1/9, 2/9 off), Thu 3/9 → 3/9; then Fri 4, Mon 7, Tue 8 → 8/9; Wed 9, Thu 10, Fri 11 → 11/9.
        XCTAssertEqual(due.selfAssessment.display, "03/09/2026")
        XCTAssertEqual(due.review.display, "08/09/2026")
        XCTAssertEqual(due.approval.display, "11/09/2026")
    }
}
