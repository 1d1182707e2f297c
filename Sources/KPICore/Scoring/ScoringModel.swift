/// What the engine reads: a person's tasks and general-criteria inputs for each period.
public enum TaskStatus: String, Sendable, Codable { case completed, open, cancelled }

public struct TaskRecord: Sendable, Equatable {
    /// Converted quantity (quantity × conversion factor × complexity factor).
    public var units: Rational { didSet { microRaw = TaskRecord.micro(units) ?? TaskRecord.noMicro } }
    /// `units` in millionths when that is exact and below 2⁶² (the engine's integer path), else nil.
    public var micro: Int128? { microRaw == TaskRecord.noMicro ? nil : microRaw }
    /// `micro` without an optional's tag, `noMicro` for nil: the record stays small.
    var microRaw: Int128
    public var status: TaskStatus
    /// "Chưa đạt" verdicts, including those later exempted.
    public var majorErrors: Int
    /// Errors confirmed as objective causes: counted in `majorErrors`, not penalized.
    public var exemptErrors: Int
    /// Completions past the due date (approved extensions are not delays).
    public var delays: Int
    /// Delays confirmed as due to an objective cause by the competent person (Nghị định 335 Điều 14):
    /// counted in `delays`, not penalized, as `exemptErrors` for errors.
    public var exemptDelays: Int
    /// How many tasks this record stands for: tasks with the same status, errors and delays score
    /// as one record of their summed `units` (every sum of §4 is linear in the units), counted
    /// `count` times in U's task count and the on-time share.
    public var count: Int

    public init(units: Rational, status: TaskStatus, majorErrors: Int = 0, exemptErrors: Int = 0, delays: Int = 0,
                exemptDelays: Int = 0, count: Int = 1) {
        self.units = units
        self.microRaw = TaskRecord.micro(units) ?? TaskRecord.noMicro
        self.status = status
        self.majorErrors = majorErrors
        self.exemptErrors = exemptErrors
        self.delays = delays
        self.exemptDelays = exemptDelays
        self.count = count
    }

    /// The delays that count against timeliness (c): those not exempted, never below zero.
    public var countedDelays: Int { Swift.max(0, delays &- exemptDelays) }
}

extension TaskRecord {
    static let noMicro = Int128.min

    static func micro(_ r: Rational) -> Int128? {
        guard 1_000_000 % r.denominator == 0 else { return nil }
        let (v, overflow) = r.numerator.multipliedReportingOverflow(by: 1_000_000 / r.denominator)
        guard !overflow, Fraction.small(v) else { return nil }
        return v
    }
}

/// Groups (ii)–(iv), in points; absent means no negative evidence, so the full points.
public struct GeneralInputs: Sendable, Equatable {
    public var satisfaction: Rational?
    public var coordination: Rational?
    public var discipline: Rational?
    public init(satisfaction: Rational? = nil, coordination: Rational? = nil, discipline: Rational? = nil) {
        self.satisfaction = satisfaction
        self.coordination = coordination
        self.discipline = discipline
    }
}

public struct PeriodInput: Sendable, Equatable {
    public var tasks: [TaskRecord]
    public var general: GeneralInputs
    /// The evaluator's task score when the period has no task basis (U = 0).
    public var rubricTaskScore: Rational?
    /// Every working day of the period on recorded leave: the period is not evaluated (`LeaveFacts`).
    public var onLeave: Bool
    public init(tasks: [TaskRecord], general: GeneralInputs = .init(), rubricTaskScore: Rational? = nil, onLeave: Bool = false) {
        self.tasks = tasks
        self.general = general
        self.rubricTaskScore = rubricTaskScore
        self.onLeave = onLeave
    }
}

/// Components d and đ of a leader, each 100 or 50 (percent).
public struct LeaderInputs: Sendable, Equatable {
    public var unitResult: Rational
    public var organizing: Rational
    public init(unitResult: Rational, organizing: Rational) {
        self.unitResult = unitResult
        self.organizing = organizing
    }
}

/// Year-level facts that force "Không hoàn thành nhiệm vụ".
public enum OverrideFlag: String, Sendable, Codable, CaseIterable {
    /// Kỷ luật từ khiển trách trở lên do vi phạm trong thi hành công vụ.
    case discipline
    /// Kết luận suy thoái tư tưởng chính trị, đạo đức, lối sống.
    case degradation
    /// (Lãnh đạo) đơn vị bị xử lý về tham nhũng, lãng phí.
    case unitCorruption = "unit-corruption"

    public var reason: String {
        switch self {
        case .discipline: "bị kỷ luật từ khiển trách trở lên do vi phạm trong thi hành công vụ trong năm"
        case .degradation: "có kết luận suy thoái về tư tưởng chính trị, đạo đức, lối sống"
        case .unitCorruption: "đơn vị do mình phụ trách bị xử lý về tham nhũng, tham ô, lãng phí"
        }
    }
}

