import KPICore
import XCTest

/// A task's part in a, b and c as the explanation page shows it (DOMAIN.md §4): counted unless
/// cancelled; weights only for a task completed in the period, each 1 − ¼ per unexempted major
/// error or delay, never below 0.
final class TaskShareTests: XCTestCase {
    let engine = ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)

    func task(_ status: String, quantity: String = "2", factor: String = "1.5", complexityFactor: String = "",
              errors: Int = 0, exempt: Int = 0, delays: Int = 0) -> ScoreInputData.Task {
        ScoreInputData.Task(title: "Báo cáo", productCode: "SP-01", productName: "Báo cáo", unit: "báo cáo", quantity: quantity,
                            factor: factor, complexity: complexityFactor.isEmpty ? "" : "Phức tạp", complexityFactor: complexityFactor,
                            status: status, majorErrors: errors, exemptErrors: exempt, delays: delays)
    }

    func testCompletedTaskWeighsItsUnexemptedErrorsAndDelays() throws {
        // Two errors, one exempted, and two delays: quality 1 − ¼ = ¾, timeliness 1 − 2 × ¼ = ½.
        let share = engine.share(of: task("completed", complexityFactor: "1.2", errors: 2, exempt: 1, delays: 2))
        XCTAssertEqual(share.units, try Rational(18, 5))  // 2 × 1,5 × 1,2
        XCTAssertTrue(share.counted)
        XCTAssertEqual(share.quality, try Rational(3, 4))
        XCTAssertEqual(share.timeliness, try Rational(1, 2))
    }

    func testWeightsNeverGoBelowZero() throws {
        let share = engine.share(of: task("completed", errors: 9, delays: 5))
        XCTAssertEqual(share.quality, .zero)
        XCTAssertEqual(share.timeliness, .zero)
    }

    func testOpenTaskCountsInUWithoutWeightsAndACancelledOneDoesNot() throws {
        let open = engine.share(of: task("open", delays: 1))
        XCTAssertEqual(open.units, Rational(3))
        XCTAssertTrue(open.counted)
        XCTAssertNil(open.quality)
        XCTAssertNil(open.timeliness)
        let cancelled = engine.share(of: task("cancelled"))
        XCTAssertFalse(cancelled.counted)
        XCTAssertNil(cancelled.quality)
    }

    /// Groups (ii)–(iv): nothing recorded is the full points (10, 5, 15 in the seeded framework); a
    /// value is kept between 0 and the maximum.
    func testGeneralPointsAreFullWithoutARecordAndKeptWithinTheMaximum() throws {
        let rules = ScoringRules.seeded("cong-chuc")!
        let none = rules.generalPoints(GeneralInputs())
        XCTAssertEqual([none.satisfaction, none.coordination, none.discipline], [Rational(10), Rational(5), Rational(15)])
        let some = rules.generalPoints(GeneralInputs(satisfaction: try Rational(17, 2), coordination: Rational(9),
                                                     discipline: Rational(-3)))
        XCTAssertEqual([some.satisfaction, some.coordination, some.discipline], [try Rational(17, 2), Rational(5), .zero])
    }
}
