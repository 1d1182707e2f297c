import Foundation
import KPICore
import XCTest

/// Nghỉ theo chế độ (DOMAIN.md §5): a person is ranked on the periods they actually worked. A period
/// whose every working day is on recorded leave is not evaluated and not counted in the year.
final class LeaveCoreTests: XCTestCase {
    func day(_ s: String) -> DateOnly { DateOnly(parsing: s)! }
    let calendar = WorkCalendar.vietnam2026

    func testCoverageCountsWorkingDaysOnly() throws {
        let (first, last) = (day("01/11/2026"), day("30/11/2026"))
        // November 2026: 1/11 is a Sunday, 30/11 a Monday; 21 working days.
        let all = LeaveSpan(from: day("02/11/2026"), to: day("30/11/2026"), text: "Nghỉ thai sản")
        let facts = try XCTUnwrap(LeaveSpan.facts([all], first: first, last: last, calendar: calendar))
        XCTAssertEqual(facts.workingDays, 21)
        XCTAssertEqual(facts.daysOnLeave, 21)
        XCTAssertTrue(facts.wholePeriod, "a leave from the first working day covers the month, weekends aside")
        // Two spans that together cover the month, in any order.
        let a = LeaveSpan(from: day("16/11/2026"), to: day("31/12/2026"), text: "Nghỉ không hưởng lương")
        let b = LeaveSpan(from: day("01/10/2026"), to: day("13/11/2026"), text: "Nghỉ ốm đau dài ngày")
        let both = try XCTUnwrap(LeaveSpan.facts([a, b], first: first, last: last, calendar: calendar))
        XCTAssertTrue(both.wholePeriod)
        XCTAssertEqual(both.spans, ["Nghỉ ốm đau dài ngày", "Nghỉ không hưởng lương"])
        // Half of it: scored as usual, the leave shown.
        let half = try XCTUnwrap(LeaveSpan.facts([b], first: first, last: last, calendar: calendar))
        XCTAssertEqual(half.daysOnLeave, 10)
        XCTAssertFalse(half.wholePeriod)
        XCTAssertTrue(half.text.contains("10/21 ngày làm việc"), half.text)
        // One working day missing (the last one) is not the whole period.
        let short = LeaveSpan(from: day("02/11/2026"), to: day("29/11/2026"), text: "x")
        XCTAssertFalse(try XCTUnwrap(LeaveSpan.facts([short], first: first, last: last, calendar: calendar)).wholePeriod)
        // Leave only on a weekend, or outside the period: nothing.
        XCTAssertNil(LeaveSpan.facts([LeaveSpan(from: day("07/11/2026"), to: day("08/11/2026"), text: "x")], first: first, last: last,
                                     calendar: calendar))
        XCTAssertNil(LeaveSpan.facts([LeaveSpan(from: day("01/12/2026"), to: day("31/12/2026"), text: "x")], first: first, last: last,
                                     calendar: calendar))
        // Holidays are not working days: 2/9 (Quốc khánh) inside the leave or not changes nothing.
        let sept = LeaveSpan(from: day("01/09/2026"), to: day("30/09/2026"), text: "x")
        let s = try XCTUnwrap(LeaveSpan.facts([sept], first: day("01/09/2026"), last: day("30/09/2026"), calendar: calendar))
        XCTAssertEqual(s.workingDays, 20, "September 2026: 22 weekdays less 1 and 2 September")
        XCTAssertTrue(s.wholePeriod)
        XCTAssertTrue(a.overlaps(LeaveSpan(from: day("31/12/2026"), to: day("05/01/2027"), text: "")))
        XCTAssertFalse(a.overlaps(b))
    }