public struct PersonInput: Sendable, Equatable {
    public var id: String
    /// Quota group (default: position group).
    public var group: String
    public var leader: LeaderInputs?
    public var flags: Set<OverrideFlag>
    /// The periods actually worked in the year (leave excluded).
    public var periods: [PeriodInput]
    public init(id: String, group: String, leader: LeaderInputs? = nil, flags: Set<OverrideFlag> = [], periods: [PeriodInput]) {
        self.id = id
        self.group = group
        self.leader = leader
        self.flags = flags
        self.periods = periods
    }
}

/// A person's year from the published totals of their periods (Nghị định 335 Điều 21).
public struct YearInput: Sendable, Equatable {
    public var id: String
    public var group: String
    /// Each period's total in hundredths; nil for a period without a score (not counted: leave, no task basis).
    public var totals: [Int?]
    /// How many of the periods without a score were on recorded leave (the rest had no task basis).
    public var leavePeriods: Int
    /// Non-cancelled tasks and those completed on time, over the periods (for the level conditions).
    public var tasks: Int
    public var onTime: Int
    public var flags: Set<OverrideFlag>
    public init(id: String, group: String, totals: [Int?], tasks: Int = 0, onTime: Int = 0, flags: Set<OverrideFlag> = [],
                leavePeriods: Int = 0) {
        self.id = id
        self.group = group
        self.totals = totals
        self.leavePeriods = leavePeriods
        self.tasks = tasks
        self.onTime = onTime
        self.flags = flags
    }
}

/// Xếp loại: the four levels of Nghị định 335 Điều 20 and Quy định 366.
public enum Level: String, Sendable, Codable, CaseIterable, Comparable {
    case excellent = "HTXSNV"
    case good = "HTTNV"
    case pass = "HTNV"
    case fail = "KHTNV"

    public var label: String {
        switch self {
        case .excellent: "Hoàn thành xuất sắc nhiệm vụ"
        case .good: "Hoàn thành tốt nhiệm vụ"
        case .pass: "Hoàn thành nhiệm vụ"
        case .fail: "Không hoàn thành nhiệm vụ"
        }
    }

    var rank: Int { Level.allCases.firstIndex(of: self)! }
    /// `<` means "better than".
    public static func < (a: Level, b: Level) -> Bool { a.rank < b.rank }

    public var next: Level { rank + 1 < Level.allCases.count ? Level.allCases[rank + 1] : .fail }
}

/// The quota of "xuất sắc" (DOMAIN.md §5), all of it configuration.
public struct QuotaRule: Sendable, Equatable {
    public enum Pool: String, Sendable { case goodOrBetter = "good-or-better", all }
    public enum Rounding: String, Sendable { case floor, round, ceil }
    public var rate: Rational
    public var pool: Pool
    public var rounding: Rounding
    public init(rate: Rational, pool: Pool = .goodOrBetter, rounding: Rounding = .floor) {
        self.rate = rate
        self.pool = pool
        self.rounding = rounding
    }
}

/// A framework's scoring rules: every number a province may change is here, none in code.
public struct ScoringRules: Sendable, Equatable {
    public var code: String
    /// Points of group (i) and the formulas over a, b, c (percent) and, for leaders, d and dd
    /// (the unit-result and organizing components, 100 or 50).
    public var taskPoints = Rational(70)
    public var taskFormula = try! Formula(ScoringRules.defaultTaskFormula)
    public var leaderTaskFormula = try! Formula(ScoringRules.defaultLeaderTaskFormula)
    /// Penalty per error and per delay on a task's weight (default ¼).
    public var errorPenalty = try! Rational(1, 4)
    public var delayPenalty = try! Rational(1, 4)
    public var satisfactionMax = Rational(10)
    public var coordinationMax = Rational(5)
    public var disciplineMax = Rational(15)
    public var excellentThreshold = Rational(90)
    public var goodThreshold = Rational(70)
    public var passThreshold = Rational(50)
    /// Least share of tasks completed on time to keep a level (Quy định 366), by level.
    public var onTimeShareRequired: [Level: Rational] = [:]
    public var quota = QuotaRule(rate: try! Rational(2, 10))

    public static let defaultTaskFormula = "70 * (a + b + c) / 300"
    public static let defaultLeaderTaskFormula = "70 * (0.6 * (a + b + c) / 300 + 0.2 * d / 100 + 0.2 * dd / 100)"
    /// The variables a task formula may use, with their ranges (for the save-time check).
    public static let taskVariables: [String: ClosedRange<Rational>] = ["a": .zero...Rational(100), "b": .zero...Rational(100),
                                                                        "c": .zero...Rational(100)]
    public static let leaderTaskVariables: [String: ClosedRange<Rational>] = taskVariables.merging(["d": Rational(50)...Rational(100),
        "dd": Rational(50)...Rational(100)]) { a, _ in a }

    public init(code: String) { self.code = code }

    /// The seeded default frameworks.
    /// The seeded default frameworks, from their definitions (one source: `FrameworkDefinition.seeded`).
    public static func seeded(_ code: String) -> ScoringRules? {
        try? FrameworkDefinition.seeded(code)?.rules(code: code)
    }
}
