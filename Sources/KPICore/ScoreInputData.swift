/// A person's inputs for one period as stored (JSON), with the tasks behind them, so a score can
/// be recomputed with another framework and explained line by line.
public struct ScoreInputData: Codable, Sendable, Equatable {
    public struct Task: Codable, Sendable, Equatable {
        public var title: String
        public var productCode: String
        public var productName: String
        public var unit: String
        /// Decimal texts with a dot.
        public var quantity: String
        public var factor: String
        public var complexity: String
        public var complexityFactor: String
        /// completed | open | cancelled
        public var status: String
        public var majorErrors: Int
        public var exemptErrors: Int
        public var delays: Int
        /// Delays exempted as due to an objective cause (absent in inputs stored before: 0).
        public var exemptDelays: Int

        public init(title: String, productCode: String, productName: String, unit: String, quantity: String, factor: String,
                    complexity: String, complexityFactor: String, status: String, majorErrors: Int, exemptErrors: Int, delays: Int,
                    exemptDelays: Int = 0) {
            self.title = title
            self.productCode = productCode
            self.productName = productName
            self.unit = unit
            self.quantity = quantity
            self.factor = factor
            self.complexity = complexity
            self.complexityFactor = complexityFactor
            self.status = status
            self.majorErrors = majorErrors
            self.exemptErrors = exemptErrors
            self.delays = delays
            self.exemptDelays = exemptDelays
        }

        enum CodingKeys: String, CodingKey {
            case title, productCode, productName, unit, quantity, factor, complexity, complexityFactor, status, majorErrors,
                 exemptErrors, delays, exemptDelays
        }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(title: try c.decode(String.self, forKey: .title), productCode: try c.decode(String.self, forKey: .productCode),
                      productName: try c.decode(String.self, forKey: .productName), unit: try c.decode(String.self, forKey: .unit),
                      quantity: try c.decode(String.self, forKey: .quantity), factor: try c.decode(String.self, forKey: .factor),
                      complexity: try c.decode(String.self, forKey: .complexity),
                      complexityFactor: try c.decode(String.self, forKey: .complexityFactor),
                      status: try c.decode(String.self, forKey: .status), majorErrors: try c.decode(Int.self, forKey: .majorErrors),
                      exemptErrors: try c.decode(Int.self, forKey: .exemptErrors), delays: try c.decode(Int.self, forKey: .delays),
                      exemptDelays: try c.decodeIfPresent(Int.self, forKey: .exemptDelays) ?? 0)
        }

