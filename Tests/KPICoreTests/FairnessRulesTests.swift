import Foundation
import KPICore
import XCTest

/// Phân tích công bằng (issue 19, item 4): what flags a unit, said with what was measured and on how many.
final class FairnessRulesTests: XCTestCase {
    func summary(_ scores: [(Int, Level)]) -> ScoreSummary {
        var s = ScoreSummary()
        for (h, l) in scores { s.add(hundredths: h, level: l) }
        return s
    }

    func testAUnitFarAboveTheWholeIsFlaggedWithWhatWasMeasured() {
        let rules = FairnessRules.defaults
        let unit = summary([(9500, .excellent), (9400, .good), (9300, .good), (9200, .good), (9100, .good)])
        var whole = summary((0..<10).map { (6000 + 100 * $0, $0 < 5 ? Level.pass : .good) })
        whole.merge(unit)
        // Whole: 6000 … 6900 and 9100 … 9500 → the 8th of 15: 6700.
        XCTAssertEqual(whole.median, 6700)
        let flags = rules.flags(unit: unit, whole: whole)
        XCTAssertEqual(flags, [
            "Mọi người có xếp loại (5 người) đều từ «hoàn thành tốt nhiệm vụ» trở lên.",
            "Trung vị 93,00 cao hơn trung vị chung (67,00) 26,00 điểm, quá mức 10 điểm (5 người có điểm).",
        ])
        // The whole itself has people below "tốt" and its own median: nothing to flag.
        XCTAssertEqual(rules.flags(unit: whole, whole: whole), [])
    }

    func testTheGapMustExceedTheRuleAndSmallGroupsAreNeverFlagged() {
        let unit = summary([(9000, .good), (9000, .good), (9000, .good), (9000, .good), (9000, .good)])
        let whole = summary([(8000, .good), (8000, .good), (8000, .good)])
        // 10,00 points above: not more than 10 → only the "all good" flag.
        let flags = FairnessRules(minGroup: 5, medianGapPoints: 10, flagAllGood: true).flags(unit: unit, whole: whole)
        XCTAssertEqual(flags.count, 1)
        let nine = FairnessRules(minGroup: 5, medianGapPoints: 9, flagAllGood: false).flags(unit: unit, whole: whole)
        XCTAssertEqual(nine, ["Trung vị 90,00 cao hơn trung vị chung (80,00) 10,00 điểm, "
                                  + "quá mức 9 điểm (5 người có điểm)."])
        let small = summary([(10000, .excellent), (9900, .excellent)])
        XCTAssertTrue(FairnessRules.defaults.isSmall(small))
        XCTAssertEqual(FairnessRules.defaults.flags(unit: small, whole: whole), [])
    }

    func testAnEvaluatorMarkingFarAboveTheOthersIsFlaggedOnlyWithEnoughSheets() {
        let rules = FairnessRules.defaults
        XCTAssertEqual(rules.leniency(mean: 500, sheets: 5, othersMean: 100, othersSheets: 5),
                       "Chấm bình quân 5,00 điểm trên 5 phiếu, cao hơn những người đánh giá khác cùng nhóm "
                        + "(1,00 trên 5 phiếu) 4,00 điểm, quá mức 2 điểm.")
        XCTAssertNil(rules.leniency(mean: 300, sheets: 5, othersMean: 100, othersSheets: 5), "2 points: not more than 2")
        XCTAssertNil(rules.leniency(mean: 500, sheets: 4, othersMean: 100, othersSheets: 5), "too few sheets")
        XCTAssertNil(rules.leniency(mean: 500, sheets: 5, othersMean: 100, othersSheets: 4), "too few to compare with")
        // Rules saved before the leniency gap existed keep working.
        let old = try? JSONDecoder().decode(FairnessRules.self, from: Data(#"{"flagAllGood":false,"medianGapPoints":7,"minGroup":6}"#.utf8))
        XCTAssertEqual(old, FairnessRules(minGroup: 6, medianGapPoints: 7, flagAllGood: false, leniencyGapPoints: 2))
        let scorer = try? GeneralScorer(FrameworkDefinition.seeded("cong-chuc")!)
        XCTAssertEqual(scorer?.rubricPoints(["KL-02": "Khá"]), Rational(3))
        XCTAssertNil(scorer?.rubricPoints(["KL-02": "Không có mức này"]))
        XCTAssertNil(scorer?.rubricPoints([:]))
    }

    func testRulesAsTypedAreBounded() {
        XCTAssertEqual(try FairnessRules.check(minGroup: " 8 ", medianGap: "12", allGood: false).get(),
                       FairnessRules(minGroup: 8, medianGapPoints: 12, flagAllGood: false))
        for (group, gap) in [("1", "10"), ("101", "10"), ("x", "10"), ("5", "0"), ("5", "51"), ("5", ""),
                             ("9999999999999999999999", "10")] {
            guard case let .failure(p) = FairnessRules.check(minGroup: group, medianGap: gap, allGood: true) else {
                return XCTFail("\(group) \(gap) accepted")
            }
            XCTAssertFalse(p.list.isEmpty)
        }
    }
}