    func testAPeriodOnLeaveIsNotEvaluatedAndNotCounted() throws {
        let engine = ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)
        let worked = PeriodInput(tasks: [TaskRecord(units: Rational(2), status: .completed, majorErrors: 0, exemptErrors: 0, delays: 0)])
        // Tasks due in a period on leave do not make it scored (they were assigned before the leave).
        var away = worked
        away.onLeave = true
        let p = try engine.person(PersonInput(id: "p", group: "g", periods: [worked, away]))
        XCTAssertEqual(p.yearHundredths, 10000)
        XCTAssertNil(p.periods[1].totalHundredths)
        XCTAssertEqual(p.periods[1].notes, [PeriodNote.onLeave.text])
        XCTAssertEqual(p.reasons.prefix(2), ["Điểm năm 100,00 là trung bình 1 kỳ có điểm.",
                                             """
                                                 1 kỳ nghỉ theo chế độ không tính: xếp loại trên các kỳ thực tế \
                                                 làm việc.
                                                 """])
        // The same through `period`.
        XCTAssertNil(try engine.period(away, leader: nil).totalHundredths)
        // A single period on leave: not evaluated, not ranked — not "no scored period".
        let only = try engine.person(PersonInput(id: "q", group: "g", periods: [away]))
        XCTAssertNil(only.level)
        XCTAssertEqual(only.reasons, ["Nghỉ theo chế độ cả kỳ: không đánh giá, không xếp loại kỳ này."])
        // Without tasks and without leave it stays "no task basis".
        let idle = try engine.person(PersonInput(id: "r", group: "g", periods: [PeriodInput(tasks: [])]))
        XCTAssertEqual(idle.reasons, ["Chưa có kỳ nào có điểm: chưa xếp loại."])
        // Leave never enters the quota pool: five people at 100 (one place) rank the same with or
        // without five more on leave (who would make it two places if they counted).
        let five = (0..<5).map { PersonInput(id: "w\($0)", group: "g", periods: [worked]) }
        let absent = (0..<5).map { PersonInput(id: "l\($0)", group: "g", periods: [away]) }
        let alone = try engine.rank(five), mixed = try engine.rank(five + absent)
        XCTAssertEqual(alone.filter { $0.level == .excellent }.count, 1)
        XCTAssertEqual(mixed.prefix(5).map(\.level), alone.map(\.level))
        XCTAssertEqual(mixed.suffix(5).map(\.level), [nil, nil, nil, nil, nil])
    }

    func testTheYearSaysWhichPeriodsWereLeave() throws {
        let engine = ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)
        let y = engine.year(YearInput(id: "a", group: "g", totals: [9000, nil, nil, 8000], leavePeriods: 1))
        XCTAssertEqual(y.yearHundredths, 8500)
        XCTAssertEqual(y.reasons.prefix(2),
                       ["Điểm năm 85,00 là trung bình 2 kỳ có điểm (1 kỳ chưa có điểm không tính).",
                                             """
                                                 1 kỳ nghỉ theo chế độ không tính: xếp loại trên các kỳ thực tế \
                                                 làm việc.
                                                 """])
        XCTAssertEqual(engine.year(YearInput(id: "b", group: "g", totals: [nil, nil], leavePeriods: 2)).reasons,
                       ["Nghỉ theo chế độ cả kỳ: không đánh giá, không xếp loại kỳ này."])
        // Through the stored facts: a period marked leave counts as leave.
        var data = ScoreInputData(personCode: "a", personName: "A", staffKind: "cong-chuc", groupCode: "g", unitName: "U", tasks: [],
                                  satisfaction: "", coordination: "", discipline: "")
        data.year = .init(periods: [.init(code: "2026-01", agency: "X", hundredths: 9000, level: "HTXSNV", revision: 1, tasks: 2,
                                          onTime: 2),
                                    .init(code: "2026-02", agency: "X", hundredths: nil, level: "", revision: 1, tasks: 0, onTime: 0,
                                          leave: true)],
                          flags: [])
        let scored = try data.score(engine)
        XCTAssertEqual(scored.yearHundredths, 9000)
        XCTAssertTrue(scored.reasons.contains("""
            1 kỳ nghỉ theo chế độ không tính: xếp loại trên các kỳ thực tế làm việc.
            """))
    }

    func testStoredInputsCarryTheLeave() throws {
        var data = ScoreInputData(personCode: "a", personName: "A", staffKind: "cong-chuc", groupCode: "g", unitName: "U",
                                  tasks: [.init(title: "t", productCode: "SP", productName: "SP", unit: "văn bản", quantity: "1",
                                                factor: "1",
                                                complexity: "", complexityFactor: "", status: "completed", majorErrors: 0, exemptErrors: 0,
                                                delays: 0)],
                                  satisfaction: "", coordination: "", discipline: "")
        XCTAssertFalse(try data.periodInput().onLeave)
        data.leave = LeaveFacts(workingDays: 21, daysOnLeave: 21, spans: ["Nghỉ thai sản 02/11/2026–01/05/2027"])
        XCTAssertTrue(try data.periodInput().onLeave)
        let back = try JSONDecoder().decode(ScoreInputData.self, from: JSONEncoder().encode(data))
        XCTAssertEqual(back, data)
        XCTAssertNil(try data.score(ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)).level)
        // Inputs stored before leave existed decode with none.
        let old = try JSONDecoder().decode(ScoreInputData.self,
                                           from: Data((#"{"personCode":"a","personName":"A","staffKind":"","groupCode":"","unitName":"","#
                                                       + #""tasks":[],"satisfaction":"","coordination":"","discipline":"","unitResult":"","#
                                                       + #""organizing":""}"#).utf8))
        XCTAssertNil(old.leave)
        // `kpi score` takes the same flag.
        let json = #"{"people":[{"id":"p","periods":[{"tasks":[{"units":1,"status":"completed"}]},"#
            + #"{"tasks":[{"units":1,"status":"open"}],"onLeave":true}]}]}"#
        let out = try JSONSerialization.jsonObject(with: try ScoreCase.run(Data(json.utf8))) as! [String: Any]
        let person = (out["people"] as! [[String: Any]])[0]
        XCTAssertEqual((person["yearScore"] as! NSNumber).doubleValue, 100, accuracy: 1e-9)
        XCTAssertEqual(((person["periods"] as! [[String: Any]])[1]["notes"] as! [String]), [PeriodNote.onLeave.text])
        let bad = #"{"people":[{"id":"p","periods":[{"tasks":[],"onLeave":"yes"}]}]}"#
        XCTAssertThrowsError(try ScoreCase.run(Data(bad.utf8))) { e in
            XCTAssertEqual((e as? ScoreCase.InputError)?.field, "people[0].periods[0].onLeave")
        }
    }
}
