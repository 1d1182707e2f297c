/// Something the engine says about a period, as data; `text` is the Vietnamese sentence.
public enum PeriodNote: Sendable, Equatable {
    /// U = 0 and the evaluator entered the task score by rubric.
    case rubricTaskScore
    /// U = 0 and no rubric score yet: the period does not count towards the year.
    case noTaskBasis
    /// Every working day of the period on recorded leave: not evaluated, not counted (DOMAIN.md §5).
    case onLeave

    public var text: String {
        switch self {
        case .rubricTaskScore: """
            Kỳ không có nhiệm vụ đến hạn: điểm kết quả nhiệm vụ do người đánh giá chấm theo thang.
            """
        case .noTaskBasis: """
            Kỳ không có nhiệm vụ đến hạn: cần người đánh giá chấm điểm kết quả nhiệm vụ; kỳ này chưa \
            tính vào điểm năm.
            """
        case .onLeave: """
            Nghỉ theo chế độ cả kỳ (ốm đau dài ngày, thai sản, không hưởng lương…): không đánh giá kỳ \
            này, không tính vào điểm năm.
            """
        }
    }
}

/// Why a person has their year score and level, as data; `text` is the Vietnamese sentence.
public enum Reason: Sendable, Equatable {
    case noScoredPeriod
    /// Every period on recorded leave: not evaluated.
    case onLeaveAll
    /// `count` periods on recorded leave left out of the mean (ranked on the periods worked).
    case leavePeriods(Int)
    /// The mean, shown in hundredths, of `counted` periods; `skipped` periods had no score.
    case yearMean(hundredths: Int, counted: Int, skipped: Int)
    /// The score reached `level`'s threshold `low` (and is below `high`, the next one up).
    case threshold(Level, low: Rational, high: Rational?)
    case belowPass(Rational)
    /// An extra condition failed: on-time share below what `level` needs; the level drops one.
    case onTimeShortfall(Level, share: Rational, need: Rational)
    case override(OverrideFlag)
    case withinQuota(group: String, groupRank: Int, groupCap: Int, agencyRank: Int, agencyCap: Int)
    case outsideQuota(group: String, groupCap: Int, agencyCap: Int)
    case tieAtQuotaEdge

    public var text: String {
        func vn(_ r: Rational) -> String { ScoringEngine.vn(r) }
        switch self {
        case .noScoredPeriod:
            return "Chưa có kỳ nào có điểm: chưa xếp loại."
        case .onLeaveAll:
            return "Nghỉ theo chế độ cả kỳ: không đánh giá, không xếp loại kỳ này."
        case let .leavePeriods(n):
            return "\(n) kỳ nghỉ theo chế độ không tính: xếp loại trên các kỳ thực tế làm việc."
        case let .yearMean(h, counted, skipped):
            return """
                Điểm năm \(ScoringEngine.vn(hundredths: h)) là trung bình \(counted) kỳ có \
                điểm\(skipped > 0 ? " (\(skipped) kỳ chưa có điểm không tính)" : "").
                """
        case let .threshold(level, low, high):
            switch level {
            case .excellent: return "Đạt ngưỡng xuất sắc (≥ \(vn(low)))."
            case .good: return "Đạt ngưỡng tốt (≥ \(vn(low))\(high.map { " và < \(vn($0))" } ?? ""))."
            default: return "Đạt ngưỡng hoàn thành (≥ \(vn(low))\(high.map { " và < \(vn($0))" } ?? ""))."
            }
        case let .belowPass(pass):
            return "Dưới ngưỡng hoàn thành nhiệm vụ (< \(vn(pass)))."
        case let .onTimeShortfall(level, share, need):
            let pct = { (r: Rational) in vn((try? Rational.multiply(r, Rational(100))) ?? .zero) }
            return """
                Không đủ điều kiện \(level.label.lowercased()): tỷ lệ nhiệm vụ đúng hạn \(pct(share))% < \
                \(pct(need))%; hạ một mức.
                """
        case let .override(flag):
            return "Xếp loại không hoàn thành nhiệm vụ vì \(flag.reason)."
        case let .withinQuota(group, groupRank, groupCap, agencyRank, agencyCap):
            return "Trong hạn mức xuất sắc: nhóm «\(group)» \(groupRank)/\(groupCap), cơ quan \(agencyRank)/\(agencyCap)."
        case let .outsideQuota(group, groupCap, agencyCap):
            return """
                Ngoài hạn mức xuất sắc (nhóm «\(group)» tối đa \(groupCap), cơ quan tối đa \(agencyCap)): xếp hoàn \
                thành tốt nhiệm vụ.
                """
        case .tieAtQuotaEdge:
            return "Đồng điểm với người cuối cùng trong hạn mức: người phê duyệt quyết định."
        }
    }
}