        /// Quantity × conversion factor × complexity factor.
        public func units() throws -> Rational {
            guard let q = DecimalText.parse(quantity), let f = DecimalText.parse(factor) else { throw Rational.Overflow() }
            let c = complexityFactor.isEmpty ? nil : DecimalText.parse(complexityFactor).map { ComplexityLevel(name: complexity,
                factor: $0) }
            return try ProductRules.converted(quantity: q, factor: f, complexity: c)
        }
    }

    /// Nhóm nhiệm vụ: tasks with the same status, errors and delays taken together (their
    /// converted quantities summed), which score exactly as the tasks one by one. How a period's
    /// inputs are kept while it is open (a person is a handful of groups, not every task); the
    /// tasks themselves are read from the work records when explained, and listed one by one in
    /// the inputs fixed for approval.
    public struct TaskGroup: Codable, Sendable, Equatable {
        /// The summed converted quantity, written out exactly (`DecimalText.exact`).
        public var units: String
        public var count: Int
        public var status: String
        public var majorErrors: Int
        public var exemptErrors: Int
        public var delays: Int
        /// Absent in groups stored before delays could be exempted: 0.
        public var exemptDelays: Int

        public init(units: String, count: Int, status: String, majorErrors: Int, exemptErrors: Int, delays: Int,
                    exemptDelays: Int = 0) {
            self.units = units
            self.count = count
            self.status = status
            self.majorErrors = majorErrors
            self.exemptErrors = exemptErrors
            self.delays = delays
            self.exemptDelays = exemptDelays
        }

        enum CodingKeys: String, CodingKey { case units, count, status, majorErrors, exemptErrors, delays, exemptDelays }

        public init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            self.init(units: try c.decode(String.self, forKey: .units), count: try c.decode(Int.self, forKey: .count),
                      status: try c.decode(String.self, forKey: .status), majorErrors: try c.decode(Int.self, forKey: .majorErrors),
                      exemptErrors: try c.decode(Int.self, forKey: .exemptErrors), delays: try c.decode(Int.self, forKey: .delays),
                      exemptDelays: try c.decodeIfPresent(Int.self, forKey: .exemptDelays) ?? 0)
        }

        public var record: TaskRecord {
            get throws {
                guard let u = Rational(decimal: units), count > 0 else { throw Rational.Overflow() }
                return TaskRecord(units: u, status: TaskStatus(rawValue: status) ?? .open, majorErrors: majorErrors,
                                  exemptErrors: exemptErrors, delays: delays, exemptDelays: exemptDelays, count: count)
            }
        }
    }

    /// Builds a person's groups from tasks or already-summed rows, in a fixed order.
    public struct TaskGrouping: Sendable {
        struct Key: Hashable, Comparable {
            var status: String, major: Int, exempt: Int, delays: Int, exemptDelays: Int
            static func < (a: Key, b: Key) -> Bool {
                (a.status, a.major, a.exempt, a.delays, a.exemptDelays) < (b.status, b.major, b.exempt, b.delays, b.exemptDelays)
            }
        }
        var sums: [Key: (units: Rational, count: Int)] = [:]
        public init() {}

        /// `count` tasks of `status` … together `units` (the converted quantities summed).
        public mutating func add(units: Rational, count: Int, status: String, majorErrors: Int, exemptErrors: Int, delays: Int,
                                 exemptDelays: Int = 0) throws {
            let key = Key(status: status, major: majorErrors, exempt: exemptErrors, delays: delays, exemptDelays: exemptDelays)
            let old = sums[key] ?? (.zero, 0)
            sums[key] = (try Rational.add(old.units, units), old.count + count)
        }

        public var groups: [TaskGroup] {
            get throws {
                try sums.keys.sorted().map { k in
                    let s = sums[k]!
                    guard let units = DecimalText.exact(s.units) else { throw Rational.Overflow() }
                    return TaskGroup(units: units, count: s.count, status: k.status, majorErrors: k.major, exemptErrors: k.exempt,
                                     delays: k.delays, exemptDelays: k.exemptDelays)
                }
            }
        }
    }

    public var personCode: String
    public var personName: String
    public var staffKind: String
    public var groupCode: String
    public var unitName: String
    public var tasks: [Task]
    /// The tasks as groups (see `TaskGroup`), in addition to `tasks`; nil when every task is listed.
    public var groups: [TaskGroup]?
    /// Points of groups (ii)–(iv) as decimal texts; empty means no negative evidence (full points).
    public var satisfaction: String
    public var coordination: String
    public var discipline: String
    /// d and đ in percent (100 or 50) for a leader; empty otherwise.
    public var unitResult: String
    public var organizing: String
    /// The facts groups (ii)–(iv) are scored from, when the inputs were gathered from the work
    /// records (`kpi recompute`); nil for inputs given as points (history, demonstration).
    public var metrics: GeneralMetrics?
    /// The evaluator's task score (decimal text) for a period with no task due (U = 0).
    public var taskRubric: String?
    /// For a year: the periods' published results it is the mean of; nil for a month or quarter.
    public var year: YearFacts?
    /// The person's recorded leave in the period (nghỉ theo chế độ); nil when none.
    public var leave: LeaveFacts?

    /// Điểm năm: each period of the year the person has a result in (any agency: a transfer carries
    /// the old agency's results), and the year-level facts.
    public struct YearFacts: Codable, Sendable, Equatable {
        public struct Period: Codable, Sendable, Equatable {
            /// "2026-03" or "2026-Q1".
            public var code: String
            public var agency: String
            /// The current revision's score in hundredths; nil when the period had no score (leave,
            /// no task due): not counted.
            public var hundredths: Int?
            public var level: String
            public var revision: Int
            public var tasks: Int
            public var onTime: Int
            /// The whole period was on recorded leave (so it has no score); nil in older inputs.
            public var leave: Bool?
            public init(code: String, agency: String, hundredths: Int?, level: String, revision: Int, tasks: Int, onTime: Int,
                        leave: Bool? = nil) {
                self.leave = leave
                self.code = code
                self.agency = agency
                self.hundredths = hundredths
                self.level = level
                self.revision = revision
                self.tasks = tasks
                self.onTime = onTime
            }
        }
        public var periods: [Period]
        /// `OverrideFlag` raw values that apply in the year.
        public var flags: [String]
        public init(periods: [Period], flags: [String]) {
            self.periods = periods
            self.flags = flags
        }

        public func input(id: String, group: String) -> YearInput {
            YearInput(id: id, group: group, totals: periods.map(\.hundredths), tasks: periods.reduce(0) { $0 + $1.tasks },
                      onTime: periods.reduce(0) { $0 + $1.onTime }, flags: Set(flags.compactMap(OverrideFlag.init(rawValue:))),
                      leavePeriods: periods.filter { $0.hundredths == nil && $0.leave == true }.count)
        }
    }

    public init(personCode: String, personName: String, staffKind: String, groupCode: String, unitName: String, tasks: [Task],
                satisfaction: String, coordination: String, discipline: String, unitResult: String = "", organizing: String = "",
                metrics: GeneralMetrics? = nil) {
        self.personCode = personCode
        self.personName = personName
        self.staffKind = staffKind
        self.groupCode = groupCode
        self.unitName = unitName
        self.tasks = tasks
        self.satisfaction = satisfaction
        self.coordination = coordination
        self.discipline = discipline
        self.unitResult = unitResult
        self.organizing = organizing
        self.metrics = metrics
    }

    /// The same inputs with the tasks as groups (they score the same).
    public func grouped() throws -> ScoreInputData {
        var grouping = TaskGrouping()
        for t in tasks {
            try grouping.add(units: try t.units(), count: 1, status: t.status, majorErrors: t.majorErrors, exemptErrors: t.exemptErrors,
                             delays: t.delays, exemptDelays: t.exemptDelays)
        }
        for g in groups ?? [] {
            try grouping.add(units: try g.record.units, count: g.count, status: g.status, majorErrors: g.majorErrors,
                             exemptErrors: g.exemptErrors, delays: g.delays, exemptDelays: g.exemptDelays)
        }
        var copy = self
        copy.tasks = []
        copy.groups = try grouping.groups
        return copy
    }

    /// Tasks counted (not cancelled) and those among them completed on time, listed or grouped.
    public var taskCounts: (counted: Int, onTime: Int) {
        var counted = 0, onTime = 0
        for t in tasks where t.status != "cancelled" {
            counted += 1
            if t.status == "completed" && t.delays - t.exemptDelays <= 0 { onTime += 1 }
        }
        for g in groups ?? [] where g.status != "cancelled" {
            counted += g.count
            if g.status == "completed" && g.delays - g.exemptDelays <= 0 { onTime += g.count }
        }
        return (counted, onTime)
    }

    public var leader: LeaderInputs? {
        guard let d = DecimalText.parse(unitResult), let dd = DecimalText.parse(organizing) else { return nil }
        return LeaderInputs(unitResult: d, organizing: dd)
    }

    /// The engine's input for this period; groups (ii)–(iv) scored by `definition`'s indicators
    /// when the inputs carry metrics, else the stored points.
    public func periodInput(definition: FrameworkDefinition? = nil) throws -> PeriodInput {
        try periodInput(general: definition.map(GeneralScorer.init))
    }

    /// The same with the framework's indicators already read (`GeneralScorer`), for many people.
    public func periodInput(general scorer: GeneralScorer?) throws -> PeriodInput {
        let records = try tasks.map { t in
            TaskRecord(units: try t.units(), status: TaskStatus(rawValue: t.status) ?? .open,
                       majorErrors: t.majorErrors, exemptErrors: t.exemptErrors, delays: t.delays, exemptDelays: t.exemptDelays)
        } + (groups ?? []).map { try $0.record }
        let rubric = taskRubric.flatMap { $0.isEmpty ? nil : Rational(exact: $0) }
        let away = leave?.wholePeriod == true
        if let metrics, let scorer {
            return PeriodInput(tasks: records, general: try scorer.score(metrics).inputs, rubricTaskScore: rubric, onLeave: away)
        }
        return PeriodInput(tasks: records, general: GeneralInputs(satisfaction: Rational(exact: satisfaction),
                                                                  coordination: Rational(exact: coordination),
                                                                  discipline: Rational(exact: discipline)),
                           rubricTaskScore: rubric, onLeave: away)
    }

    /// The engine's input for this person with one period (quota group = position group).
    public func personInput(definition: FrameworkDefinition? = nil) throws -> PersonInput {
        try personInput(general: definition.map(GeneralScorer.init))
    }

    public func personInput(general scorer: GeneralScorer?) throws -> PersonInput {
        PersonInput(id: personCode, group: groupCode, leader: leader, periods: [try periodInput(general: scorer)])
    }

    /// Scores this input with `engine`: the year from its periods' results, or the one period.
    public func score(_ engine: ScoringEngine, definition: FrameworkDefinition? = nil) throws -> PersonResult {
        try score(engine, general: definition.map(GeneralScorer.init))
    }

    public func score(_ engine: ScoringEngine, general scorer: GeneralScorer?) throws -> PersonResult {
        if let year { return engine.year(year.input(id: personCode, group: groupCode)) }
        return try engine.person(try personInput(general: scorer))
    }
}

extension ScoringEngine {
    /// Ranks stored inputs: years by their periods' results, periods from their tasks; the quota over all.
    public func rank(_ inputs: [ScoreInputData], definition: FrameworkDefinition? = nil) throws -> [PersonResult] {
        let scorer = try definition.map(GeneralScorer.init)
        var results = try inputs.map { try $0.score(self, general: scorer) }
        QuotaAllocator(rule: rules.quota).apply(&results)
        return results
    }
}
