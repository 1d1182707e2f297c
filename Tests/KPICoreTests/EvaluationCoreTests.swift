import Foundation
import KPICore
import XCTest

/// Periods (kỳ đánh giá) and the points of groups (ii)–(iv) from gathered facts.
final class EvaluationCoreTests: XCTestCase {
    func testMonthRanges() throws {
        let m = { (t: String) in PeriodCode(t)! }
        XCTAssertEqual(PeriodCode.months(from: m("2026-11"), through: m("2027-02"), limit: 24).map(\.text),
                       ["2026-11", "2026-12", "2027-01", "2027-02"])
        XCTAssertEqual(PeriodCode.months(from: m("2027-02"), through: m("2026-11"), limit: 24).count, 4, "either order")
        XCTAssertEqual(PeriodCode.months(from: m("2026-07"), through: m("2026-07"), limit: 24).map(\.text), ["2026-07"])
        // Every month of 24 years, each the day after the one before; a limit stops early.
        let long = PeriodCode.months(from: m("2001-01"), through: m("2024-12"), limit: 1_000)
        XCTAssertEqual(long.count, 288)
        for (a, b) in zip(long, long.dropFirst()) { XCTAssertEqual(a.last.adding(days: 1), b.first) }
        XCTAssertEqual(PeriodCode.months(from: m("2026-01"), through: m("2027-12"), limit: 5).count, 5)
        XCTAssertEqual(PeriodCode.months(from: m("2026-Q1"), through: m("2026-12"), limit: 24), [], "months only")
    }

    func testPeriodCodes() throws {
        let m = try XCTUnwrap(PeriodCode("2026-02"))
        XCTAssertEqual(m.text, "2026-02")
        XCTAssertEqual(m.label, "Tháng 2/2026")
        XCTAssertEqual(m.first.iso, "2026-02-01")
        XCTAssertEqual(m.last.iso, "2026-02-28")
        XCTAssertEqual(PeriodCode("2028-2")?.last.iso, "2028-02-29")
        XCTAssertEqual(PeriodCode("11/2026")?.text, "2026-11")
        let q = try XCTUnwrap(PeriodCode("2026-q4"))
        XCTAssertEqual(q.text, "2026-Q4")
        XCTAssertEqual(q.label, "Quý IV/2026")
        XCTAssertEqual(q.first.iso, "2026-10-01")
        XCTAssertEqual(q.last.iso, "2026-12-31")
        XCTAssertEqual(PeriodCode("Q2/2026")?.text, "2026-Q2")
        let y = try XCTUnwrap(PeriodCode("2026"))
        XCTAssertEqual(y.label, "Năm 2026")
        XCTAssertEqual(y.parts(.quarter).map(\.text), ["2026-Q1", "2026-Q2", "2026-Q3", "2026-Q4"])
        XCTAssertEqual(y.parts(.month).count, 12)
        XCTAssertEqual(q.parts(.month).map(\.text), ["2026-10", "2026-11", "2026-12"])
        for bad in ["", "2026-13", "2026-00", "2026-Q5", "26-11", "2026-11-01", "abc", "1999"] {
            XCTAssertNil(PeriodCode(bad), bad)
        }
        let day = try XCTUnwrap(DateOnly(parsing: "2026-11-23"))
        XCTAssertTrue(m.contains(try XCTUnwrap(DateOnly(parsing: "2026-02-28"))))
        XCTAssertFalse(m.contains(try XCTUnwrap(DateOnly(parsing: "2026-03-01"))))
        XCTAssertEqual(PeriodCode.containing(day, kind: .month).text, "2026-11")
        XCTAssertEqual(PeriodCode.containing(day, kind: .quarter).text, "2026-Q4")
        XCTAssertEqual(PeriodCode.containing(day, kind: .year).text, "2026")
        // Order: earlier first, a quarter after its months, the year after its quarters.
        let sorted = ["2026", "2026-Q4", "2026-12", "2026-11", "2025-12", "2026-Q1"].compactMap(PeriodCode.init).sorted().map(\.text)
        XCTAssertEqual(sorted, ["2025-12", "2026-Q1", "2026-11", "2026-12", "2026-Q4", "2026"])
    }

    func testExactTexts() {
        XCTAssertEqual(Rational(exact: "26/3"), try Rational(26, 3))
        XCTAssertEqual(Rational(exact: "9,5"), try Rational(19, 2))
        XCTAssertEqual(Rational(exact: "15"), Rational(15))
        for bad in ["", "1/0", "a/3", "1/2/3", "x", "1.5/2"] { XCTAssertNil(Rational(exact: bad), bad) }
    }

