/// What a task's page offers its user (thao tác): decided here, beside the state machine that
/// would accept or refuse each one, so the page never shows a button the server refuses and the
/// buttons are not decided again in a view.
public enum TaskAction: String, Sendable, CaseIterable {
    /// Bắt đầu thực hiện.
    case start
    /// Cập nhật tiến độ.
    case progress
    /// Gửi nghiệm thu.
    case submit
    /// Xin gia hạn.
    case requestExtension
    /// Thêm, gỡ minh chứng.
    case addEvidence
    /// Duyệt hoặc không duyệt một đề xuất.
    case decideProposal
    /// Đồng ý hoặc không đồng ý gia hạn.
    case decideExtension
    /// Nghiệm thu hoặc trả lại.
    case accept
    /// Phân công người chủ trì (a task sent to a unit without one; the unit's leaders).
    case assign
    /// Hủy nhiệm vụ.
    case cancel
    /// Thêm nhiệm vụ con.
    case addSubtask
    /// Đánh giá người phối hợp (the lead, once the task is completed).
    case rateParticipants
}

extension TaskFlow {
    /// The actions `actor` is offered on a task in `state`; `hasAssignee` says whether someone carries
    /// it out yet. Each one that is a `TaskEvent` is offered exactly when `apply` would accept it
    /// from this actor in this state given valid values; nobody is offered a decision on a task they
    /// carry out themselves (`SeparationOfDuties`).
    public static func offered(in state: TaskState, to actor: TaskActor, hasAssignee: Bool) -> Set<TaskAction> {
        var out: Set<TaskAction> = []
        let working = [.assigned, .inProgress].contains(state)
        if actor.works {
            if state == .assigned { out.insert(.start) }
            if working { out.formUnion([.progress, .submit, .addEvidence]) }
        }
        if actor.isAssignee {
            if working { out.insert(.requestExtension) }
            if state == .completed { out.insert(.rateParticipants) }
        }
        if actor.decides { out.insert(.addSubtask) }
        guard actor.decides, !actor.isAssignee else { return out }
        switch state {
        case .proposed: out.insert(.decideProposal)
        case .extensionRequested: out.insert(.decideExtension)
        case .awaitingAcceptance: if !actor.sentSubmission { out.insert(.accept) }
        default: break
        }
        if state.isOpen {
            out.insert(.cancel)
            // Choosing who carries out the unit's task is its leaders' (an assigner outside it is not).
            if !hasAssignee && actor.leadsScope { out.insert(.assign) }
        }
        return out
    }
}
