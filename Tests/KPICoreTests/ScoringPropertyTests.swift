import Foundation
import KPICore
import XCTest

/// Properties that hold for any input, checked on many random cases (deterministic seed).
final class ScoringPropertyTests: XCTestCase {
    let engine = ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)

    func randomPerson(_ rng: inout SplitMix, id: String) -> PersonInput {
        let periods = (0..<Int(rng.next() % 4 + 1)).map { _ -> PeriodInput in
            let tasks = (0..<Int(rng.next() % 8)).map { _ -> TaskRecord in
                let errors = Int(rng.next() % 6)
                return TaskRecord(units: try! Rational(Int128(rng.next() % 400 + 1), 100),
                                  status: [TaskStatus.completed, .completed, .open, .cancelled][Int(rng.next() % 4)],
                                  majorErrors: errors, exemptErrors: Int(rng.next() % UInt64(errors + 1)), delays: Int(rng.next() % 6))
            }
            let general = GeneralInputs(satisfaction: Rational(Int(rng.next() % 13)), coordination: Rational(Int(rng.next() % 7)),
                                        discipline: Rational(Int(rng.next() % 18)))
            return PeriodInput(tasks: tasks, general: general, rubricTaskScore: rng.next() % 3 == 0 ? Rational(Int(rng.next() % 80)) : nil)
        }
        let leader = rng.next() % 3 == 0 ? LeaderInputs(unitResult: Rational(rng.next() % 2 == 0 ? 100 : 50),
                                                        organizing: Rational(rng.next() % 2 == 0 ? 100 : 50)) : nil
        return PersonInput(id: id, group: "g\(rng.next() % 3)", leader: leader, periods: periods)
    }

    func testScoresStayWithin0And100() throws {
        var rng = SplitMix(seed: 1)
        for i in 0..<2000 {
            let result = try engine.person(randomPerson(&rng, id: "p\(i)"))
            for p in result.periods {
                for v in [p.a, p.b, p.c].compactMap({ $0 }) { XCTAssertTrue(v >= .zero && v <= Rational(100)) }
                if let t = p.taskScore { XCTAssertTrue(t >= .zero && t <= Rational(70)) }
                XCTAssertTrue(p.generalScore >= .zero && p.generalScore <= Rational(30))
                if let total = p.total { XCTAssertTrue(total >= .zero && total <= Rational(100)) }
            }
            if let y = result.yearScore { XCTAssertTrue(y >= .zero && y <= Rational(100)) }
        }
    }

    /// The integer path and the step-by-step path agree exactly, on quantities with any number of
    /// decimals (up to 6 take the integer path) and on odd fractions (which cannot).
    func testIntegerPathEqualsTheExactPath() throws {
        var rng = SplitMix(seed: 7)
        var compared = 0
        for i in 0..<3000 {
            var person = randomPerson(&rng, id: "x\(i)")
            if i % 3 == 0 {
                for pi in person.periods.indices {
                    for ti in person.periods[pi].tasks.indices {
                        let d: Int128 = [1, 10, 1000, 1_000_000, 3, 7][Int(rng.next() % 6)]
                        person.periods[pi].tasks[ti].units = try Rational(Int128(rng.next() % 5_000_000 + 1), d)
                    }
                }
            }
            if i % 5 == 0, !person.periods.isEmpty { person.periods[0].general.satisfaction = try Rational(19, 2) }
            for period in person.periods {
                let fast = try engine.period(period, leader: person.leader)
                let exact = try engine.periodExact(period, leader: person.leader)
                XCTAssertEqual(fast, exact)
                XCTAssertEqual(fast.total, exact.total)
                XCTAssertEqual(fast.totalHundredths, exact.totalHundredths)
                compared += 1
            }
        }
        XCTAssertGreaterThan(compared, 5000)
    }

    /// A formula that is not affine is evaluated as written, with the same result as the default.
    func testANonAffineFormulaIsEvaluatedAsWritten() throws {
        var rules = ScoringRules.seeded("cong-chuc")!
        rules.taskFormula = try Formula("min(70, 70 * (a + b + c) / 300)")
        XCTAssertNil(rules.taskFormula.affine())
        let other = ScoringEngine(rules: rules)
        var rng = SplitMix(seed: 8)
        for i in 0..<300 {
            let person = randomPerson(&rng, id: "n\(i)")
            guard person.leader == nil else { continue }
            XCTAssertEqual(try other.person(person), try engine.person(person))
        }
    }

    func testAffineFormsOfTheDefaults() throws {
        let plain = try XCTUnwrap(try Formula(ScoringRules.defaultTaskFormula).affine())
        XCTAssertEqual(plain.constant, .zero)
        XCTAssertEqual(plain.coefficients["a"], try Rational(7, 30))
        let leader = try XCTUnwrap(try Formula(ScoringRules.defaultLeaderTaskFormula).affine())
        XCTAssertEqual(leader.coefficients["a"], try Rational(7, 50))
        XCTAssertEqual(leader.coefficients["dd"], try Rational(7, 50))
        XCTAssertNil(try Formula("a * b").affine())
        XCTAssertNil(try Formula("a / b").affine())
        XCTAssertEqual(try Formula("-(a - 2 * b) / 4 + 1").affine()?.coefficients["b"], try Rational(1, 2))
    }

    func testCompletingATaskNeverLowersAScore() throws {
        var rng = SplitMix(seed: 2)
        var checked = 0
        for i in 0..<2000 {
            let person = randomPerson(&rng, id: "p\(i)")
            for (pi, period) in person.periods.enumerated() {
                for (ti, task) in period.tasks.enumerated() where task.status == .open {
                    var better = person
                    better.periods[pi].tasks[ti].status = .completed
                    let before = try engine.period(period, leader: person.leader)
                    let after = try engine.period(better.periods[pi], leader: person.leader)
                    XCTAssertGreaterThanOrEqual(after.total ?? .zero, before.total ?? .zero)
                    XCTAssertGreaterThanOrEqual(after.a ?? .zero, before.a ?? .zero)
                    checked += 1
                }
            }
        }
        XCTAssertGreaterThan(checked, 500)
    }

    func testQuotaIsNeverExceeded() throws {
        var rng = SplitMix(seed: 3)
        for round in 0..<200 {
            let people = (0..<Int(rng.next() % 40 + 1)).map { randomPerson(&rng, id: "r\(round)-\($0)") }
            let rate = try Rational(Int128(rng.next() % 5 + 1), 10)
            let results = try engine.rank(people, quota: QuotaRule(rate: rate))
            let pool = results.filter { $0.level == .excellent || $0.level == .good }.count
            let cap = Int(rate.numerator * Int128(pool) / rate.denominator)
            XCTAssertLessThanOrEqual(results.filter { $0.level == .excellent }.count, cap)
            for (_, members) in Dictionary(grouping: results, by: \.group) {
                let gpool = members.filter { $0.level == .excellent || $0.level == .good }.count
                XCTAssertLessThanOrEqual(members.filter { $0.level == .excellent }.count,
                                         Int(rate.numerator * Int128(gpool) / rate.denominator))
            }
            // Nobody is "xuất sắc" below the threshold.
            XCTAssertTrue(results.filter { $0.level == .excellent }.allSatisfy { $0.yearScore!.rounded(places: 2) >= Rational(90) })
        }
    }

    func testSameInputSameOutput() throws {
        var rng = SplitMix(seed: 4)
        let people = (0..<100).map { randomPerson(&rng, id: "d\($0)") }
        let first = try engine.rank(people)
        let second = try engine.rank(people.reversed()).sorted { a, b in
            first.firstIndex { $0.id == a.id }! < first.firstIndex { $0.id == b.id }!
        }
        XCTAssertEqual(first, second, "order of input does not change anyone's result")
    }
}

