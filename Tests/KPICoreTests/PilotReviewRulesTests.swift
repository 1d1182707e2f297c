import KPICore
import XCTest

/// The pilot review's own arithmetic: a step on its deadline day is on time, a step not done is
/// counted as due and not done; level shares add up to the whole.
final class PilotReviewRulesTests: XCTestCase {
    func testAStepOnItsDeadlineDayIsOnTimeAndOneNotDoneIsOwed() {
        let due = DateOnly(year: 2026, month: 8, day: 5)!
        var step = PilotReview.Step()
        step.add(doneOn: due, due: due)
        step.add(doneOn: due.adding(days: -3), due: due)
        step.add(doneOn: due.adding(days: 1), due: due)
        step.add(doneOn: nil, due: due)
        XCTAssertEqual([step.total, step.done, step.onTime], [4, 3, 2])
        XCTAssertEqual(step.onTimeTenths, 500)
        XCTAssertEqual(step.doneTenths, 750)
        // Without a deadline a step can be done, never on time.
        var open = PilotReview.Step()
        open.add(doneOn: due, due: nil)
        XCTAssertEqual([open.total, open.done, open.onTime], [1, 1, 0])
        step.merge(open)
        XCTAssertEqual([step.total, step.done, step.onTime], [5, 4, 2])
        XCTAssertNil(PilotReview.Step().onTimeTenths, "nothing due: no rate")
    }

    func testSharesOfEachLevel() {
        XCTAssertNil(PilotReview.shares([:]))
        let s = PilotReview.shares([.excellent: 1, .good: 2])!
        XCTAssertEqual(s[.excellent], 333)
        XCTAssertEqual(s[.good], 667)
        XCTAssertEqual(s[.pass], 0)
        XCTAssertEqual(s[.fail], 0)
    }
}
