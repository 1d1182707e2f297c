import Foundation

/// The scoring engine: pure, deterministic, exact.
///
/// Two paths give the same exact values. The integer path (tasks whose converted quantity is a
/// whole number of millionths, an affine task formula, no overflow) sums each period in 128-bit
/// integers over one common denominator and forms fractions without reducing them. Anything else
/// goes through `periodExact`, which follows DOMAIN.md §4 step by step in reduced fractions.
public struct ScoringEngine: Sendable {
    public let rules: ScoringRules
    let plan: Plan?

    public init(rules: ScoringRules) {
        self.rules = rules
        self.plan = Plan(rules)
    }

    static let hundred = Rational(100)
    static let threeHundred = Rational(300)

    /// What the integer path precomputes from the rules.
    struct Plan: Sendable {
        /// Common denominator of the two penalties; per-unit penalties over it.
        let p: Int128, errorStep: Int128, delayStep: Int128
        let plain: Form
        let leader: Form
        let taskMax: Fraction
        let generalMax: (Fraction, Fraction, Fraction)

        /// An affine task formula over a, b, c: (ka·A + kb·B + kc·C) / (l·Q) + constant (+ kd·d + kdd·dd).
        struct Form: Sendable {
            let ka: Int128, kb: Int128, kc: Int128, l: Int128
            let constant: Rational, kd: Rational, kdd: Rational

            init?(_ formula: Formula, allowed: Set<String>) {
                guard let f = formula.affine(), Set(f.coefficients.keys).isSubset(of: allowed) else { return nil }
                let k = { (name: String) in f.coefficients[name] ?? .zero }
                let (ka, kb, kc) = (k("a"), k("b"), k("c"))
                var l: Int128 = 1
                for r in [ka, kb, kc] {
                    let g = Int128(Rational.gcd(l.magnitude, r.denominator.magnitude))
                    guard let m = Int128(exactly: l / g).flatMap({ x -> Int128? in
                        let (v, o) = x.multipliedReportingOverflow(by: r.denominator); return o
                            || v > 1 << 40 ? nil : v }) else { return nil }
                    l = m
                }
                self.l = l
                self.ka = ka.numerator * (l / ka.denominator)
                self.kb = kb.numerator * (l / kb.denominator)
                self.kc = kc.numerator * (l / kc.denominator)
                constant = f.constant
                kd = k("d")
                kdd = k("dd")
            }

            /// The constant part for a person: constant + kd·d + kdd·dd.
            func constant(_ leader: LeaderInputs?) throws -> Fraction {
                guard let leader else { return Fraction(constant) }
                return Fraction(try Rational.add(constant, Rational.add(Rational.multiply(kd, leader.unitResult),
                                                                        Rational.multiply(kdd, leader.organizing))))
            }
        }

        init?(_ rules: ScoringRules) {
            let e = rules.errorPenalty, d = rules.delayPenalty
            guard e >= .zero, d >= .zero, e.denominator <= 1 << 20, d.denominator <= 1 << 20, e.numerator <= 1 << 20,
            d.numerator <= 1 << 20,
                  let plain = Form(rules.taskFormula, allowed: ["a", "b", "c"]),
                  let leader = Form(rules.leaderTaskFormula, allowed: ["a", "b", "c", "d", "dd"]) else { return nil }
            let g = Int128(Rational.gcd(e.denominator.magnitude, d.denominator.magnitude))
            p = e.denominator / g * d.denominator
            guard p <= 1 << 40 else { return nil }
            errorStep = e.numerator * (p / e.denominator)
            delayStep = d.numerator * (p / d.denominator)
            self.plain = plain
            self.leader = leader
            taskMax = Fraction(rules.taskPoints)
            generalMax = (Fraction(rules.satisfactionMax), Fraction(rules.coordinationMax), Fraction(rules.disciplineMax))
        }

        /// p − count × step, never below 0. p ≤ 2⁴⁰ and step ≤ 2⁶⁰, so the wrapping
        /// multiply below cannot overflow once count < p.
        @inline(__always)
        func weight(_ count: Int, _ step: Int128) -> Int128 {
            if count <= 0 || step == 0 { return p }
            let k = Int128(count)
            if k >= p { return 0 }
            let w = p &- k &* step
            return w > 0 ? w : 0
        }
    }

