import Foundation

/// One period's scores (DOMAIN.md §4). a, b, c and the task score are nil when the period has
/// no task basis and no rubric score was entered.
public struct PeriodResult: Sendable, Equatable {
    public var assignedUnits: Rational
    public var a: Rational?
    public var b: Rational?
    public var c: Rational?
    public var taskScore: Rational?
    public var generalScore: Rational
    public var total: Rational?
    public var notes: [String]
}

public struct PersonResult: Sendable, Equatable {
    public var id: String
    public var group: String
    public var periods: [PeriodResult]
    /// Mean of the periods' totals, exact; nil when no period has a total.
    public var yearScore: Rational?
    public var level: Level?
    public var reasons: [String]
    /// Set when a tie at the quota's edge needs the approver's decision.
    public var tieAtQuotaEdge = false
}

/// The scoring engine: pure, deterministic, exact.
public struct ScoringEngine: Sendable {
    public let rules: ScoringRules
    public init(rules: ScoringRules) { self.rules = rules }

    static let hundred = Rational(100)
    static let threeHundred = Rational(300)

    /// Weight of a task after `count` penalties of `penalty` each, never below 0.
    func weight(_ count: Int, _ penalty: Rational) throws -> Rational {
        let w = try Rational.subtract(.one, Rational.multiply(Rational(max(0, count)), penalty))
        return max(.zero, w)
    }

    public func period(_ input: PeriodInput, leader: LeaderInputs?) throws -> PeriodResult {
        var u = Rational.zero, done = Rational.zero, quality = Rational.zero, onTime = Rational.zero
        for t in input.tasks where t.status != .cancelled {
            u = try Rational.add(u, t.units)
            guard t.status == .completed else { continue }
            done = try Rational.add(done, t.units)
            quality = try Rational.add(quality, Rational.multiply(t.units, weight(t.majorErrors - t.exemptErrors, rules.errorPenalty)))
            onTime = try Rational.add(onTime, Rational.multiply(t.units, weight(t.delays, rules.delayPenalty)))
        }
        let general = try generalScore(input.general)
        var notes: [String] = []
        var a: Rational?, b: Rational?, c: Rational?, task: Rational?
        if u > .zero {
            let scale = try Rational.divide(Self.hundred, u)
            a = try Rational.multiply(done, scale)
            b = try Rational.multiply(quality, scale)
            c = try Rational.multiply(onTime, scale)
            let own = try Rational.divide(Rational.add(Rational.add(a!, b!), c!), Self.threeHundred)
            if let leader {
                let d = try Rational.divide(leader.unitResult, Self.hundred)
                let dd = try Rational.divide(leader.organizing, Self.hundred)
                let mix = try Rational.add(Rational.add(Rational.multiply(rules.leaderOwnWeight, own),
                                                        Rational.multiply(rules.leaderUnitWeight, d)),
                                           Rational.multiply(rules.leaderOrganizingWeight, dd))
                task = try Rational.multiply(rules.taskPoints, mix)
            } else {
                task = try Rational.multiply(rules.taskPoints, own)
            }
        } else if let rubric = input.rubricTaskScore {
            task = min(max(rubric, .zero), rules.taskPoints)
            notes.append("Kỳ không có nhiệm vụ đến hạn: điểm kết quả nhiệm vụ do người đánh giá chấm theo thang.")
        } else {
            notes.append("Kỳ không có nhiệm vụ đến hạn: cần người đánh giá chấm điểm kết quả nhiệm vụ; kỳ này chưa tính vào điểm năm.")
        }
        let total = try task.map { try min(Self.hundred, max(.zero, Rational.add($0, general))) }
        return PeriodResult(assignedUnits: u, a: a, b: b, c: c, taskScore: task, generalScore: general, total: total, notes: notes)
    }

