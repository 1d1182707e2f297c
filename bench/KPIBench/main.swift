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
        return PeriodInput(tasks: tasks,
                           general: GeneralInputs(satisfaction: Rational(9), coordination: Rational(5), discipline: Rational(15)))
    }
    let leader = i % 10 == 0 ? LeaderInputs(unitResult: Rational(100), organizing: Rational(50)) : nil
    people.append(PersonInput(id: "p\(i)", group: "g\(i % 4)", leader: leader, periods: periods))
    plainUnits.append(units)
}

let clock = ContinuousClock()
func seconds(_ d: Duration) -> Double { Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18 }

/// Each measurement runs `runs` times (default 3), the median is reported: the first run of the
/// engine also pays for fresh memory pages that later runs reuse, like a long-running server.
let runs = args.firstIndex(of: "--runs").flatMap { Int(args[$0 + 1]) } ?? 3

func median(_ body: () throws -> Void) rethrows -> Double {
    var times: [Double] = []
    for _ in 0..<max(1, runs) { times.append(seconds(try clock.measure(body))) }
    return times.sorted()[times.count / 2]
}

// Floors: sum the same numbers, nothing else. (1) over a compact copy of the quantities as
// Doubles; (2) over the engine's own input (the same TaskRecord values the engine reads).
func sumDoubles(_ data: [[Double]]) -> Double {
    var total = 0.0
    for units in data { for u in units { total += u } }
    return total
}
func sumInput(_ people: [PersonInput]) -> Int128 {
    var total: Int128 = 0
    for p in people { for period in p.periods { for t in period.tasks { total &+= t.micro ?? 0 } } }
    return total
}
func scoreAll(_ engine: ScoringEngine, _ people: [PersonInput]) throws -> Int {
    var excellent = 0
    for r in try engine.rank(people) where r.level == .excellent { excellent += 1 }
    return excellent
}

var checksum = 0.0
let floorTime = median { checksum = sumDoubles(plainUnits) }
var inputChecksum: Int128 = 0
let inputFloorTime = median { inputChecksum = sumInput(people) }
let engine = ScoringEngine(rules: ScoringRules.seeded("cong-chuc")!)
var excellent = 0
let engineTime = try median { excellent = try scoreAll(engine, people) }

print("people: \(count), tasks per person: 60, median of \(runs) runs")
print(String(format: "plain sum loop over a Double array: %.4f s (checksum %.1f)", floorTime, checksum))
print(String(format: "plain sum loop over the engine's input: %.4f s (checksum %@)", inputFloorTime, "\(inputChecksum)"))
print(String(format: "engine (periods, year, levels, quota): %.4f s, %.0f people/s, %d xuất sắc",
             engineTime, Double(count) / engineTime, excellent))
print(String(format: "ratio engine / plain loop over Doubles: %.1f×", engineTime / max(floorTime, 1e-9)))
print(String(format: "ratio engine / plain loop over the same input: %.1f×", engineTime / max(inputFloorTime, 1e-9)))
