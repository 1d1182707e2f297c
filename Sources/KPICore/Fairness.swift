/// Phân tích công bằng (issue 19, item 4): what makes a unit's results worth a second look, kept as data
/// the province's advisory body changes (defaults below). A flag says what it measured and on how many
/// people; a group smaller than `minGroup` is shown without flags — too few to say anything.
public struct FairnessRules: Codable, Sendable, Equatable {
    /// The smallest group a flag is raised on.
    public var minGroup: Int
    /// A unit's median this many points above the median of the whole scope is flagged.
    public var medianGapPoints: Int
    /// A unit where everyone with a level is at least "hoàn thành tốt nhiệm vụ" is flagged.
    public var flagAllGood: Bool

    public init(minGroup: Int = 5, medianGapPoints: Int = 10, flagAllGood: Bool = true) {
        self.minGroup = minGroup; self.medianGapPoints = medianGapPoints; self.flagAllGood = flagAllGood
    }

    public static let defaults = FairnessRules()
    public static let key = "phan-tich-cong-bang"
    public static let groupRange = 2...100
    public static let gapRange = 1...50

    /// The rules as typed on the form.
    public static func check(minGroup: String, medianGap: String, allGood: Bool) -> Result<FairnessRules, TaskProblems> {
        var problems: [TaskProblem] = []
        let group = Int(minGroup.trimmingCharacters(in: .whitespaces))
        let gap = Int(medianGap.trimmingCharacters(in: .whitespaces))
        if group.map({ !groupRange.contains($0) }) ?? true {
            let range = "\(groupRange.lowerBound) đến \(groupRange.upperBound)"
            problems.append(.init("nhom_toi_thieu", "Số người tối thiểu của một nhóm phải là số nguyên từ \(range)."))
        }
        if gap.map({ !gapRange.contains($0) }) ?? true {
            let range = "\(gapRange.lowerBound) đến \(gapRange.upperBound)"
            problems.append(.init("chenh_trung_vi", "Mức chênh trung vị phải là số điểm nguyên từ \(range)."))
        }
        guard problems.isEmpty, let group, let gap else { return .failure(TaskProblems(list: problems)) }
        return .success(FairnessRules(minGroup: group, medianGapPoints: gap, flagAllGood: allGood))
    }

    /// The flags of a unit whose figures are `unit`, against the whole scope's `whole`; empty for a group
    /// smaller than `minGroup` (see `isSmall`).
    public func flags(unit: ScoreSummary, whole: ScoreSummary) -> [String] {
        guard !isSmall(unit) else { return [] }
        var out: [String] = []
        let levelled = unit.levels.values.reduce(0, +)
        if flagAllGood, levelled >= minGroup, unit.count(.pass) + unit.count(.fail) == 0 {
            out.append("Mọi người có xếp loại (\(levelled) người) đều từ «hoàn thành tốt nhiệm vụ» trở lên.")
        }
        if let m = unit.median, let w = whole.median, m - w > medianGapPoints * 100 {
            out.append("""
                Trung vị \(ScoringEngine.vn(hundredths: m)) cao hơn trung vị chung (\(ScoringEngine.vn(hundredths: w))) \
                \(ScoringEngine.vn(hundredths: m - w)) điểm, quá mức \(medianGapPoints) điểm (\(unit.scored) người có điểm).
                """)
        }
        return out
    }

    /// Fewer people with a score than `minGroup`: shown, never flagged.
    public func isSmall(_ s: ScoreSummary) -> Bool { s.scored < minGroup }
}