final class ScoreCaseTests: XCTestCase {
    func run(_ json: String) throws -> [String: Any] {
        try JSONSerialization.jsonObject(with: ScoreCase.run(Data(json.utf8))) as! [String: Any]
    }

    func error(_ json: String) -> ScoreCase.InputError? {
        do { _ = try ScoreCase.run(Data(json.utf8)); return nil } catch { return error as? ScoreCase.InputError }
    }

    func testTheIssueSample() throws {
        let out = try run("""
            { "framework": "cong-chuc", "people": [ { "id": "p1", "group": "chuyen-mon",
              "leader": { "unitResult": 100, "organizing": 50 }, "flags": [],
              "periods": [ { "tasks": [ { "units": 1.5, "status": "completed", "majorErrors": 0, "exemptErrors": 0, "delays": 1 } ],
                "general": { "satisfaction": 9.5, "coordination": 5, "discipline": 15 } } ] } ],
              "quota": { "rate": 0.2, "pool": "good-or-better", "rounding": "floor" } }
            """)
        let p = (out["people"] as! [[String: Any]])[0]
        let period = (p["periods"] as! [[String: Any]])[0]
        // a = b = 100, c = 75: own = 275/300; task = 70 × (0.6 × 0.91667 + 0.2 + 0.1) = 59.5; total 89.
        XCTAssertEqual(period["c"] as? Double, 75)
        XCTAssertEqual(period["taskScore"] as? Double, 59.5)
        XCTAssertEqual(period["total"] as? Double, 89)
        XCTAssertEqual(p["yearScore"] as? Double, 89)
        XCTAssertEqual(p["level"] as? String, "HTTNV")
        XCTAssertFalse((p["reasons"] as! [String]).isEmpty)
    }

    func testMalformedCasesNameTheField() {
        XCTAssertEqual(error("[1]")?.field, "$")
        XCTAssertEqual(error("{}")?.field, "people")
        XCTAssertEqual(error(#"{"framework":"khac","people":[]}"#)?.field, "framework")
        XCTAssertEqual(error(#"{"people":[{"periods":[]}]}"#)?.field, "people[0].id")
        XCTAssertEqual(error(#"{"people":[{"id":"a","periods":[{"tasks":[{"units":1,"status":"xong"}]}]}]}"#)?.field,
                       "people[0].periods[0].tasks[0].status")
        XCTAssertEqual(error(#"{"people":[{"id":"a","periods":[{"tasks":[{"units":-1,"status":"open"}]}]}]}"#)?.field,
                       "people[0].periods[0].tasks[0].units")
        let exempt = #"{"people":[{"id":"a","periods":[{"tasks":[{"units":1,"status":"open","majorErrors":1,"exemptErrors":2}]}]}]}"#
        XCTAssertEqual(error(exempt)?.field, "people[0].periods[0].tasks[0].exemptErrors")
        XCTAssertEqual(error(#"{"people":[{"id":"a","leader":{"unitResult":80,"organizing":50},"periods":[]}]}"#)?.field,
                       "people[0].leader.unitResult")
        XCTAssertEqual(error(#"{"people":[{"id":"a","flags":["lazy"],"periods":[]}]}"#)?.field, "people[0].flags[0]")
        XCTAssertEqual(error(#"{"people":[{"id":"a","periods":[{"tasks":[{"units":true,"status":"open"}]}]}]}"#)?.field,
                       "people[0].periods[0].tasks[0].units")
        XCTAssertEqual(error(#"{"people":[],"quota":{"rate":2}}"#)?.field, "quota.rate")
        XCTAssertEqual(error(#"{"people":[],"quota":{"rate":0.2,"rounding":"up"}}"#)?.field, "quota.rounding")
    }
}
