import KPICore
import XCTest

/// Quota of "xuất sắc": at most rate × pool in the agency and in each group (DOMAIN.md §5).
final class QuotaTests: XCTestCase {
    let engine = ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)

    /// A person whose year score is `total` (general 30 + rubric task score).
    func p(_ id: String, _ total: Int, group: String = "g") -> PersonInput {
        PersonInput(id: id, group: group, periods: [PeriodInput(tasks: [], rubricTaskScore: Rational(total - 30))])
    }

    func levels(_ rs: [PersonResult]) -> [String: Level] {
        Dictionary(uniqueKeysWithValues: rs.map { ($0.id, $0.level!) })
    }

    func testTopScoreTakesTheOnlyPlace() throws {
        // Pool (≥ 70) = 8 → cap = floor(1.6) = 1.
        let people = [p("a", 95), p("b", 93), p("c", 91), p("d", 85), p("e", 80), p("f", 75), p("g", 72), p("h", 70), p("i", 60), p("j",
            40)]
        let l = levels(try engine.rank(people))
        XCTAssertEqual(l["a"], .excellent)
        XCTAssertEqual(l["b"], .good)
        XCTAssertEqual(l["c"], .good)
        XCTAssertEqual(l["i"], .pass)
        XCTAssertEqual(l["j"], .fail)
    }

    func testTiesAreFlaggedNotBrokenSilently() throws {
        let rs = try engine.rank((1...5).map { p("p\($0)", 100) })
        XCTAssertEqual(rs.filter { $0.level == .excellent }.count, 1)
        XCTAssertEqual(rs.first { $0.level == .excellent }?.id, "p1")
        XCTAssertTrue(rs.allSatisfy(\.tieAtQuotaEdge))
        XCTAssertTrue(rs[1].reasons.contains { $0.contains("người phê duyệt quyết định") })
    }

    func testSmallGroupGetsNoPlaceWithFloor() throws {
        let rs = try engine.rank((1...4).map { p("p\($0)", 95) })
        XCTAssertTrue(rs.allSatisfy { $0.level == .good })
    }

    func testCeilRoundingGivesAPlace() throws {
        let rs = try engine.rank((1...4).map { p("p\($0)", 95 - $0) }, quota: QuotaRule(rate: Rational(decimal: "0.2")!, rounding: .ceil))
        XCTAssertEqual(levels(rs)["p1"], .excellent)
        XCTAssertEqual(rs.filter { $0.level == .excellent }.count, 1)
    }

    func testRoundRoundsHalfUp() throws {
        // 0.25 × 2 = 0.5: "round" gives 1 place, "floor" none.
        let people = [p("a", 99), p("b", 95)]
        let round = try engine.rank(people, quota: QuotaRule(rate: Rational(decimal: "0.25")!, rounding: .round))
        XCTAssertEqual(levels(round)["a"], .excellent)
        XCTAssertEqual(levels(round)["b"], .good)
        let floor = try engine.rank(people, quota: QuotaRule(rate: Rational(decimal: "0.25")!, rounding: .floor))
        XCTAssertTrue(floor.allSatisfy { $0.level == .good })
    }

    func testEachGroupHasItsOwnCap() throws {
        let a = [p("a1", 99, group: "A"), p("a2", 98, group: "A"), p("a3", 97, group: "A"), p("a4", 80, group: "A"), p("a5", 80,
            group: "A")]
        let b = [p("b1", 92, group: "B"), p("b2", 80, group: "B"), p("b3", 80, group: "B"), p("b4", 80, group: "B"), p("b5", 80,
            group: "B")]
        let l = levels(try engine.rank(a + b))
        XCTAssertEqual(l["a1"], .excellent)
        XCTAssertEqual(l["a2"], .good, "group A has room for one")
        XCTAssertEqual(l["b1"], .excellent, "group B keeps its own place although a2 scored higher")
    }

    func testGroupCapsWithinTheAgencyCap() throws {
        let people = [p("a1", 99, group: "A"), p("a2", 80, group: "A"), p("a3", 80, group: "A"), p("a4", 40, group: "A"), p("a5", 40,
            group: "A"),
                      p("b1", 95, group: "B"), p("b2", 80, group: "B"), p("b3", 40, group: "B"), p("b4", 40, group: "B"), p("b5", 40,
                          group: "B")]
        let l = levels(try engine.rank(people, quota: QuotaRule(rate: Rational(decimal: "0.5")!)))
        // rate 0.5: agency pool 5 → 2; group A pool 3 → 1; group B pool 2 → 1.
        XCTAssertEqual(l["a1"], .excellent)
        XCTAssertEqual(l["a2"], .good)
        XCTAssertEqual(l["b1"], .excellent)
        // At 20 % with floor, groups this small get no place at all: 0.6 and 0.4 round down.
        let strict = levels(try engine.rank(people))
        XCTAssertEqual(strict["a1"], .good)
        XCTAssertEqual(strict["b1"], .good)
    }

    func testAgencyCapBindsAcrossGroups() throws {
        // With ceil, each one-person group may have 1, but the agency (pool 2) only ceil(0.4) = 1.
        let people = [p("a1", 99, group: "A"), p("b1", 95, group: "B")]
        let l = levels(try engine.rank(people, quota: QuotaRule(rate: Rational(decimal: "0.2")!, rounding: .ceil)))
        XCTAssertEqual(l["a1"], .excellent)
        XCTAssertEqual(l["b1"], .good)
    }

    func testPoolOfEveryone() throws {
        let people = [p("x", 95), p("y", 91)] + (1...8).map { p("f\($0)", 40) }
        let l = levels(try engine.rank(people, quota: QuotaRule(rate: Rational(decimal: "0.2")!, pool: .all)))
        XCTAssertEqual(l["x"], .excellent)
        XCTAssertEqual(l["y"], .excellent, "pool of all 10 → cap 2")
    }

    /// The approver's decision on the proposal (QuotaReview): choices among the candidates within
    /// the caps, more only under a recorded decision, ties only once looked at.
    func testApproverDecidesWithinTheCapsOrUnderADecision() throws {
        // Pool 10 → cap 2; a, b, c reached 90; c is outside the quota.
        let people = [p("a", 95), p("b", 93), p("c", 91)] + (1...7).map { p("x\($0)", 80) }
        let rs = try engine.rank(people)
        let rule = engine.rules.quota
        XCTAssertEqual(QuotaReview.caps(rs, rule: rule), QuotaReview.Caps(agency: 2, groups: ["g": 2]))
        XCTAssertEqual(QuotaReview.candidates(rs).map(\.id), ["a", "b", "c"])
        XCTAssertEqual(QuotaReview.candidates(rs).map(\.proposed), [true, true, false])
        // The proposal as it stands.
        XCTAssertEqual(try QuotaReview.decide(rs, rule: rule, chosen: ["a", "b"], decision: "", tiesConfirmed: false).get(),
                       ["a": .excellent, "b": .excellent, "c": .good])
        // c instead of b: allowed (same count).
        XCTAssertEqual(try QuotaReview.decide(rs, rule: rule, chosen: ["a", "c"], decision: "", tiesConfirmed: false).get()["c"],
                       .excellent)
        // All three: over the cap without a decision, accepted with one.
        XCTAssertEqual(QuotaReview.decide(rs, rule: rule, chosen: ["a", "b", "c"], decision: "", tiesConfirmed: false),
                       .failure(.overCap(scope: "của cơ quan", cap: 2, chosen: 3)))
        XCTAssertEqual(try QuotaReview.decide(rs, rule: rule, chosen: ["a", "b", "c"], decision: "Số 12/QĐ-UBND",
                                              tiesConfirmed: false).get()["c"], .excellent)
        // Someone below 90 cannot be chosen, decision or not.
        XCTAssertEqual(QuotaReview.decide(rs, rule: rule, chosen: ["a", "x1"], decision: "Số 12/QĐ-UBND", tiesConfirmed: false),
                       .failure(.notEligible("x1")))
        // Nobody chosen: everyone who reached 90 becomes "tốt".
        XCTAssertEqual(try QuotaReview.decide(rs, rule: rule, chosen: [], decision: "", tiesConfirmed: false).get(),
                       ["a": .good, "b": .good, "c": .good])
    }

    func testTiesMustBeLookedAtAndGroupCapsHold() throws {
        // Five at 100 in one group: cap 1, all five tied at the edge.
        let rs = try engine.rank((1...5).map { p("p\($0)", 100) })
        XCTAssertEqual(QuotaReview.decide(rs, rule: engine.rules.quota, chosen: ["p1"], decision: "", tiesConfirmed: false),
                       .failure(.tiesUnconfirmed(5)))
        XCTAssertEqual(try QuotaReview.decide(rs, rule: engine.rules.quota, chosen: ["p4"], decision: "", tiesConfirmed: true).get()["p4"],
                       .excellent)
        // Two groups of five: agency cap 2, each group's cap 1.
        let two = try engine.rank((1...5).map { p("a\($0)", 95, group: "A") } + (1...5).map { p("b\($0)", 80, group: "B") } + [p("b9", 92,
            group: "B")])
        XCTAssertEqual(QuotaReview.caps(two, rule: engine.rules.quota).groups, ["A": 1, "B": 1])
        XCTAssertEqual(QuotaReview.decide(two, rule: engine.rules.quota, chosen: ["a1", "a2"], decision: "", tiesConfirmed: true),
                       .failure(.overCap(scope: "của nhóm «A»", cap: 1, chosen: 2)))
    }
}
