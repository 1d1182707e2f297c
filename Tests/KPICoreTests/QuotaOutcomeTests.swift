import KPICore
import XCTest

/// What the quota did to a person, stored as text with their score: read back and laid on the person
/// scored alone, it gives exactly the result of ranking their whole agency (issue 19, item 9).
final class QuotaOutcomeTests: XCTestCase {
    let engine = ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)

    func p(_ id: String, _ total: Int, group: String) -> PersonInput {
        PersonInput(id: id, group: group, periods: [PeriodInput(tasks: [], rubricTaskScore: Rational(total - 30))])
    }

    func testStoredOutcomeGivesBackTheRankedResult() throws {
        // Agencies of every size with ties at the edge, two groups (one named with spaces and a tab).
        var seed: UInt64 = 0x5EED
        func next(_ n: Int) -> Int {
            seed = seed &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((seed >> 33) % UInt64(n))
        }
        var quotaReasons = 0, ties = 0
        for size in 1...40 {
            let people = (0..<size).map { i in
                p("p\(i)", 60 + next(41), group: next(3) == 0 ? "Nhóm B\tlãnh đạo" : "chuyen-mon")
            }
            for ranked in try engine.rank(people) {
                let alone = try engine.person(people.first { $0.id == ranked.id }!)
                let stored = QuotaOutcome(ranked)
                let read = try XCTUnwrap(QuotaOutcome(text: stored.text, tie: stored.tie), stored.text)
                XCTAssertEqual(read, stored)
                XCTAssertEqual(read.applied(to: alone, level: ranked.level), ranked, "\(size) \(ranked.id)")
                quotaReasons += stored.reasons.count
                if stored.tie { ties += 1 }
            }
        }
        XCTAssertGreaterThan(quotaReasons, 100, "the quota took and left out people")
        XCTAssertGreaterThan(ties, 0, "ties at the edge were met")
    }

    func testTextThatIsNotStoredOutcomeIsRefused() {
        XCTAssertEqual(QuotaOutcome(text: "", tie: false), QuotaOutcome())
        for bad in ["in\t1\t2\t3\tg", "in\tx\t2\t3\t4\tg", "out\t1\tg", "tie\t1", "other", "out\ta\t1\tg"] {
            XCTAssertNil(QuotaOutcome(text: bad, tie: false), bad)
        }
    }
}
