import KPICore
import XCTest

/// The stored summary of a group (issue 19, item 9): exact figures that add up to any larger group.
final class ScoreSummaryTests: XCTestCase {
    func testQuartilesAreThoseOfTheScoresAsASpreadsheetComputesThem() {
        var s = ScoreSummary()
        // 70,00 85,00 85,00 90,00 95,50 — QUARTILE.INC: Q1 85, median 85, Q3 90, mean 85,10.
        for h in [9000, 8500, 7000, 9550, 8500] { s.add(hundredths: h, level: h >= 9000 ? .excellent : .good) }
        s.add(hundredths: nil, level: nil)
        XCTAssertEqual(s.people, 6)
        XCTAssertEqual(s.scored, 5)
        XCTAssertEqual(s.quantile(0.25), 8500)
        XCTAssertEqual(s.median, 8500)
        XCTAssertEqual(s.quantile(0.75), 9000)
        XCTAssertEqual(s.minimum, 7000)
        XCTAssertEqual(s.maximum, 9550)
        XCTAssertEqual(s.meanHundredths, 8510)
        XCTAssertEqual(s.count(.excellent), 2)
        XCTAssertEqual(s.count(.good), 3)
        // Between ranks: 4 scores 10, 20, 30, 40 → Q1 = 17,5 → 1750 hundredths of 10,00… here in hundredths.
        var even = ScoreSummary()
        for h in [1000, 2000, 3000, 4000] { even.add(hundredths: h, level: nil) }
        XCTAssertEqual(even.quantile(0.25), 1750)
        XCTAssertEqual(even.median, 2500)
        XCTAssertNil(ScoreSummary().median)
        XCTAssertNil(ScoreSummary().meanHundredths)
        XCTAssertNil(s.quantile(1.5))
    }

    func testTwoUnitsMergedAreTheirPeopleTakenTogether() {
        let a = [8000, 9100, 6000], b = [9100, 7500]
        var sa = ScoreSummary(), sb = ScoreSummary(), all = ScoreSummary()
        for h in a { sa.add(hundredths: h, level: .good, facts: TaskFacts(tasks: 3, completed: 2, onTime: 1, notCompleted: 1)) }
        for h in b { sb.add(hundredths: h, level: .pass, facts: TaskFacts(tasks: 1, completed: 1, onTime: 1)) }
        for h in a { all.add(hundredths: h, level: .good, facts: TaskFacts(tasks: 3, completed: 2, onTime: 1, notCompleted: 1)) }
        for h in b { all.add(hundredths: h, level: .pass, facts: TaskFacts(tasks: 1, completed: 1, onTime: 1)) }
        sa.merge(sb)
        XCTAssertEqual(sa, all)
        XCTAssertEqual(sa.median, 8000)
        XCTAssertEqual(sa.work.tasks, 11)
        XCTAssertEqual(sa.work.completed, 8)
        XCTAssertEqual(sa.onTimeTenths, 625, "5 of 8 completed on time: 62,5 %")
        XCTAssertEqual(sa.completionTenths, 727, "8 of 11: 72,7 %")
        // A year's figures do not know the completed tasks: the sum does not either.
        var year = ScoreSummary()
        year.add(hundredths: 8000, level: .good, facts: TaskFacts(tasks: 4, completed: nil, onTime: 3))
        year.merge(sb)
        XCTAssertNil(year.work.completed)
        XCTAssertNil(year.onTimeTenths)
    }

    func testScoresTextRoundTripsAndRefusesWhatIsNotOne() {
        var s = ScoreSummary()
        for h in [8000, 8000, 10000, 0] { s.add(hundredths: h, level: nil) }
        XCTAssertEqual(s.scoresText, "0:1;8000:2;10000:1")
        XCTAssertEqual(ScoreSummary.scores(from: s.scoresText), s.scores)
        XCTAssertEqual(ScoreSummary.scores(from: ""), [:])
        XCTAssertEqual(ScoreSummary.scores(from: "1:2;;3:4;1:1;"), [1: 3, 3: 4], "empty pairs are skipped, repeats added")
        for bad in ["8000", "8000:0", "x:1", "8000:1:2", "-5:1", "99999999999999999999:1", ":1", "5:", "100001:1", "5:1 "] {
            XCTAssertNil(ScoreSummary.scores(from: bad), bad)
        }
    }

    func testTaskFactsOfInputsCountWhatReportsSay() throws {
        func task(_ status: String, delays: Int = 0, exempt: Int = 0, quantity: String = "2") -> ScoreInputData.Task {
            .init(title: "t", productCode: "P", productName: "p", unit: "bc", quantity: quantity, factor: "1.5", complexity: "",
                  complexityFactor: "", status: status, majorErrors: 0, exemptErrors: 0, delays: delays, exemptDelays: exempt)
        }
        var data = ScoreInputData(personCode: "A", personName: "A", staffKind: "cong-chuc", groupCode: "G", unitName: "U",
                                  tasks: [task("completed"), task("completed", delays: 1), task("completed", delays: 1, exempt: 1),
                                          task("open"), task("cancelled")],
                                  satisfaction: "", coordination: "", discipline: "", unitResult: "", organizing: "")
        XCTAssertEqual(data.taskFacts, TaskFacts(tasks: 4, completed: 3, onTime: 2, notCompleted: 1, unitsAssigned: 1200,
                                                 unitsCompleted: 900))
        data.tasks = []
        data.groups = [.init(units: "4.5", count: 2, status: "completed", majorErrors: 0, exemptErrors: 0, delays: 0),
                       .init(units: "1", count: 1, status: "open", majorErrors: 0, exemptErrors: 0, delays: 0)]
        XCTAssertEqual(data.taskFacts, TaskFacts(tasks: 3, completed: 2, onTime: 2, notCompleted: 1, unitsAssigned: 550,
                                                 unitsCompleted: 450))
    }
}
