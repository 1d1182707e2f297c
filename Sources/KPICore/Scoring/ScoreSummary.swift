/// Tổng hợp kết quả: the stored figures of a group of people in one period (a unit's, kept when their
/// scores are stored), which add up exactly to any larger group (an agency, a block, the province):
/// counts, sums, the level distribution, and every score with its multiplicity, so a median or a
/// quartile of any group is exact without reading a person's row.
public struct ScoreSummary: Sendable, Equatable {
    /// People with a stored result (on leave for the whole period included).
    public var people = 0
    /// Of them, with a score.
    public var scored = 0
    /// Of them, with at least one task due in the period (participation).
    public var withTasks = 0
    public var sumHundredths = 0
    public var levels: [Level: Int] = [:]
    /// Each score (hundredths) with how many people have it.
    public var scores: [Int: Int] = [:]
    /// The people's task figures added up.
    public var work = TaskFacts()

    public init() {}

    /// One person's result and task figures added.
    public mutating func add(hundredths: Int?, level: Level?, facts: TaskFacts = TaskFacts()) {
        people += 1
        if let h = hundredths {
            scored += 1
            sumHundredths += h
            scores[h, default: 0] += 1
        }
        if let level { levels[level, default: 0] += 1 }
        if facts.tasks > 0 { withTasks += 1 }
        work.add(facts)
    }

    /// Two groups taken together.
    public mutating func merge(_ o: ScoreSummary) {
        people += o.people
        scored += o.scored
        withTasks += o.withTasks
        sumHundredths += o.sumHundredths
        for (l, n) in o.levels { levels[l, default: 0] += n }
        for (h, n) in o.scores { scores[h, default: 0] += n }
        work.add(o.work)
    }

    public func count(_ level: Level) -> Int { levels[level] ?? 0 }

    /// The mean score, in hundredths rounded half up; nil when nobody has a score.
    public var meanHundredths: Int? {
        guard scored > 0 else { return nil }
        return (2 * sumHundredths + scored) / (2 * scored)
    }

    /// The score below which a share `q` (0…1) of the scores lie, by linear interpolation between
    /// the two nearest ranks (the method of spreadsheets' QUARTILE.INC), in hundredths rounded half up.
    public func quantile(_ q: Double) -> Int? {
        guard scored > 0, q >= 0, q <= 1 else { return nil }
        let sorted = scores.keys.sorted()
        func value(at rank: Int) -> Int {
            var seen = 0
            for h in sorted {
                seen += scores[h]!
                if rank < seen { return h }
            }
            return sorted.last!
        }
        let position = q * Double(scored - 1)
        let low = Int(position.rounded(.down))
        let fraction = position - Double(low)
        let a = value(at: low)
        guard fraction > 0 else { return a }
        let b = value(at: low + 1)
        return Int((Double(a) + fraction * Double(b - a)).rounded(.toNearestOrAwayFromZero))
    }

    public var median: Int? { quantile(0.5) }
    public var minimum: Int? { scores.keys.min() }
    public var maximum: Int? { scores.keys.max() }

    /// Completed tasks on time, of the completed ones, in percent with one decimal (tenths); nil when none.
    public var onTimeTenths: Int? {
        guard let c = work.completed, c > 0 else { return nil }
        return Self.tenths(work.onTime, of: c)
    }

    /// People with a task, of those with a stored result, in tenths of a percent; nil when nobody.
    public var participationTenths: Int? { people > 0 ? Self.tenths(withTasks, of: people) : nil }

    /// Completed of the tasks due, in tenths of a percent; nil when none or not known.
    public var completionTenths: Int? {
        guard let c = work.completed, work.tasks > 0 else { return nil }
        return Self.tenths(c, of: work.tasks)
    }

    /// `part` of `whole` in tenths of a percent, rounded half up.
    public static func tenths(_ part: Int, of whole: Int) -> Int {
        guard whole > 0 else { return 0 }
        return (2000 * part + whole) / (2 * whole)
    }

    /// The scores as stored: "hundredths:count" pairs, ascending, separated by ";".
    public var scoresText: String {
        scores.keys.sorted().map { "\($0):\(scores[$0]!)" }.joined(separator: ";")
    }

    /// Reads `scoresText`; a malformed pair is refused (nil) rather than skipped.
    /// Read byte by byte: a province report reads some 3 000 stored summaries of about 40 pairs each.
    public static func scores(from text: String) -> [Int: Int]? {
        var out: [Int: Int] = [:]
        var h = 0, n = 0, hDigits = 0, nDigits = 0, colons = 0
        func pair() -> Bool {
            if hDigits == 0 && nDigits == 0 && colons == 0 { return true }  // an empty pair (";;") is skipped
            guard colons == 1, hDigits > 0, nDigits > 0, n > 0, h <= 100_000 else { return false }
            out[h, default: 0] += n
            h = 0; n = 0; hDigits = 0; nDigits = 0; colons = 0
            return true
        }
        for b in text.utf8 {
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"):
                let d = Int(b &- UInt8(ascii: "0"))
                if colons == 0 {
                    hDigits += 1
                    guard hDigits <= 7 else { return nil }
                    h = h * 10 + d
                } else {
                    nDigits += 1
                    guard nDigits <= 9 else { return nil }
                    n = n * 10 + d
                }
            case UInt8(ascii: ":"): colons += 1
            case UInt8(ascii: ";"): guard pair() else { return nil }
            default: return nil
            }
        }
        return pair() ? out : nil
    }
}

