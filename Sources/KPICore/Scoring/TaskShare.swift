/// One task's part in a period's a (volume), b (quality) and c (timeliness), as the engine counts it:
/// what the explanation page (giải trình) shows per task, decided here once rather than in a view.
public struct TaskShare: Sendable, Equatable {
    /// The converted quantity (khối lượng quy đổi): quantity × factor × complexity factor.
    public var units: Rational
    /// Whether the task is counted in U, the period's total converted quantity (all but cancelled).
    public var counted: Bool
    /// The quality weight, max(0; 1 − penalty × unexempted major errors); nil unless completed.
    public var quality: Rational?
    /// The timeliness weight, max(0; 1 − penalty × unexempted delays); nil unless completed.
    public var timeliness: Rational?
}

extension ScoringEngine {
    /// `task`'s share under these rules. A quantity that cannot be converted counts as 0, as the
    /// score itself does.
    public func share(of task: ScoreInputData.Task) -> TaskShare {
        let done = task.status == "completed"
        return TaskShare(
            units: (try? task.units()) ?? .zero,
            counted: task.status != "cancelled",
            quality: done ? ((try? weight(task.majorErrors - task.exemptErrors, rules.errorPenalty)) ?? .zero) : nil,
            timeliness: done ? ((try? weight(max(0, task.delays - task.exemptDelays), rules.delayPenalty)) ?? .zero) : nil)
    }
}

extension ScoringRules {
    /// Groups (ii)–(iv) as they count toward the score (tiêu chí chung): no record is the full
    /// points, a recorded value is kept between 0 and the group's maximum.
    public func generalPoints(_ g: GeneralInputs) -> (satisfaction: Rational, coordination: Rational, discipline: Rational) {
        func clamp(_ v: Rational?, _ max: Rational) -> Rational { Swift.min(Swift.max(v ?? max, .zero), max) }
        return (clamp(g.satisfaction, satisfactionMax), clamp(g.coordination, coordinationMax), clamp(g.discipline, disciplineMax))
    }
}