    func generalScore(_ g: GeneralInputs) throws -> Rational {
        func clamp(_ v: Rational?, _ max: Rational) -> Rational { Swift.min(Swift.max(v ?? max, .zero), max) }
        return try Rational.add(Rational.add(clamp(g.satisfaction, rules.satisfactionMax),
                                             clamp(g.coordination, rules.coordinationMax)),
                                clamp(g.discipline, rules.disciplineMax))
    }

    /// A person's periods, year score and level before the quota.
    public func person(_ p: PersonInput) throws -> PersonResult {
        let periods = try p.periods.map { try period($0, leader: p.leader) }
        // Each period's score is a published result, kept to 2 decimals; the year is the mean of
        // those (Nghị định 335 Điều 21). Averaging unrounded fractions would also let twelve
        // unrelated denominators outgrow any fixed-width integer.
        let totals = periods.compactMap { $0.total?.rounded(places: 2) }
        var result = PersonResult(id: p.id, group: p.group, periods: periods, yearScore: nil, level: nil, reasons: [])
        guard !totals.isEmpty else {
            result.reasons.append("Chưa có kỳ nào có điểm: chưa xếp loại.")
            return result
        }
        let sum = try totals.reduce(Rational.zero) { try Rational.add($0, $1) }
        let year = try Rational.divide(sum, Rational(totals.count))
        result.yearScore = year
        let shown = year.rounded(places: 2)
        let skipped = periods.count - totals.count
        result.reasons.append("Điểm năm \(Self.vn(shown)) là trung bình \(totals.count) kỳ có điểm\(skipped > 0 ? " (\(skipped) kỳ chưa có điểm không tính)" : "").")
        var level: Level
        if shown >= rules.excellentThreshold {
            level = .excellent
            result.reasons.append("Đạt ngưỡng xuất sắc (≥ \(Self.vn(rules.excellentThreshold))).")
        } else if shown >= rules.goodThreshold {
            level = .good
            result.reasons.append("Đạt ngưỡng tốt (≥ \(Self.vn(rules.goodThreshold)) và < \(Self.vn(rules.excellentThreshold))).")
        } else if shown >= rules.passThreshold {
            level = .pass
            result.reasons.append("Đạt ngưỡng hoàn thành (≥ \(Self.vn(rules.passThreshold)) và < \(Self.vn(rules.goodThreshold))).")
        } else {
            level = .fail
            result.reasons.append("Dưới ngưỡng hoàn thành nhiệm vụ (< \(Self.vn(rules.passThreshold))).")
        }
        let share = try onTimeShare(p)
        while let need = rules.onTimeShareRequired[level], level != .fail, let share, share < need {
            result.reasons.append("Không đủ điều kiện \(level.label.lowercased()): tỷ lệ nhiệm vụ đúng hạn \(Self.vn(try Rational.multiply(share, Self.hundred).rounded(places: 2)))% < \(Self.vn(try Rational.multiply(need, Self.hundred)))%; hạ một mức.")
            level = level.next
        }
        for flag in OverrideFlag.allCases where p.flags.contains(flag) {
            level = .fail
            result.reasons.append("Xếp loại không hoàn thành nhiệm vụ vì \(flag.reason).")
        }
        result.level = level
        return result
    }

    /// Share of the year's non-cancelled tasks completed with no delay (nil when there are none).
    func onTimeShare(_ p: PersonInput) throws -> Rational? {
        let tasks = p.periods.flatMap(\.tasks).filter { $0.status != .cancelled }
        guard !tasks.isEmpty else { return nil }
        let onTime = tasks.filter { $0.status == .completed && $0.delays == 0 }.count
        return try Rational(Int128(onTime), Int128(tasks.count))
    }

    /// Scores everyone, then applies the quota across all of them (the agency) and within each group.
    public func rank(_ people: [PersonInput], quota: QuotaRule? = nil) throws -> [PersonResult] {
        var results = try people.map(person)
        QuotaAllocator(rule: quota ?? rules.quota).apply(&results)
        return results
    }

    /// "91,20": two decimals, Vietnamese comma.
    static func vn(_ r: Rational) -> String { r.fixed(2).replacingOccurrences(of: ".", with: ",") }
}
