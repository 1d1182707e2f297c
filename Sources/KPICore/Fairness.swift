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
    /// An evaluator whose mean rubric points exceed the other evaluators' of the same group by more than
    /// this is flagged (points).
    public var leniencyGapPoints: Int

    public init(minGroup: Int = 5, medianGapPoints: Int = 10, flagAllGood: Bool = true, leniencyGapPoints: Int = 2) {
        self.minGroup = minGroup; self.medianGapPoints = medianGapPoints; self.flagAllGood = flagAllGood
        self.leniencyGapPoints = leniencyGapPoints
    }

    enum CodingKeys: String, CodingKey { case minGroup, medianGapPoints, flagAllGood, leniencyGapPoints }

    /// Rules saved before the leniency gap existed read it as its default.
    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        self.init(minGroup: try c.decode(Int.self, forKey: .minGroup), medianGapPoints: try c.decode(Int.self, forKey: .medianGapPoints),
                  flagAllGood: try c.decode(Bool.self, forKey: .flagAllGood),
                  leniencyGapPoints: try c.decodeIfPresent(Int.self, forKey: .leniencyGapPoints) ?? 2)
    }

    public static let defaults = FairnessRules()
    public static let key = "phan-tich-cong-bang"
    public static let groupRange = 2...100
    public static let gapRange = 1...50
    public static let leniencyRange = 1...20

    /// The rules as typed on the form.
    public static func check(minGroup: String, medianGap: String, allGood: Bool, leniencyGap: String = "2")
        -> Result<FairnessRules, TaskProblems> {
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
        let lenient = Int(leniencyGap.trimmingCharacters(in: .whitespaces))
        if lenient.map({ !leniencyRange.contains($0) }) ?? true {
            let range = "\(leniencyRange.lowerBound) đến \(leniencyRange.upperBound)"
            problems.append(.init("chenh_cham_diem",
                                  "Mức chênh điểm chấm của người đánh giá phải là số điểm nguyên từ \(range)."))
        }
        guard problems.isEmpty, let group, let gap, let lenient else { return .failure(TaskProblems(list: problems)) }
        return .success(FairnessRules(minGroup: group, medianGapPoints: gap, flagAllGood: allGood, leniencyGapPoints: lenient))
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

    /// An evaluator's mean rubric points (hundredths) on `mine` sheets against the other evaluators' of the
    /// same framework and position group on `theirs` sheets: the flag, or nil when within the gap or when
    /// either side has fewer sheets than `minGroup`.
    public func leniency(mean: Int, sheets mine: Int, othersMean: Int, othersSheets theirs: Int) -> String? {
        guard mine >= minGroup, theirs >= minGroup, mean - othersMean > leniencyGapPoints * 100 else { return nil }
        return """
            Chấm bình quân \(ScoringEngine.vn(hundredths: mean)) điểm trên \(mine) phiếu, cao hơn những người đánh giá \
            khác cùng nhóm (\(ScoringEngine.vn(hundredths: othersMean)) trên \(theirs) phiếu) \
            \(ScoringEngine.vn(hundredths: mean - othersMean)) điểm, quá mức \(leniencyGapPoints) điểm.
            """
    }

    /// Fewer people with a score than `minGroup`: shown, never flagged.
    public func isSmall(_ s: ScoreSummary) -> Bool { s.scored < minGroup }
}