    /// Weight of a task after `count` penalties of `penalty` each, never below 0.
    public func weight(_ count: Int, _ penalty: Rational) throws -> Rational {
        let w = try Rational.subtract(.one, Rational.multiply(Rational(max(0, count)), penalty))
        return max(.zero, w)
    }

    public func period(_ input: PeriodInput, leader: LeaderInputs?) throws -> PeriodResult {
        if input.onLeave { return Self.leavePeriod }
        if let plan {
            let form = leader == nil ? plan.plain : plan.leader
            var result = PeriodResult(units: .zero, counted: 0, onTime: 0)
            if (try? fastPeriod(input, plan: plan, form: form, constant: form.constant(leader), into: &result)) == true { return result }
        }
        return try periodExact(input, leader: leader)
    }

    /// The integer path, written into `result` (no copies of the result); false when a task's
    /// quantity is not a whole number of millionths.
    func fastPeriod(_ input: PeriodInput, plan: Plan, form: Plan.Form, constant: Fraction, into result: inout PeriodResult) throws -> Bool {
        var u: Int128 = 0, done: Int128 = 0, quality: Int128 = 0, onTime: Int128 = 0
        var counted = 0, onTimeCount = 0
        guard input.tasks.count < 1 << 24 else { return false }
        // Fields are read in place: copying each record out would cost more than the sums.
        let complete = try input.tasks.withUnsafeBufferPointer { tasks -> Bool in
            for i in tasks.indices where tasks[i].status != .cancelled {
                let s = tasks[i].microRaw
                guard s != TaskRecord.noMicro else { return false }
                // |s| < 2⁶², weights ≤ 2⁴⁰ and fewer than 2²⁴ tasks (checked above): no product
                // or sum below can overflow 128 bits, so the wrapping operators are exact.
                u &+= s
                counted += tasks[i].count
                guard tasks[i].status == .completed else { continue }
                done &+= s
                quality &+= s &* plan.weight(tasks[i].majorErrors &- tasks[i].exemptErrors, plan.errorStep)
                let delays = tasks[i].countedDelays
                onTime &+= s &* plan.weight(delays, plan.delayStep)
                if delays <= 0 { onTimeCount += tasks[i].count }
            }
            return true
        }
        guard complete else { return false }
        result = PeriodResult(units: Fraction(u, 1_000_000), counted: counted, onTime: onTimeCount)
        if u > 0 {
            let q = try Fraction.mul(plan.p, u)
            let a = try Fraction.mul(Fraction.mul(done, plan.p), 100), b = try Fraction.mul(quality, 100), c = try Fraction.mul(onTime, 100)
            result.q = q
            result.abc = (a, b, c)
            let n = try Fraction.sum(Fraction.sum(Fraction.mul(form.ka, a), Fraction.mul(form.kb, b)), Fraction.mul(form.kc, c))
            let task = try Fraction(n, Fraction.mul(form.l, q)) + constant
            result.taskF = task.clamped(upTo: plan.taskMax)
        } else {
            try noBasis(input, into: &result)
        }
        let (sm, cm, dm) = plan.generalMax
        let g = input.general
        result.general = try (g.satisfaction.map(Fraction.init) ?? sm).clamped(upTo: sm)
            + (g.coordination.map(Fraction.init) ?? cm).clamped(upTo: cm)
            + (g.discipline.map(Fraction.init) ?? dm).clamped(upTo: dm)
        try finish(&result)
        return true
    }

    func noBasis(_ input: PeriodInput, into result: inout PeriodResult) throws {
        if let rubric = input.rubricTaskScore {
            result.taskF = Fraction(min(max(rubric, .zero), rules.taskPoints))
            result.flags.append(.rubricTaskScore)
        } else {
            result.flags.append(.noTaskBasis)
        }
    }

    func finish(_ result: inout PeriodResult) throws {
        guard !result.taskF.isNone else { return }
        let total = try (result.taskF + result.general).clamped(upTo: Fraction(100, 1))
        result.totalF = total
        result.shown = Int32(truncatingIfNeeded: try total.hundredths())
    }

