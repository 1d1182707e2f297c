import Foundation

/// What groups (ii)–(iv) are scored from in a period, gathered from the work records: kept as
/// counts and sums (not points), so the same facts can be scored by another framework version.
public struct GeneralMetrics: Codable, Sendable, Equatable {
    /// Beneficiary ratings (1–5) of the person's tasks given in the period.
    public var satisfactionCount = 0
    public var satisfactionSum = 0
    /// Coordination ratings (1–5) given by the leads of shared tasks closed in the period.
    public var coordinationCount = 0
    public var coordinationSum = 0
    /// Violations recorded in the period (voided ones excluded) and the sum of their catalogued
    /// deductions, exact decimal text with a dot.
    public var violations = 0
    public var deductions = "0"
    /// The evaluator's chosen level per rubric indicator code (Tốt, Khá, …); absent until chosen.
    public var rubric: [String: String] = [:]

    public init(satisfactionCount: Int = 0, satisfactionSum: Int = 0, coordinationCount: Int = 0, coordinationSum: Int = 0,
                violations: Int = 0, deductions: String = "0", rubric: [String: String] = [:]) {
        self.satisfactionCount = satisfactionCount
        self.satisfactionSum = satisfactionSum
        self.coordinationCount = coordinationCount
        self.coordinationSum = coordinationSum
        self.violations = violations
        self.deductions = deductions
        self.rubric = rubric
    }
}

/// One indicator's points in a period, with how they were reached (for the explanation).
public struct IndicatorScore: Sendable, Equatable {
    public var group: String
    public var code: String
    public var name: String
    public var points: Rational
    public var max: Rational
    public var note: String
}

extension FrameworkDefinition {
    /// Points of groups (ii)–(iv) from the metrics, indicator by indicator, with how each was
    /// reached (the rules are `GeneralScorer`'s).
    public func general(_ m: GeneralMetrics) throws -> (inputs: GeneralInputs, indicators: [IndicatorScore]) {
        try GeneralScorer(self).score(m, notes: true)
    }
}

/// A framework's indicators of groups (ii)–(iv) read once (points, scales, rubric levels,
/// formulas), then scoring anyone's metrics (DOMAIN.md §3):
/// - `rating`: max × mean ÷ scale (ratings are given 1–5, the parameter is the scale's top);
///   no rating means no negative evidence, so the full points;
/// - `deduction`: max − the recorded deductions, floored at 0; the first deduction indicator of
///   group (iv) takes every violation (violations are not tied to an indicator);
/// - `rubric`: the level the evaluator chose; the full points until one is chosen (flagged);
/// - `formula`: the expression over diem_tb (mean rating of its group), so_luot (number of
///   ratings) and so_vi_pham (violations), clamped to 0…max; full points when it rates and has no rating.
public struct GeneralScorer: Sendable {
    enum Method: Sendable {
        case rating(scale: Rational)
        case deduction
        case rubric([ComplexityLevel])
        /// A formula that does not parse fails only when it is used, as it always has.
        case formula(Formula?, text: String)
    }
    struct Indicator: Sendable {
        var group: String, code: String, name: String, max: Rational, method: Method
    }
    let indicators: [Indicator]

    public init(_ definition: FrameworkDefinition) throws {
        indicators = try definition.indicators.map { ind in
            guard let max = DecimalText.parse(ind.maxPoints) else {
                throw FrameworkDefinition.Problem("indicators", "chỉ số «\(ind.code)»: điểm tối đa không hợp lệ")
            }
            let method: Method
            switch ind.method {
            case "rating": method = .rating(scale: DecimalText.parse(ind.parameter) ?? Rational(5))
            case "deduction": method = .deduction
            case "rubric": method = .rubric((try? ProductRules.parseComplexity(ind.parameter, range: .zero...Rational(100)).get()) ?? [])
            case "formula": method = .formula(try? Formula(ind.parameter), text: ind.parameter)
            default: throw FrameworkDefinition.Problem("indicators",
                                                       "chỉ số «\(ind.code)»: phương pháp «\(ind.method)» không hợp lệ")
            }
            return Indicator(group: ind.group, code: ind.code, name: ind.name, max: max, method: method)
        }
    }

