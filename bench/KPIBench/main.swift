import Foundation
import KPICore

/// Scores N people × 60 tasks (12 months × 5 tasks) in memory with the real engine, and times a
/// plain loop that only sums the same task quantities over the same data, in the same run.
/// Run: swift run -c release KPIBench [--people 100000]
let args = CommandLine.arguments
let count = args.firstIndex(of: "--people").flatMap { Int(args[$0 + 1]) } ?? 100_000

// Deterministic data: the same people every run.
var gen = SplitMix(seed: 42)


var people: [PersonInput] = []
var plainUnits: [[Double]] = []
people.reserveCapacity(count)
for i in 0..<count {
    var units: [Double] = []
    let periods = (0..<12).map { _ -> PeriodInput in
        let tasks = (0..<5).map { _ -> TaskRecord in
            let micro = Int128(gen.next() % 3_000_000 + 250_000)
            units.append(Double(micro) / 1_000_000)
            let status: TaskStatus = gen.next() % 10 == 0 ? .open : .completed
            let errors = gen.next() % 8 == 0 ? 1 : 0
            return TaskRecord(units: try! Rational(micro, 1_000_000), status: status, majorErrors: errors,
                              exemptErrors: 0, delays: gen.next() % 6 == 0 ? 1 : 0)
        }
        return PeriodInput(tasks: tasks, general: GeneralInputs(satisfaction: Rational(9), coordination: Rational(5), discipline: Rational(15)))
    }
    let leader = i % 10 == 0 ? LeaderInputs(unitResult: Rational(100), organizing: Rational(50)) : nil
    people.append(PersonInput(id: "p\(i)", group: "g\(i % 4)", leader: leader, periods: periods))
    plainUnits.append(units)
}

let clock = ContinuousClock()
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

// Floor: sum the same numbers, nothing else.
var checksum = 0.0
let floorTime = clock.measure {
    for units in plainUnits { for u in units { checksum += u } }
}

let engine = ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)
var excellent = 0
let engineTime = try clock.measure {
    for r in try engine.rank(people) where r.level == .excellent { excellent += 1 }
}

let ratio = seconds(engineTime) / max(seconds(floorTime), 1e-9)
print("people: \(count), tasks per person: 60")
print(String(format: "plain sum loop: %.4f s (checksum %.1f)", seconds(floorTime), checksum))
print(String(format: "engine (periods, year, levels, quota): %.3f s, %.0f people/s, %d xuất sắc",
             seconds(engineTime), Double(count) / seconds(engineTime), excellent))
print(String(format: "ratio engine / plain loop: %.1f×", ratio))
