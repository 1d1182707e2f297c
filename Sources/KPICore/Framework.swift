import Foundation

/// A KPI framework version (bộ chỉ số) as data: every number and formula the engine uses, the
/// indicators of groups (ii)–(iv), levels, conditions and quota. Stored as JSON; decimals are
/// strings ("0.25") so nothing passes through binary floating point. Changing a framework never
/// needs a code or schema change.
public struct FrameworkDefinition: Codable, Sendable, Equatable {
    /// Group (i): its points and the task formulas over a, b, c (and d, dd for leaders).
    public var taskPoints = "70"
    public var taskFormula = ScoringRules.defaultTaskFormula
    public var leaderTaskFormula = ScoringRules.defaultLeaderTaskFormula
    public var errorPenalty = "0.25"
    public var delayPenalty = "0.25"
    /// Groups (ii), (iii), (iv): their maximum points.
    public var satisfactionMax = "10"
    public var coordinationMax = "5"
    public var disciplineMax = "15"
    public var indicators: [Indicator] = FrameworkDefinition.defaultIndicators
    public var excellentThreshold = "90"
    public var goodThreshold = "70"
    public var passThreshold = "50"
    /// Least share (0…1) of tasks on time to keep "xuất sắc" / "tốt"; empty: no condition.
    public var onTimeForExcellent = ""
    public var onTimeForGood = ""
    public var quotaRate = "0.2"
    public var quotaPool = "good-or-better"
    public var quotaRounding = "floor"
    /// "month" or "quarter": the periods whose mean is the year.
    public var period = "month"

    public init() {}

    /// One indicator of groups (ii)–(iv).
    public struct Indicator: Codable, Sendable, Equatable {
        /// "hai-long" (ii), "phoi-hop" (iii), "ky-luat" (iv).
        public var group: String
        public var code: String
        public var name: String
        public var maxPoints: String
        /// "rating", "deduction", "rubric" or "formula".
        public var method: String
        /// rating: the scale's top ("5"); deduction: points per event ("2");
        /// rubric: "Tốt=15; Khá=10; Trung bình=5; Kém=0"; formula: the expression.
        public var parameter: String

        public init(group: String, code: String, name: String, maxPoints: String, method: String, parameter: String) {
            self.group = group
            self.code = code
            self.name = name
            self.maxPoints = maxPoints
            self.method = method
            self.parameter = parameter
        }
    }

    public static let groups = [("hai-long", "(ii) Mức độ hài lòng của đối tượng thụ hưởng"), ("phoi-hop",
        "(iii) Năng lực phối hợp"),
                                ("ky-luat", "(iv) Kỷ luật, kỷ cương; phẩm chất chính trị, đạo đức")]
    public static let methods = [("rating", "Đánh giá (thang điểm)"), ("deduction", "Trừ điểm theo vi phạm"),
                                 ("rubric", "Thang mức do người đánh giá chọn"), ("formula", "Công thức")]

    public static let defaultIndicators = [
        Indicator(group: "hai-long", code: "HL-01",
                  name: "Mức độ hài lòng của người dân, tổ chức và đơn vị nhận sản phẩm",
                  maxPoints: "10", method: "rating", parameter: "5"),
        Indicator(group: "phoi-hop", code: "PH-01", name: "Đánh giá của người chủ trì về mức độ phối hợp",
                  maxPoints: "5",
                  method: "rating", parameter: "5"),
        Indicator(group: "ky-luat", code: "KL-01",
                  name: "Chấp hành kỷ luật, kỷ cương hành chính (trừ theo vi phạm được ghi nhận)",
                  maxPoints: "10", method: "deduction", parameter: "2"),
        Indicator(group: "ky-luat", code: "KL-02", name: "Phẩm chất chính trị, đạo đức, lối sống", maxPoints: "5",
                  method: "rubric",
                  parameter: "Tốt=5; Khá=3; Trung bình=1; Kém=0"),
    ]

    /// The seeded defaults (Nghị định 335 for công chức; viên chức; Quy định 366 for cán bộ).
    public static func seeded(_ code: String) -> FrameworkDefinition? {
        switch code {
        case "cong-chuc", "vien-chuc": return FrameworkDefinition()
        case "can-bo":
            var d = FrameworkDefinition()
            d.onTimeForExcellent = "1"
            d.onTimeForGood = "1"
            return d
        default: return nil
        }
    }

    public static let seededFrameworks: [(code: String, name: String, staffKind: String)] = [
        ("cong-chuc", "Bộ chỉ số chung đối với công chức (Nghị định 335/2025/NĐ-CP)", "cong-chuc"),
        ("vien-chuc", "Bộ chỉ số chung đối với viên chức", "vien-chuc"),
        ("can-bo", "Bộ chỉ số đối với cán bộ (Quy định 366-QĐ/TW)", "can-bo"),
    ]

