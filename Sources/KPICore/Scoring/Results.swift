/// One period's scores (DOMAIN.md §4). a, b, c and the task score are nil when the period has
/// no task basis and no rubric score was entered. Values are kept exact and unreduced; reading
/// one reduces it.
public struct PeriodResult: Sendable, Equatable {
    /// a = abc.a / q, b = abc.b / q, c = abc.c / q; q = 0 when there is no task basis.
    var q: Int128
    var abc: (a: Int128, b: Int128, c: Int128)
    var unitsMicro: Fraction
    /// `.none` when there is no task score.
    var taskF: Fraction
    var general: Fraction
    var totalF: Fraction
    var shown: Int32
    var counted: Int32
    var onTime: Int32
    public var flags: [PeriodNote]

    init(units: Fraction, counted: Int, onTime: Int) {
        q = 0
        abc = (0, 0, 0)
        unitsMicro = units
        taskF = .none
        general = .zero
        totalF = .none
        shown = -1
        self.counted = Int32(truncatingIfNeeded: counted)
        self.onTime = Int32(truncatingIfNeeded: onTime)
        flags = []
    }

    /// The total as shown (× 100, rounded half-up), nil when there is no total.
    public var totalHundredths: Int? { shown < 0 ? nil : Int(shown) }
    /// Non-cancelled tasks, and those completed with no delay (for the level conditions).
    public var tasksCounted: Int { Int(counted) }
    public var tasksOnTime: Int { Int(onTime) }

    public var assignedUnits: Rational { unitsMicro.rational }
    public var a: Rational? { q == 0 ? nil : Fraction(abc.a, q).rational }
    public var b: Rational? { q == 0 ? nil : Fraction(abc.b, q).rational }
    public var c: Rational? { q == 0 ? nil : Fraction(abc.c, q).rational }
    public var taskScore: Rational? { taskF.isNone ? nil : taskF.rational }
    public var generalScore: Rational { general.rational }
    public var total: Rational? { totalF.isNone ? nil : totalF.rational }
    public var notes: [String] { flags.map(\.text) }

    public static func == (l: PeriodResult, r: PeriodResult) -> Bool {
        l.a == r.a && l.b == r.b && l.c == r.c && l.taskScore == r.taskScore && l.general == r.general && l.total == r.total
            && l.unitsMicro == r.unitsMicro && l.flags == r.flags && l.counted == r.counted && l.onTime == r.onTime
    }
}

public struct PersonResult: Sendable, Equatable {
    public var id: String
    public var group: String
    public var periods: [PeriodResult]
    var year: Fraction?
    /// The year score as shown (× 100, rounded half-up); levels and the quota use it.
    public var yearHundredths: Int?
    public var level: Level?
    /// The reasons for the score and level, as data.
    public var explanation: [Reason]
    /// Set when a tie at the quota's edge needs the approver's decision.
    public var tieAtQuotaEdge = false

    /// Mean of the periods' 2-decimal totals, exact; nil when no period has a total.
    public var yearScore: Rational? { year?.rational }
    public var reasons: [String] { explanation.map(\.text) }
}