    /// The points an evaluator's chosen levels give on the rubric indicators (each clamped to its
    /// maximum), summed; nil when no rubric indicator has a level chosen (phân tích công bằng).
    public func rubricPoints(_ choices: [String: String]) -> Rational? {
        var total: Rational?
        for ind in indicators {
            guard case .rubric(let levels) = ind.method, let chosen = choices[ind.code],
                  let level = levels.first(where: { $0.name == chosen }) else { continue }
            let points = Swift.min(Swift.max(level.factor, .zero), ind.max)
            total = (try? Rational.add(total ?? .zero, points)) ?? total
        }
        return total
    }

    /// The points of each group and, with `notes`, each indicator's line for the explanation.
    public func score(_ m: GeneralMetrics, notes: Bool = false) throws -> (inputs: GeneralInputs, indicators: [IndicatorScore]) {
        var scores: [IndicatorScore] = []
        scores.reserveCapacity(indicators.count)
        var deductionTaken = false
        var satisfaction: Rational?, coordination: Rational?, discipline: Rational?
        for ind in indicators {
            let (count, sum) = ind.group == "hai-long" ? (m.satisfactionCount, m.satisfactionSum)
                : ind.group == "phoi-hop" ? (m.coordinationCount, m.coordinationSum) : (0, 0)
            let mean = count > 0 ? try Rational(Int128(sum), Int128(count)) : nil
            var points = ind.max
            var note = ""
            switch ind.method {
            case .rating(let scale):
                if let mean {
                    points = try Rational.divide(Rational.multiply(ind.max, mean), scale)
                    if notes { note = """
                        \(count) lượt đánh giá, trung bình \(DecimalText.vn(mean.rounded(places: 2)))/\(DecimalText.vn(scale))
                        """ }
                } else if notes {
                    note = "chưa có lượt đánh giá: đủ điểm"
                }
            case .deduction:
                if ind.group == "ky-luat" && !deductionTaken {
                    deductionTaken = true
                    let d = m.deductions == "0" ? .zero : DecimalText.parse(m.deductions) ?? .zero
                    points = try Rational.subtract(ind.max, d)
                    if notes { note = m.violations == 0 ? "không có vi phạm được ghi nhận" : """
                        \(m.violations) vi phạm, trừ \(DecimalText.vn(d)) điểm
                        """ }
                } else if notes {
                    note = "không có vi phạm được ghi nhận"
                }
            case .rubric(let levels):
                if let chosen = m.rubric[ind.code], let level = levels.first(where: { $0.name == chosen }) {
                    points = level.factor
                    if notes { note = "người đánh giá chọn mức «\(level.name)»" }
                } else if notes {
                    note = "người đánh giá chưa chọn mức: tạm tính đủ điểm"
                }
            case .formula(let formula, let text):
                if ind.group != "ky-luat", mean == nil {
                    if notes { note = "chưa có lượt đánh giá: đủ điểm" }
                } else {
                    points = try (formula ?? Formula(text)).evaluate(["diem_tb": mean ?? .zero, "so_luot": Rational(count),
                                                                      "so_vi_pham": Rational(m.violations)])
                    if notes { note = "theo công thức \(text)" }
                }
            }
            points = Swift.min(Swift.max(points, .zero), ind.max)
            switch ind.group {
            case "hai-long": satisfaction = try Rational.add(satisfaction ?? .zero, points)
            case "phoi-hop": coordination = try Rational.add(coordination ?? .zero, points)
            case "ky-luat": discipline = try Rational.add(discipline ?? .zero, points)
            default: break
            }
            if notes { scores.append(IndicatorScore(group: ind.group, code: ind.code, name: ind.name, points: points, max: ind.max,
                                                    note: note)) }
        }
        return (GeneralInputs(satisfaction: satisfaction, coordination: coordination, discipline: discipline), scores)
    }
}