    /// A problem with one field of a definition, in Vietnamese.
    public struct Problem: Sendable, Equatable, Codable {
        public var field: String
        public var message: String
        public init(_ field: String, _ message: String) {
            self.field = field
            self.message = message
        }
    }

    /// Labels of the fields, for forms, errors and the comparison.
    public static let labels: [(key: String, label: String)] = [
        ("taskPoints", "Điểm nhóm (i) kết quả thực hiện nhiệm vụ"),
        ("taskFormula", "Công thức điểm nhiệm vụ (không giữ chức vụ)"),
        ("leaderTaskFormula", "Công thức điểm nhiệm vụ (lãnh đạo, quản lý)"),
        ("errorPenalty", "Mức giảm mỗi lỗi lớn"),
        ("delayPenalty", "Mức giảm mỗi lần chậm tiến độ"),
        ("satisfactionMax", "Điểm tối đa nhóm (ii) hài lòng"),
        ("coordinationMax", "Điểm tối đa nhóm (iii) phối hợp"),
        ("disciplineMax", "Điểm tối đa nhóm (iv) kỷ luật, kỷ cương"),
        ("indicators", "Các chỉ số nhóm (ii)–(iv)"),
        ("excellentThreshold", "Ngưỡng hoàn thành xuất sắc"),
        ("goodThreshold", "Ngưỡng hoàn thành tốt"),
        ("passThreshold", "Ngưỡng hoàn thành"),
        ("onTimeForExcellent", "Tỷ lệ đúng hạn tối thiểu để xuất sắc"),
        ("onTimeForGood", "Tỷ lệ đúng hạn tối thiểu để tốt"),
        ("quotaRate", "Tỷ lệ hạn mức xuất sắc"),
        ("quotaPool", "Cơ sở tính hạn mức"),
        ("quotaRounding", "Cách làm tròn hạn mức"),
        ("period", "Kỳ đánh giá"),
        ("groupCodes", "Áp dụng cho nhóm vị trí"),
        ("effectiveFrom", "Ngày hiệu lực"),
        ("confirm", "Xác nhận"),
        ("agency", "Mã cơ quan"),
    ]

    public static func label(_ key: String) -> String {
        if key.hasPrefix("indicators") { return labels.first { $0.key == "indicators" }!.label }
        return labels.first { $0.key == key }?.label ?? key
    }

    /// Every field as display text, by key (for the comparison of two versions).
    public var fields: [(key: String, value: String)] {
        [("taskPoints", taskPoints), ("taskFormula", taskFormula), ("leaderTaskFormula", leaderTaskFormula),
         ("errorPenalty", errorPenalty), ("delayPenalty", delayPenalty), ("satisfactionMax", satisfactionMax),
         ("coordinationMax", coordinationMax), ("disciplineMax", disciplineMax),
         ("indicators", Self.formatIndicators(indicators)), ("excellentThreshold", excellentThreshold),
         ("goodThreshold", goodThreshold), ("passThreshold", passThreshold), ("onTimeForExcellent", onTimeForExcellent),
         ("onTimeForGood", onTimeForGood), ("quotaRate", quotaRate), ("quotaPool", quotaPool), ("quotaRounding", quotaRounding),
         ("period", period)]
    }

    /// Indicators one a line: "Mã | Tên | Nhóm | Điểm tối đa | Phương pháp | Tham số".
    public static func formatIndicators(_ list: [Indicator]) -> String {
        list.map { "\($0.code) | \($0.name) | \($0.group) | \(DecimalText.vn(text: $0.maxPoints)) | \($0.method) | \($0.parameter)" }
            .joined(separator: "\n")
    }

    public static func parseIndicators(_ text: String) -> Result<[Indicator], Problem> {
        var list: [Indicator] = []
        for (i, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let trimmed = TextNormalizer.clean(String(line))
            if trimmed.isEmpty { continue }
            let cells = trimmed.split(separator: "|", omittingEmptySubsequences: false).map { TextNormalizer.clean(String($0)) }
            guard cells.count == 6 else {
                return .failure(Problem("indicators",
                                        """
                                            dòng \(i + 1): cần đủ 6 cột «Mã | Tên | Nhóm | Điểm tối đa | Phương pháp \
                                            | Tham số», đang có \
                                            \(cells.count)
                                            """))
            }
            let max = DecimalText.parse(cells[3]).map(DecimalText.plain) ?? cells[3]
            list.append(Indicator(group: cells[2], code: cells[0], name: cells[1], maxPoints: max, method: cells[4], parameter: cells[5]))
        }
        return .success(list)
    }

