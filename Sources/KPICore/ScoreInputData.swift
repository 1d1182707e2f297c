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

        public init(title: String, productCode: String, productName: String, unit: String, quantity: String, factor: String,
                    complexity: String, complexityFactor: String, status: String, majorErrors: Int, exemptErrors: Int, delays: Int) {
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
        }

        /// Quantity × conversion factor × complexity factor.
        public func units() throws -> Rational {
            guard let q = DecimalText.parse(quantity), let f = DecimalText.parse(factor) else { throw Rational.Overflow() }
            let c = complexityFactor.isEmpty ? nil : DecimalText.parse(complexityFactor).map { ComplexityLevel(name: complexity, factor: $0) }
            return try ProductRules.converted(quantity: q, factor: f, complexity: c)
        }
    }

    public var personCode: String
    public var personName: String
    public var staffKind: String
    public var groupCode: String
    public var unitName: String
    public var tasks: [Task]
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
            public init(code: String, agency: String, hundredths: Int?, level: String, revision: Int, tasks: Int, onTime: Int) {
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
                      onTime: periods.reduce(0) { $0 + $1.onTime }, flags: Set(flags.compactMap(OverrideFlag.init(rawValue:))))
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

    public var leader: LeaderInputs? {
        guard let d = DecimalText.parse(unitResult), let dd = DecimalText.parse(organizing) else { return nil }
        return LeaderInputs(unitResult: d, organizing: dd)
    }

    /// The engine's input for this period; groups (ii)–(iv) scored by `definition`'s indicators
    /// when the inputs carry metrics, else the stored points.
    public func periodInput(definition: FrameworkDefinition? = nil) throws -> PeriodInput {
        let records = try tasks.map { t in
            TaskRecord(units: try t.units(), status: TaskStatus(rawValue: t.status) ?? .open,
                       majorErrors: t.majorErrors, exemptErrors: t.exemptErrors, delays: t.delays)
        }
        let rubric = taskRubric.flatMap { $0.isEmpty ? nil : Rational(exact: $0) }
        if let metrics, let definition {
            return PeriodInput(tasks: records, general: try definition.general(metrics).inputs, rubricTaskScore: rubric)
        }
        return PeriodInput(tasks: records, general: GeneralInputs(satisfaction: Rational(exact: satisfaction),
                                                                  coordination: Rational(exact: coordination),
                                                                  discipline: Rational(exact: discipline)),
                           rubricTaskScore: rubric)
    }

    /// The engine's input for this person with one period (quota group = position group).
    public func personInput(definition: FrameworkDefinition? = nil) throws -> PersonInput {
        PersonInput(id: personCode, group: groupCode, leader: leader, periods: [try periodInput(definition: definition)])
    }

    /// Scores this input with `engine`: the year from its periods' results, or the one period.
    public func score(_ engine: ScoringEngine, definition: FrameworkDefinition? = nil) throws -> PersonResult {
        if let year { return engine.year(year.input(id: personCode, group: groupCode)) }
        return try engine.person(try personInput(definition: definition))
    }
}

extension ScoringEngine {
    /// Ranks stored inputs: years by their periods' results, periods from their tasks; the quota over all.
    public func rank(_ inputs: [ScoreInputData], definition: FrameworkDefinition? = nil) throws -> [PersonResult] {
        var results = try inputs.map { try $0.score(self, definition: definition) }
        QuotaAllocator(rule: rules.quota).apply(&results)
        return results
    }
}