    func testGeneralPointsFromFacts() throws {
        let d = FrameworkDefinition() // HL-01 rating 10, PH-01 rating 5, KL-01 deduction 10, KL-02 rubric 5
        // No facts: no negative evidence, full points everywhere.
        let none = try d.general(GeneralMetrics())
        XCTAssertEqual(none.inputs, GeneralInputs(satisfaction: Rational(10), coordination: Rational(5), discipline: Rational(15)))
        XCTAssertTrue(none.indicators.first { $0.code == "KL-02" }!.note.contains("chưa chọn"))
        // Ratings 5, 4, 4 → mean 13/3 of 5 → 10 × 13/15 = 26/3; coordination 3 of 5 → 3;
        // two violations deducting 2 and 1,5 → 10 − 3,5; rubric "Khá" → 3.
        let m = GeneralMetrics(satisfactionCount: 3, satisfactionSum: 13, coordinationCount: 1, coordinationSum: 3,
                               violations: 2, deductions: "3.5", rubric: ["KL-02": "Khá"])
        let g = try d.general(m)
        XCTAssertEqual(g.inputs.satisfaction, try Rational(26, 3))
        XCTAssertEqual(g.inputs.coordination, Rational(3))
        XCTAssertEqual(g.inputs.discipline, try Rational(19, 2))
        XCTAssertEqual(g.indicators.map(\.code), ["HL-01", "PH-01", "KL-01", "KL-02"])
        XCTAssertEqual(g.indicators[2].note, "2 vi phạm, trừ 3,5 điểm")
        // Deductions never go below 0; an unknown rubric level counts as not chosen.
        let heavy = try d.general(GeneralMetrics(violations: 9, deductions: "40", rubric: ["KL-02": "Xuất sắc"]))
        XCTAssertEqual(heavy.inputs.discipline, Rational(5))
        // A formula indicator over the mean rating, clamped to its maximum.
        var f = FrameworkDefinition()
        f.indicators[0] = .init(group: "hai-long", code: "HL-01", name: "Hài lòng", maxPoints: "10", method: "formula",
                                parameter: "diem_tb * 3")
        XCTAssertEqual(try f.general(GeneralMetrics(satisfactionCount: 2, satisfactionSum: 6)).inputs.satisfaction, Rational(9))
        XCTAssertEqual(try f.general(GeneralMetrics(satisfactionCount: 1, satisfactionSum: 5)).inputs.satisfaction, Rational(10))
        XCTAssertEqual(try f.general(GeneralMetrics()).inputs.satisfaction, Rational(10))
    }

    func testScoreCaseTakesExactFractions() throws {
        let json = #"{"people":[{"id":"p","periods":[{"tasks":[{"units":1,"status":"completed"}],"#
            + #""general":{"satisfaction":"26/3","coordination":"5","discipline":15}}]}]}"#
        let out = try JSONSerialization.jsonObject(with: try ScoreCase.run(Data(json.utf8))) as! [String: Any]
        let person = (out["people"] as! [[String: Any]])[0]
        // 70 + 26/3 + 5 + 15 = 98,666… → 98,67
        XCTAssertEqual((person["yearScore"] as! NSNumber).doubleValue, 98.67, accuracy: 1e-9)
        let bad = #"{"people":[{"id":"p","periods":[{"tasks":[],"general":{"satisfaction":"1/0"}}]}]}"#
        XCTAssertThrowsError(try ScoreCase.run(Data(bad.utf8))) { e in
            XCTAssertEqual((e as? ScoreCase.InputError)?.field, "people[0].periods[0].general.satisfaction")
        }
    }

    /// The year (Nghị định 335 Điều 21): the mean of the periods' published totals, periods without
    /// a score not counted, then the level, its conditions and the year-level overrides.
    func testYearIsTheMeanOfThePublishedPeriods() throws {
        let engine = ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)
        // (90,00 + 80,00 + 85,01) / 3 = 85,0033… → 85,00; the month on leave is not counted.
        let y = engine.year(YearInput(id: "a", group: "g", totals: [9000, 8000, nil, 8501]))
        XCTAssertEqual(y.yearHundredths, 8500)
        XCTAssertEqual(y.yearScore, try Rational(25501, 300))
        XCTAssertEqual(y.level, .good)
        XCTAssertEqual(y.reasons.first, "Điểm năm 85,00 là trung bình 3 kỳ có điểm (1 kỳ chưa có điểm không tính).")
        let disciplined = engine.year(YearInput(id: "b", group: "g", totals: [9500, 9700], flags: [.discipline]))
        XCTAssertEqual(disciplined.yearHundredths, 9600)
        XCTAssertEqual(disciplined.level, .fail)
        XCTAssertTrue(disciplined.reasons.last!.contains("kỷ luật"))
        XCTAssertNil(engine.year(YearInput(id: "c", group: "g", totals: [nil])).level)
        // The quota over years, as over periods: pool 5 at ≥ 70 → one place, the best.
        let ranked = engine.rankYears((1...5).map { YearInput(id: "p\($0)", group: "g", totals: [9000 + $0 * 10]) })
        XCTAssertEqual(ranked.filter { $0.level == .excellent }.map(\.id), ["p5"])
        // The same through stored inputs: a year's facts score as a year.
        var data = ScoreInputData(personCode: "a", personName: "A", staffKind: "cong-chuc", groupCode: "g", unitName: "U", tasks: [],
                                  satisfaction: "", coordination: "", discipline: "")
        data.year = .init(periods: [.init(code: "2026-01", agency: "X", hundredths: 9000, level: "HTXSNV", revision: 1, tasks: 2,
                                          onTime: 2),
                                    .init(code: "2026-02", agency: "Y", hundredths: 8000, level: "HTTNV", revision: 2, tasks: 1,
                                          onTime: 0)], flags: [])
        XCTAssertEqual(try data.score(engine).yearHundredths, 8500)
    }
}