    /// Everything wrong with this definition (empty when it can be saved and published).
    public func validate() -> [Problem] {
        var problems: [Problem] = []
        func number(_ key: String, _ text: String, _ range: ClosedRange<Rational>) -> Rational? {
            guard let r = DecimalText.parse(text) else {
                problems.append(Problem(key, "«\(text)» không phải là số (ví dụ 0,25 hoặc 70)"))
                return nil
            }
            guard range.contains(r) else {
                problems.append(Problem(key, "phải từ \(DecimalText.vn(range.lowerBound)) đến \(DecimalText.vn(range.upperBound))"))
                return nil
            }
            return r
        }
        let hundred = Rational(100)
        let task = number("taskPoints", taskPoints, .zero...hundred)
        _ = number("errorPenalty", errorPenalty, .zero...Rational.one)
        _ = number("delayPenalty", delayPenalty, .zero...Rational.one)
        let sat = number("satisfactionMax", satisfactionMax, .zero...hundred)
        let coord = number("coordinationMax", coordinationMax, .zero...hundred)
        let disc = number("disciplineMax", disciplineMax, .zero...hundred)
        if let task, let sat, let coord, let disc {
            let sum = [task, sat, coord, disc].reduce(Rational.zero) { (try? Rational.add($0, $1)) ?? $0 }
            if sum != hundred {
                problems.append(Problem("taskPoints", "tổng điểm bốn nhóm phải bằng 100; đang là \(DecimalText.vn(sum))"))
            }
        }
        if let task {
            for (key, source, vars) in [("taskFormula", taskFormula, ScoringRules.taskVariables),
                                        ("leaderTaskFormula", leaderTaskFormula, ScoringRules.leaderTaskVariables)] {
                do {
                    let f = try Formula(source)
                    for e in f.check(variables: vars, max: task) { problems.append(Problem(key, e.description)) }
                } catch let e as FormulaError {
                    problems.append(Problem(key, e.description))
                } catch {
                    problems.append(Problem(key, "công thức không hợp lệ"))
                }
            }
        }
        let excellent = number("excellentThreshold", excellentThreshold, .zero...hundred)
        let good = number("goodThreshold", goodThreshold, .zero...hundred)
        let pass = number("passThreshold", passThreshold, .zero...hundred)
        if let excellent, let good, let pass, !(pass < good && good < excellent) {
            problems.append(Problem("goodThreshold", "các ngưỡng phải tăng dần: hoàn thành < tốt < xuất sắc"))
        }
        if !onTimeForExcellent.isEmpty { _ = number("onTimeForExcellent", onTimeForExcellent, .zero...Rational.one) }
        if !onTimeForGood.isEmpty { _ = number("onTimeForGood", onTimeForGood, .zero...Rational.one) }
        _ = number("quotaRate", quotaRate, .zero...Rational.one)
        if QuotaRule.Pool(rawValue: quotaPool) == nil { problems.append(Problem("quotaPool", "chỉ nhận good-or-better hoặc all")) }
        if QuotaRule.Rounding(rawValue: quotaRounding) == nil { problems.append(Problem("quotaRounding",
                                                                                        "chỉ nhận floor, round hoặc ceil")) }
        if !["month", "quarter"].contains(period) { problems.append(Problem("period",
                                                                            "chỉ nhận month (tháng) hoặc quarter (quý)")) }
        // Indicators: known group and method, distinct codes, and each group's points add up.
        var codes = Set<String>()
        var byGroup: [String: Rational] = [:]
        for (i, ind) in indicators.enumerated() {
            let key = "indicators[\(i)]"
            let at = "chỉ số «\(ind.code)»"
            if ind.code.isEmpty || !codes.insert(ind.code).inserted { problems.append(Problem(key,
                "\(at): mã trống hoặc bị lặp")) }
            guard Self.groups.contains(where: { $0.0 == ind.group }) else {
                problems.append(Problem(key,
                                        "\(at): nhóm «\(ind.group)» không hợp lệ; dùng hai-long, phoi-hop hoặc ky-luat"));
                                        continue
            }
            guard let max = DecimalText.parse(ind.maxPoints), max > .zero else {
                problems.append(Problem(key, "\(at): điểm tối đa phải là số dương")); continue
            }
            byGroup[ind.group] = (try? Rational.add(byGroup[ind.group] ?? .zero, max)) ?? max
            switch ind.method {
            case "rating":
                if DecimalText.parse(ind.parameter).map({ $0 >= Rational(2) && $0 <= Rational(100) }) != true {
                    problems.append(Problem(key, "\(at): thang đánh giá phải là số từ 2 đến 100 (ví dụ 5)"))
                }
            case "deduction":
                if DecimalText.parse(ind.parameter).map({ $0 > .zero && $0 <= max }) != true {
                    problems.append(Problem(key,
                                            """
                                                \(at): số điểm trừ mỗi vi phạm phải dương và không quá \
                                                \(DecimalText.vn(max))
                                                """))
                }
            case "rubric":
                switch ProductRules.parseComplexity(ind.parameter, range: .zero...Rational(100)) {
                case .success(let levels) where !levels.isEmpty:
                    if levels.contains(where: { $0.factor > max }) {
                        problems.append(Problem(key, "\(at): điểm của mỗi mức không được vượt \(DecimalText.vn(max))"))
                    }
                default:
                    problems.append(Problem(key, "\(at): các mức phải có dạng «Tốt=5; Khá=3; Kém=0»"))
                }
            case "formula":
                do {
                    let f = try Formula(ind.parameter)
                    let vars: [String: ClosedRange<Rational>] = ["diem_tb": .one...Rational(5), "so_luot": .zero...Rational(1000),
                                                                 "so_vi_pham": .zero...Rational(100)]
                    for e in f.check(variables: vars, max: max) { problems.append(Problem(key, "\(at): \(e.description)")) }
                } catch let e as FormulaError {
                    problems.append(Problem(key, "\(at): \(e.description)"))
                } catch {
                    problems.append(Problem(key, "\(at): công thức không hợp lệ"))
                }
            default:
                problems.append(Problem(key,
                                        """
                                            \(at): phương pháp «\(ind.method)» không hợp lệ; dùng rating, deduction, rubric \
                                            hoặc formula
                                            """))
            }
        }
        for (group, text, label) in [("hai-long", satisfactionMax, "(ii)"), ("phoi-hop", coordinationMax, "(iii)"), ("ky-luat",
            disciplineMax, "(iv)")] {
            guard let groupMax = DecimalText.parse(text), let sum = byGroup[group] else { continue }
            if sum != groupMax {
                problems.append(Problem("indicators",
                                        """
                                            tổng điểm tối đa các chỉ số nhóm \(label) là \(DecimalText.vn(sum)), phải \
                                            bằng điểm của nhóm \
                                            (\(DecimalText.vn(groupMax)))
                                            """))
            }
        }
        return problems
    }