    /// DOMAIN.md §4 step by step in reduced fractions, the formula evaluated as written.
    public func periodExact(_ input: PeriodInput, leader: LeaderInputs?) throws -> PeriodResult {
        var u = Rational.zero, done = Rational.zero, quality = Rational.zero, onTime = Rational.zero
        var counted = 0, onTimeCount = 0
        for t in input.tasks where t.status != .cancelled {
            u = try Rational.add(u, t.units)
            counted += t.count
            guard t.status == .completed else { continue }
            done = try Rational.add(done, t.units)
            quality = try Rational.add(quality, Rational.multiply(t.units, weight(t.majorErrors - t.exemptErrors, rules.errorPenalty)))
            onTime = try Rational.add(onTime, Rational.multiply(t.units, weight(t.countedDelays, rules.delayPenalty)))
            if t.countedDelays <= 0 { onTimeCount += t.count }
        }
        var result = PeriodResult(units: Fraction(u), counted: counted, onTime: onTimeCount)
        if u > .zero {
            let scale = try Rational.divide(Self.hundred, u)
            let a = try Rational.multiply(done, scale), b = try Rational.multiply(quality, scale), c = try Rational.multiply(onTime, scale)
            // One denominator for the three, so the stored form stays a, b, c over q.
            func lcm(_ x: Int128, _ y: Int128) throws -> Int128 { try Fraction.mul(x / Int128(Rational.gcd(x.magnitude, y.magnitude)), y) }
            let q = try lcm(lcm(a.denominator, b.denominator), c.denominator)
            result.q = q
            result.abc = (try Fraction.mul(a.numerator, q / a.denominator), try Fraction.mul(b.numerator, q / b.denominator),
                          try Fraction.mul(c.numerator, q / c.denominator))
            var vars = ["a": a, "b": b, "c": c]
            if let leader { vars["d"] = leader.unitResult; vars["dd"] = leader.organizing }
            let task = try (leader == nil ? rules.taskFormula : rules.leaderTaskFormula).evaluate(vars)
            result.taskF = Fraction(min(max(task, .zero), rules.taskPoints))
        } else {
            try noBasis(input, into: &result)
        }
        let g = rules.generalPoints(input.general)
        result.general = Fraction(try Rational.add(Rational.add(g.satisfaction, g.coordination), g.discipline))
        try finish(&result)
        return result
    }

    /// A person's periods, year score and level before the quota.
    public func person(_ p: PersonInput) throws -> PersonResult {
        var periods: [PeriodResult] = []
        periods.reserveCapacity(p.periods.count)
        let fast: (Plan, Plan.Form, Fraction)? = try plan.map { plan in
            let form = p.leader == nil ? plan.plain : plan.leader
            return (plan, form, try form.constant(p.leader))
        }
        var sum = 0, counted = 0, tasks = 0, onTime = 0, leave = 0
        for i in p.periods.indices {
            if p.periods[i].onLeave {
                periods.append(Self.leavePeriod)
                leave += 1
                continue
            }
            // Written in place: a period's result is too large to copy around cheaply.
            periods.append(PeriodResult(units: .zero, counted: 0, onTime: 0))
            let last = periods.count - 1
            let done: Bool
            if let (plan, form, constant) = fast {
                done = (try? fastPeriod(p.periods[i], plan: plan, form: form, constant: constant, into: &periods[last])) == true
            } else {
                done = false
            }
            if !done { periods[last] = try periodExact(p.periods[i], leader: p.leader) }
            let shown = periods[last].shown
            if shown >= 0 { sum += Int(shown); counted += 1 }
            tasks += Int(periods[last].counted)
            onTime += Int(periods[last].onTime)
        }
        // Each period's score is a published result, kept to 2 decimals; the year is the mean of
        // those (Nghị định 335 Điều 21).
        return conclude(id: p.id, group: p.group, periods: periods, sum: sum, counted: counted, skipped: periods.count - counted,
                        leave: leave, tasks: tasks, onTime: onTime, flags: p.flags)
    }

    /// A period on leave: no score, not counted, said so.
    static let leavePeriod: PeriodResult = {
        var r = PeriodResult(units: .zero, counted: 0, onTime: 0)
        r.flags = [.onLeave]
        return r
    }()

