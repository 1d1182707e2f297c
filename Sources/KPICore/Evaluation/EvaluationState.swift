/// Trạng thái of an agency's evaluation period (DOMAIN.md §7).
public enum EvaluationState: String, Sendable, Codable, CaseIterable {
    /// Mở: the work of the period feeds the scores.
    case open = "mo"
    /// Tự đánh giá.
    case selfAssessment = "tu-danh-gia"
    /// Đánh giá: the evaluators score rubric indicators and comment.
    case review = "danh-gia"
    /// Phê duyệt: the head applies the quota and approves.
    case approval = "phe-duyet"
    /// Công khai: published for the objection window.
    case published = "cong-khai"
    /// Đã chốt điểm: an immutable snapshot; only complaints and re-reviews change a result.
    case locked = "da-chot"

    public var label: String {
        switch self {
        case .open: "Đang mở"
        case .selfAssessment: "Tự đánh giá"
        case .review: "Đánh giá"
        case .approval: "Phê duyệt"
        case .published: "Công khai"
        case .locked: "Đã chốt điểm"
        }
    }

    /// Whether scores still follow the work records (recomputed when they change): until the
    /// head's approval fixes the proposal.
    public var recomputes: Bool { self == .open || self == .selfAssessment || self == .review }
}

/// The deadlines proposed when an agency starts its evaluation (hạn tự đánh giá, đánh giá, phê
/// duyệt): three working days for each step, one after another; the person who starts it may change them.
public struct StepDeadlines: Sendable, Equatable {
    public var selfAssessment: DateOnly
    public var review: DateOnly
    public var approval: DateOnly

    /// Working days given to each step by default.
    public static let workingDaysPerStep = 3

    public static func proposed(from today: DateOnly, calendar: WorkCalendar) -> StepDeadlines {
        let n = workingDaysPerStep
        return StepDeadlines(selfAssessment: calendar.adding(workingDays: n, to: today),
                             review: calendar.adding(workingDays: 2 * n, to: today),
                             approval: calendar.adding(workingDays: 3 * n, to: today))
    }
}