    /// Fields an agency's derived version may not change (DOMAIN.md §3: never thresholds or quotas).
    public static let lockedForAgencies = ["taskPoints", "satisfactionMax", "coordinationMax", "disciplineMax", "excellentThreshold",
                                           "goodThreshold", "passThreshold", "onTimeForExcellent", "onTimeForGood", "quotaRate",
                                           "quotaPool", "quotaRounding", "period"]

    /// The problems of an agency's version against the province's: locked fields must be equal.
    public func boundsProblems(against province: FrameworkDefinition) -> [Problem] {
        let mine = Dictionary(uniqueKeysWithValues: fields.map { ($0.key, $0.value) })
        let theirs = Dictionary(uniqueKeysWithValues: province.fields.map { ($0.key, $0.value) })
        return Self.lockedForAgencies.compactMap { key in
            mine[key] == theirs[key] ? nil : Problem(key,
                                                     """
                                                         cơ quan không được thay đổi trường này (bộ chỉ số chung của \
                                                         tỉnh: \
                                                         «\(theirs[key] ?? "")»)
                                                         """)
        }
    }

    /// The engine's rules; throws the first problem when the definition is not valid.
    public func rules(code: String) throws -> ScoringRules {
        if let first = validate().first { throw first }
        func r(_ s: String) -> Rational { DecimalText.parse(s)! }
        var rules = ScoringRules(code: code)
        rules.taskPoints = r(taskPoints)
        rules.taskFormula = try Formula(taskFormula)
        rules.leaderTaskFormula = try Formula(leaderTaskFormula)
        rules.errorPenalty = r(errorPenalty)
        rules.delayPenalty = r(delayPenalty)
        rules.satisfactionMax = r(satisfactionMax)
        rules.coordinationMax = r(coordinationMax)
        rules.disciplineMax = r(disciplineMax)
        rules.excellentThreshold = r(excellentThreshold)
        rules.goodThreshold = r(goodThreshold)
        rules.passThreshold = r(passThreshold)
        if !onTimeForExcellent.isEmpty { rules.onTimeShareRequired[.excellent] = r(onTimeForExcellent) }
        if !onTimeForGood.isEmpty { rules.onTimeShareRequired[.good] = r(onTimeForGood) }
        rules.quota = QuotaRule(rate: r(quotaRate), pool: QuotaRule.Pool(rawValue: quotaPool)!,
                                rounding: QuotaRule.Rounding(rawValue: quotaRounding)!)
        return rules
    }
}

extension FrameworkDefinition.Problem: Error, CustomStringConvertible {
    public var description: String { "\(FrameworkDefinition.label(field)): \(message)" }
}