    /// The year from the periods' published totals (DOMAIN.md §5): their mean, the level, its
    /// conditions and the year-level overrides, before the quota.
    public func year(_ y: YearInput) -> PersonResult {
        let scored = y.totals.compactMap { $0 }
        let skipped = y.totals.count - scored.count
        return conclude(id: y.id, group: y.group, periods: [], sum: scored.reduce(0, +), counted: scored.count,
                        skipped: skipped, leave: min(max(0, y.leavePeriods), skipped), tasks: y.tasks, onTime: y.onTime, flags: y.flags)
    }

    /// Everyone's year, then the quota across all of them (the agency) and within each group.
    public func rankYears(_ people: [YearInput], quota: QuotaRule? = nil) -> [PersonResult] {
        var results = people.map(year)
        QuotaAllocator(rule: quota ?? rules.quota).apply(&results)
        return results
    }

    /// Mean of `counted` totals summing to `sum` hundredths, then the level. Of the `skipped`
    /// periods without a score, `leave` were on recorded leave.
    func conclude(id: String, group: String, periods: [PeriodResult], sum: Int, counted: Int, skipped: Int, leave: Int = 0,
                  tasks: Int, onTime: Int, flags: Set<OverrideFlag>) -> PersonResult {
        var result = PersonResult(id: id, group: group, periods: periods, year: nil, yearHundredths: nil, level: nil, explanation: [])
        guard counted > 0 else {
            result.explanation.append(leave > 0 && leave == skipped ? .onLeaveAll : .noScoredPeriod)
            return result
        }
        result.year = Fraction(Int128(sum), Int128(100 * counted))
        let shown = (2 * sum + counted) / (2 * counted)
        result.yearHundredths = shown
        result.explanation.reserveCapacity(3)
        result.explanation.append(.yearMean(hundredths: shown, counted: counted, skipped: skipped - leave))
        if leave > 0 { result.explanation.append(.leavePeriods(leave)) }
        var level: Level
        if Self.reaches(shown, rules.excellentThreshold) {
            level = .excellent
            result.explanation.append(.threshold(.excellent, low: rules.excellentThreshold, high: nil))
        } else if Self.reaches(shown, rules.goodThreshold) {
            level = .good
            result.explanation.append(.threshold(.good, low: rules.goodThreshold, high: rules.excellentThreshold))
        } else if Self.reaches(shown, rules.passThreshold) {
            level = .pass
            result.explanation.append(.threshold(.pass, low: rules.passThreshold, high: rules.goodThreshold))
        } else {
            level = .fail
            result.explanation.append(.belowPass(rules.passThreshold))
        }
        if !rules.onTimeShareRequired.isEmpty, tasks > 0, let share = try? Rational(Int128(onTime), Int128(tasks)) {
            while let need = rules.onTimeShareRequired[level], level != .fail, share < need {
                result.explanation.append(.onTimeShortfall(level, share: share, need: need))
                level = level.next
            }
        }
        if !flags.isEmpty {
            for flag in OverrideFlag.allCases where flags.contains(flag) {
                level = .fail
                result.explanation.append(.override(flag))
            }
        }
        result.level = level
        return result
    }

    /// hundredths / 100 ≥ threshold, in integers.
    public static func reaches(_ hundredths: Int, _ threshold: Rational) -> Bool {
        let l = Int128(hundredths).multipliedFullWidth(by: threshold.denominator)
        let r = (threshold.numerator).multipliedFullWidth(by: 100)
        return (l.high, l.low) >= (r.high, r.low)
    }

    /// Scores everyone, then applies the quota across all of them (the agency) and within each group.
    public func rank(_ people: [PersonInput], quota: QuotaRule? = nil) throws -> [PersonResult] {
        var results: [PersonResult] = []
        results.reserveCapacity(people.count)
        for p in people { results.append(try person(p)) }
        QuotaAllocator(rule: quota ?? rules.quota).apply(&results)
        return results
    }

    /// "91,20": two decimals, Vietnamese comma.
    public static func vn(_ r: Rational) -> String { r.fixed(2).replacingOccurrences(of: ".", with: ",") }

    public static func vn(hundredths h: Int) -> String {
        let digits = String(h.magnitude)
        let padded = String(repeating: "0", count: max(0, 3 - digits.count)) + digits
        return (h < 0 ? "-" : "") + padded.dropLast(2) + "," + padded.suffix(2)
    }
}
