import KPICore
import XCTest

/// Hand-computed cases of DOMAIN.md §4–5. Unless said otherwise the general criteria are full
/// (10 + 5 + 15 = 30) and the framework is "cong-chuc": task score = 70 × (a + b + c) ÷ 300.
final class GoldenCaseTests: XCTestCase {
    let engine = ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)

    func r(_ s: String) -> Rational { Rational(decimal: s)! }
    func t(_ units: String, _ status: TaskStatus = .completed, e: Int = 0, x: Int = 0, d: Int = 0, xd: Int = 0) -> TaskRecord {
        TaskRecord(units: r(units), status: status, majorErrors: e, exemptErrors: x, delays: d, exemptDelays: xd)
    }
    func period(_ tasks: [TaskRecord], rubric: String? = nil, general: GeneralInputs = .init()) -> PeriodInput {
        PeriodInput(tasks: tasks, general: general, rubricTaskScore: rubric.map(r))
    }
    func person(id: String = "p", group: String = "g", leader: (Int, Int)? = nil, flags: Set<OverrideFlag> = [],
                _ periods: [PeriodInput]) -> PersonInput {
        PersonInput(id: id, group: group, leader: leader.map { LeaderInputs(unitResult: Rational($0.0), organizing: Rational($0.1)) },
                    flags: flags, periods: periods)
    }

    /// (name, input, expected year score as "xx.xx" or nil, expected level before the quota or nil)
    func cases() -> [(String, PersonInput, String?, Level?)] {
        let full = t("1")
        return [
            // 1–3: no task basis.
            ("no tasks, no rubric: not scored", person([period([])]), nil, nil),
            ("only cancelled tasks = no basis", person([period([t("2", .cancelled)])]), nil, nil),
            ("no tasks, rubric 45 + 30", person([period([], rubric: "45")]), "75.00", .good),
            // 4–5: the simplest tasks.
            ("one task done on time: a=b=c=100 → 70 + 30", person([period([full])]), "100.00", .excellent),
            ("one task still open: a=b=c=0 → 0 + 30", person([period([t("1", .open)])]), "30.00", .fail),
            // 6–8: delays lower c by ¼ each, never below 0.
            ("1 delay: c=75 → 70×275/300=64.1667 + 30", person([period([t("1", d: 1)])]), "94.17", .excellent),
            ("2 delays: c=50 → 70×250/300=58.3333 + 30", person([period([t("1", d: 2)])]), "88.33", .good),
            ("4 delays: c=0 → 70×200/300=46.6667 + 30", person([period([t("1", d: 4)])]), "76.67", .good),
            ("7 delays: c stays 0", person([period([t("1", d: 7)])]), "76.67", .good),
            // Delays confirmed as due to an objective cause do not count (Nghị định 335 Điều 14).
            ("1 delay, exempted: as on time", person([period([t("1", d: 1, xd: 1)])]), "100.00", .excellent),
            ("3 delays, 1 exempted: as 2 delays, c=50", person([period([t("1", d: 3, xd: 1)])]), "88.33", .good),
            ("1.5 late exempted, 1 late not (U=2.5): c=(1.5+0.75)/2.5=90 → 70×290/300=67.6667 + 30",
             person([period([t("1.5", d: 1, xd: 1), t("1", d: 1)])]), "97.67", .excellent),
            // 10–14: errors lower b by ¼ each; exempt errors do not count.
            ("1 major error: b=75", person([period([t("1", e: 1)])]), "94.17", .excellent),
            ("3 errors: b=25 → 70×225/300=52.5 + 30", person([period([t("1", e: 3)])]), "82.50", .good),
            ("2 errors, 1 exempt: as 1 error", person([period([t("1", e: 2, x: 1)])]), "94.17", .excellent),
            ("2 errors, both exempt: perfect", person([period([t("1", e: 2, x: 2)])]), "100.00", .excellent),
            ("9 errors: b=0", person([period([t("1", e: 9)])]), "76.67", .good),
            // 15–18: quantities and mixtures.
            ("2 done + 1 open, cancelled ignored: a=b=c=66.67 → 46.6667 + 30",
             person([period([t("2"), t("1", .open), t("5", .cancelled)])]), "76.67", .good),
            ("1.5 done with 1 delay, 1 done, 0.5 open (U=3): a=b=83.33 c=70.83 → 55.4167 + 30",
             person([period([t("1.5", d: 1), t("1"), t("0.5", .open)])]), "85.42", .good),
            ("errors and delays on one task: b=75 c=50 → 70×225/300=52.5 + 30", person([period([t("1", e: 1, d: 2)])]), "82.50", .good),
            ("weights by quantity: 3 units perfect, 1 unit 2 errors: b=(3+0.5)/4=87.5 → 70×287.5/300=67.0833 + 30",
             person([period([t("3"), t("1", e: 2)])]), "97.08", .excellent),
            // 19–21: general criteria.
            ("general 8 + 4 + 12 with a perfect task", person([period([full], general: GeneralInputs(satisfaction: r("8"),
                coordination: r("4"), discipline: r("12")))]), "94.00", .excellent),
            ("general above its maxima is clamped", person([period([full], general: GeneralInputs(satisfaction: r("12"),
                coordination: r("9"), discipline: r("20")))]), "100.00", .excellent),
            ("discipline deductions to 0 with an open task: 0 + 10 + 5 + 0", person([period([t("1", .open)],
                general: GeneralInputs(discipline: r("0")))]), "15.00", .fail),
            // 22–26: leaders: 70 × (0.6 × own + 0.2 × d + 0.2 × đ).
            ("leader d=100 đ=100, own perfect", person(leader: (100, 100), [period([full])]), "100.00", .excellent),
            ("leader d=50 đ=100: 70×0.9=63 + 30", person(leader: (50, 100), [period([full])]), "93.00", .excellent),
            ("leader d=100 đ=50: 63 + 30", person(leader: (100, 50), [period([full])]), "93.00", .excellent),
            ("leader d=50 đ=50: 70×0.8=56 + 30", person(leader: (50, 50), [period([full])]), "86.00", .good),
            ("leader own 50% (1 done, 1 open), d=đ=100: 70×0.7=49 + 30", person(leader: (100, 100), [period([full, t("1", .open)])]),
             "79.00", .good),
            // 27–32: level boundaries on the rounded score.
            ("49.99 fails", person([period([], rubric: "19.99")]), "49.99", .fail),
            ("50 passes", person([period([], rubric: "20")]), "50.00", .pass),
            ("69.99 is pass", person([period([], rubric: "39.99")]), "69.99", .pass),
            ("70 is good", person([period([], rubric: "40")]), "70.00", .good),
            ("89.99 is good", person([period([], rubric: "59.99")]), "89.99", .good),
            ("90 is excellent before the quota", person([period([], rubric: "60")]), "90.00", .excellent),
            // 33–34: rounding only at the end, half-up.
            ("mean 89.995 shows as 90.00 and is ≥ 90", person([period([], rubric: "59.99"), period([], rubric: "60")]), "90.00",
             .excellent),
            ("each period is kept to 2 decimals first: 89.994 → 89.99, mean 89.99", person([period([], rubric: "59.994"), period([],
                rubric: "59.99")]), "89.99", .good),
            // 35–37: yearly means.
            ("missing period is skipped: (100 + 80) / 2", person([period([full]), period([]), period([], rubric: "50")]), "90.00",
             .excellent),
            ("12 months: 11 × 90 and one 78 → 89", person(Array(repeating: period([], rubric: "60"), count: 11) + [period([],
                rubric: "48")]), "89.00", .good),
            ("3 quarters: 100, 76.67, 30 → 68.89", person([period([full]), period([t("1", d: 4)]), period([t("1", .open)])]), "68.89",
             .pass),
            // 38–40: overrides.
            ("discipline forces fail at 100", person(flags: [.discipline], [period([full])]), "100.00", .fail),
            ("degradation forces fail", person(flags: [.degradation], [period([full])]), "100.00", .fail),
            ("leader whose unit was handled for corruption fails", person(leader: (100, 100), flags: [.unitCorruption], [period([full])]),
             "100.00", .fail),
        ]
    }

    func testGoldenCases() throws {
        let all = cases()
        XCTAssertGreaterThanOrEqual(all.count, 40)
        for (name, input, score, level) in all {
            let result = try engine.person(input)
            XCTAssertEqual(result.yearScore?.fixed(2), score, name)
            XCTAssertEqual(result.level, level, name)
        }
    }

    func testPeriodComponentsOfTheIssueSample() throws {
        let p = try engine.period(period([t("1.5", d: 1), t("1"), t("0.5", .open)],
                                         general: GeneralInputs(satisfaction: r("9.5"), coordination: r("5"), discipline: r("15"))),
                                         leader: nil)
        XCTAssertEqual(p.a?.fixed(2), "83.33")
        XCTAssertEqual(p.b?.fixed(2), "83.33")
        XCTAssertEqual(p.c?.fixed(2), "70.83")
        XCTAssertEqual(p.taskScore?.fixed(2), "55.42")
        XCTAssertEqual(p.generalScore.fixed(2), "29.50")
        XCTAssertEqual(p.total?.fixed(2), "84.92")
    }

    func testReasonsExplainTheLevel() throws {
        let missing = try engine.person(person([period([full()]), period([])]))
        XCTAssertTrue(missing.reasons.contains { $0.contains("1 kỳ chưa có điểm không tính") })
        let flagged = try engine.person(person(flags: [.discipline], [period([full()])]))
        XCTAssertTrue(flagged.reasons.last!.contains("bị kỷ luật từ khiển trách trở lên"))
        let noBasis = try engine.period(period([]), leader: nil)
        XCTAssertTrue(noBasis.notes[0].contains("cần người đánh giá chấm điểm"))
    }

    func full() -> TaskRecord { t("1") }

    func testPartyFrameworkNeedsEveryTaskOnTime() throws {
        let party = ScoringEngine(rules: ScoringRules.seeded("can-bo")!)
        // 1 delay: 94.17 ≥ 90, but 1 of 2 tasks late (50%): not "xuất sắc", not "tốt" → HTNV.
        let late = try party.person(person([period([t("1", d: 1), t("1")])]))
        XCTAssertEqual(late.yearScore?.fixed(2), "97.08")
        XCTAssertEqual(late.level, .pass)
        XCTAssertTrue(late.reasons.contains { $0.contains("tỷ lệ nhiệm vụ đúng hạn 50,00% < 100,00%") })
        XCTAssertEqual(try party.person(person([period([full()])])).level, .excellent)
    }
}
