import KPICore
import XCTest

/// The framework as data: seeded defaults are valid, every rule of the definition is checked with
/// a Vietnamese message naming the field, and agencies cannot move the locked fields.
final class FrameworkDefinitionTests: XCTestCase {
    func testSeededDefaultsAreValidAndRoundTripAsJSON() throws {
        for (code, _, _) in FrameworkDefinition.seededFrameworks {
            let d = try XCTUnwrap(FrameworkDefinition.seeded(code))
            XCTAssertEqual(d.validate(), [], code)
            let json = try JSONEncoder().encode(d)
            XCTAssertEqual(try JSONDecoder().decode(FrameworkDefinition.self, from: json), d)
        }
        XCTAssertEqual(ScoringRules.seeded("can-bo")?.onTimeShareRequired[.good], .one)
    }

    func testProblemsNameTheField() {
        var d = FrameworkDefinition()
        d.taskPoints = "75"
        d.taskFormula = "70 * (a + b + c) / 30"
        d.goodThreshold = "95"
        d.quotaPool = "some"
        d.errorPenalty = "abc"
        let fields = Set(d.validate().map(\.field))
        XCTAssertTrue(fields.isSuperset(of: ["taskPoints", "taskFormula", "goodThreshold", "quotaPool", "errorPenalty"]), "\(fields)")
        XCTAssertTrue(d.validate().contains { $0.field == "taskPoints"
            && $0.message.contains("tổng điểm bốn nhóm phải bằng 100") })
        XCTAssertTrue(d.validate().contains { $0.field == "taskFormula" && $0.message.contains("nằm ngoài khoảng") })
    }

    func testIndicatorsAreChecked() {
        var d = FrameworkDefinition()
        guard case .success(let list) = FrameworkDefinition.parseIndicators("""
            HL-01 | Hài lòng | hai-long | 10 | rating | 5
            PH-01 | Phối hợp | phoi-hop | 5 | rating | 1
            KL-01 | Kỷ luật | ky-luat | 15 | deduction | 2
            KL-01 | Lặp | ky-luat | 1 | magic | x
            """) else { return XCTFail() }
        d.indicators = list
        let messages = d.validate().map(\.message).joined(separator: "\n")
        XCTAssertTrue(messages.contains("thang đánh giá phải là số từ 2 đến 100"), messages)
        XCTAssertTrue(messages.contains("mã trống hoặc bị lặp"))
        XCTAssertTrue(messages.contains("phương pháp «magic» không hợp lệ"))
        XCTAssertTrue(messages.contains("tổng điểm tối đa các chỉ số nhóm (iv) là 16"))
        if case .success = FrameworkDefinition.parseIndicators("chỉ | ba | cột") { XCTFail("needs six columns") }
    }

    func testAgenciesMayNotMoveThresholdsOrQuota() {
        let province = FrameworkDefinition()
        var agency = province
        agency.taskFormula = "70 * (a + 2 * b + c) / 400"
        agency.errorPenalty = "0.2"
        XCTAssertEqual(agency.boundsProblems(against: province), [])
        agency.excellentThreshold = "85"
        agency.quotaRate = "0.3"
        XCTAssertEqual(Set(agency.boundsProblems(against: province).map(\.field)), ["excellentThreshold", "quotaRate"])
    }

    func testADraftChangesTheRules() throws {
        var d = FrameworkDefinition()
        d.errorPenalty = "0.5"
        let rules = try d.rules(code: "x")
        XCTAssertEqual(rules.errorPenalty, try Rational(1, 2))
        let task = TaskRecord(units: .one, status: .completed, majorErrors: 1)
        let before = try ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!).period(PeriodInput(tasks: [task]), leader: nil)
        let after = try ScoringEngine(rules: rules).period(PeriodInput(tasks: [task]), leader: nil)
        XCTAssertEqual(before.b, Rational(75))
        XCTAssertEqual(after.b, Rational(50))
    }
}