/// Task figures in a period, a person's from their stored inputs, or a group's added up (`ScoreSummary`):
/// tasks due in the period (cancelled ones not counted), those completed in it, completed without an
/// unexempted delay, not completed by its end; converted products (sản phẩm quy đổi) of those tasks and
/// of the completed ones, in hundredths. A year's inputs count completed tasks through their periods:
/// `completed` is nil there, and in any sum holding one.
public struct TaskFacts: Sendable, Equatable {
    public var tasks = 0
    public var completed: Int? = 0
    public var onTime = 0
    public var notCompleted = 0
    public var unitsAssigned = 0
    public var unitsCompleted = 0

    public init(tasks: Int = 0, completed: Int? = 0, onTime: Int = 0, notCompleted: Int = 0, unitsAssigned: Int = 0,
                unitsCompleted: Int = 0) {
        self.tasks = tasks
        self.completed = completed
        self.onTime = onTime
        self.notCompleted = notCompleted
        self.unitsAssigned = unitsAssigned
        self.unitsCompleted = unitsCompleted
    }

    public mutating func add(_ f: TaskFacts) {
        tasks += f.tasks
        completed = f.completed.flatMap { c in completed.map { $0 + c } }
        onTime += f.onTime
        notCompleted += f.notCompleted
        unitsAssigned += f.unitsAssigned
        unitsCompleted += f.unitsCompleted
    }
}

extension ScoreInputData {
    /// The task figures of these inputs: the listed tasks and the groups (an open period's), or for a
    /// year the periods' counts (completed not known there). A converted quantity that cannot be read
    /// counts as zero products, never as a failure of the report.
    public var taskFacts: TaskFacts {
        if let year {
            return TaskFacts(tasks: year.periods.reduce(0) { $0 + $1.tasks }, completed: nil,
                             onTime: year.periods.reduce(0) { $0 + $1.onTime })
        }
        var f = TaskFacts()
        func add(status: String, count: Int, delays: Int, exemptDelays: Int, units: Rational?) {
            guard status != TaskStatus.cancelled.rawValue else { return }
            let h = units.flatMap { try? Rational.multiply($0, Rational(100)).rounded(places: 0) }
                .map { Int(clamping: $0.numerator / $0.denominator) } ?? 0
            f.tasks += count
            f.unitsAssigned = f.unitsAssigned &+ h
            if status == TaskStatus.completed.rawValue {
                f.completed = (f.completed ?? 0) + count
                f.unitsCompleted = f.unitsCompleted &+ h
                if delays <= exemptDelays { f.onTime += count }
            } else {
                f.notCompleted += count
            }
        }
        for t in tasks { add(status: t.status, count: 1, delays: t.delays, exemptDelays: t.exemptDelays, units: try? t.units()) }
        for g in groups ?? [] {
            add(status: g.status, count: g.count, delays: g.delays, exemptDelays: g.exemptDelays, units: Rational(decimal: g.units))
        }
        return f
    }
}

/// Điểm dự kiến: a person's open period as it stands (tasks not yet done count as not completed) and
/// as it would be if the tasks not yet due were completed on time, with the tasks that would lift the
/// score most, each alone. Computed for one person from their stored inputs with every task listed.
public struct ScoreProjection: Sendable, Equatable {
    public struct Lift: Sendable, Equatable {
        /// The task's index in the inputs' `tasks`.
        public var index: Int
        /// Hundredths gained by completing it on time, the rest as it stands.
        public var gain: Int
    }

    public var asItStands: PersonResult
    public var ifOnTime: PersonResult
    /// At most `limit` pending tasks with a gain, the largest first (the earlier task first on a tie).
    public var lifts: [Lift]
}

extension ScoreInputData {
    /// The projection when the tasks at `pending` (open, not yet due) are completed on time.
    public func projection(pending: [Int], engine: ScoringEngine, definition: FrameworkDefinition?, limit: Int = 2) throws
        -> ScoreProjection {
        try projection(pending: pending, engine: engine, general: try definition.map(GeneralScorer.init), limit: limit)
    }

    /// The same with the framework's general scorer built already (a page keeps it with the framework).
    public func projection(pending: [Int], engine: ScoringEngine, general scorer: GeneralScorer?, limit: Int = 2) throws
        -> ScoreProjection {
        let now = try score(engine, general: scorer)
        // The inputs read once (each task's converted quantity parsed, the indicators scored): each
        // variant changes only the statuses of its tasks (the engine's records list the tasks first).
        let inputs = year == nil ? try personInput(general: scorer) : nil
        func completing(_ indices: [Int]) throws -> PersonResult {
            guard var input = inputs, !input.periods.isEmpty else { return now }
            for i in indices where tasks.indices.contains(i) && tasks[i].status == TaskStatus.open.rawValue {
                input.periods[0].tasks[i].status = .completed
                input.periods[0].tasks[i].delays = 0
                input.periods[0].tasks[i].exemptDelays = 0
            }
            return try engine.person(input)
        }
        let base = now.yearHundredths ?? 0
        var lifts: [ScoreProjection.Lift] = []
        for i in pending {
            let gain = (try completing([i]).yearHundredths ?? 0) - base
            if gain > 0 { lifts.append(.init(index: i, gain: gain)) }
        }
        lifts.sort { ($0.gain, -$0.index) > ($1.gain, -$1.index) }
        return ScoreProjection(asItStands: now, ifOnTime: try completing(pending), lifts: Array(lifts.prefix(max(0, limit))))
    }
}
