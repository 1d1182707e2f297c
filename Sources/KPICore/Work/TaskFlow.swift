/// Trạng thái nhiệm vụ (DOMAIN.md §6).
public enum TaskState: String, Sendable, Codable, CaseIterable {
    /// Tự đề xuất, chờ duyệt.
    case proposed = "cho-duyet"
    case assigned = "da-giao"
    case inProgress = "dang-thuc-hien"
    case extensionRequested = "xin-gia-han"
    case awaitingAcceptance = "cho-nghiem-thu"
    case completed = "hoan-thanh"
    case cancelled = "da-huy"
    /// A self-proposed task the leader did not approve.
    case declined = "khong-duyet"

    public var label: String {
        switch self {
        case .proposed: "Chờ duyệt đề xuất"
        case .assigned: "Đã giao"
        case .inProgress: "Đang thực hiện"
        case .extensionRequested: "Xin gia hạn"
        case .awaitingAcceptance: "Chờ nghiệm thu"
        case .completed: "Hoàn thành"
        case .cancelled: "Đã hủy"
        case .declined: "Không duyệt"
        }
    }

    /// Still to be worked on, reviewed or decided.
    public var isOpen: Bool { ![.completed, .cancelled, .declined].contains(self) }
}

/// Who acts on a task, as the server establishes it from the task and the user's grants.
public struct TaskActor: Sendable, Equatable {
    /// Người được giao (chủ trì).
    public var isAssignee: Bool
    /// Người giao việc.
    public var isAssigner: Bool
    /// Lãnh đạo có thẩm quyền trên đơn vị của nhiệm vụ.
    public var leadsScope: Bool
    /// A connected system in which the assignee handles the work (the document system, through the
    /// API) reporting it: it may start, record progress, attach evidence and submit, never ask for
    /// more time (a person's request) and never decide on a submission it sent itself.
    public var reportsForAssignee: Bool
    /// This actor sent the submission now awaiting acceptance: it may not accept or return it.
    public var sentSubmission: Bool
    public init(isAssignee: Bool = false, isAssigner: Bool = false, leadsScope: Bool = false, reportsForAssignee: Bool = false,
                sentSubmission: Bool = false) {
        self.isAssignee = isAssignee
        self.isAssigner = isAssigner
        self.leadsScope = leadsScope
        self.reportsForAssignee = reportsForAssignee
        self.sentSubmission = sentSubmission
    }

    /// The assignee or the system reporting their work: who starts, records progress and submits.
    public var works: Bool { isAssignee || reportsForAssignee }

    /// The assigner or a leader of the scope: who accepts, returns, approves and cancels.
    public var decides: Bool { isAssigner || leadsScope }
}

/// Kết quả nghiệm thu.
public enum Verdict: Sendable, Equatable {
    /// Đạt.
    case pass
    /// Chưa đạt, with the number of major errors (≥ 1).
    case fail(errors: Int)
    /// Chưa đạt but confirmed as an objective cause by the competent person: not penalized.
    case exempt(errors: Int, confirmedBy: String)
}

/// Miễn trừ chậm tiến độ (Nghị định 335 Điều 14): a late completion confirmed as due to an objective
/// cause by the competent person, recorded with the acceptance: who confirmed it and why.
public struct DelayExemption: Sendable, Equatable {
    public var confirmedBy: String
    public var reason: String
    public init(confirmedBy: String, reason: String) { self.confirmedBy = confirmedBy; self.reason = reason }
}

/// What happens to a task.
public enum TaskEvent: Sendable, Equatable {
    case approveProposal
    case declineProposal(reason: String)
    case start
    case progress(percent: Int, note: String)
    case requestExtension(newDue: DateOnly, reason: String)
    case approveExtension
    case refuseExtension(reason: String)
    /// Gửi nghiệm thu with evidence (files and document references).
    case submit(evidence: Int, note: String)
    /// Nghiệm thu; `delayExemption` exempts the completion's delays (only a late one has any).
    case accept(Verdict, delayExemption: DelayExemption? = nil)
    /// Trả lại: back to work; counts as a major error unless `exempt`.
    case returnForRework(reason: String, exempt: Bool)
    case cancel(reason: String)
}

/// How late completions count as delays (DOMAIN.md §4 c).
public enum DelayRule: String, Sendable, Codable {
    /// One delay per completion past the due date (the default).
    case once
    /// One delay, plus one more for each further full deadline interval (start → due) of lateness.
    case perInterval = "per-interval"
}

/// The facts of a task the workflow reads and changes.
public struct TaskSnapshot: Sendable, Equatable {
    public var state: TaskState
    public var start: DateOnly
    public var due: DateOnly
    public var percent: Int = 0
    public var majorErrors: Int = 0
    public var exemptErrors: Int = 0
    public var delays: Int = 0
    /// Delays exempted as due to an objective cause (≤ `delays`).
    public var exemptDelays: Int = 0
    /// The date of the last submission for acceptance (the completion date when accepted).
    public var submittedOn: DateOnly?
    /// The new due date asked for, while an extension request is pending.
    public var requestedDue: DateOnly?

    public init(state: TaskState, start: DateOnly, due: DateOnly) {
        self.state = state
        self.start = start
        self.due = due
    }
}

/// A refused transition or bad input, in Vietnamese; nothing changes.
public struct TaskFlowError: Error, Equatable, Sendable, CustomStringConvertible {
    public var message: String
    /// The actor may not do this at all (not the assignee, not a decider, their own task), as opposed
    /// to a state or a value that does not allow it now: the server answers 403 instead of 409.
    public var forbidden: Bool
    public init(_ message: String, forbidden: Bool = false) { self.message = message; self.forbidden = forbidden }
    public var description: String { message }
}

/// The task state machine of DOMAIN.md §6: which event is allowed from which state, by whom, and
/// what it changes. Pure; the server authorizes with it, writes the result and the audit entry in
/// one transaction.
public enum TaskFlow {
    /// The most major errors one verdict may record: a count far beyond any real review, so a
    /// mistyped or hostile number is refused instead of overflowing the task's totals.
    public static let maxErrorsPerVerdict = 100
    static let tooManyErrors = "Số lỗi lớn của một lần nghiệm thu phải từ 1 đến \(maxErrorsPerVerdict)."
    public static func apply(_ event: TaskEvent, to task: TaskSnapshot, by actor: TaskActor, on today: DateOnly,
                             delayRule: DelayRule = .once) -> Result<TaskSnapshot, TaskFlowError> {
        var t = task
        func refuse(_ m: String) -> Result<TaskSnapshot, TaskFlowError> { .failure(TaskFlowError(m)) }
        func wrongState(_ action: String) -> Result<TaskSnapshot, TaskFlowError> {
            refuse("Nhiệm vụ đang ở trạng thái «\(task.state.label)», không thể \(action).")
        }
        let assigneeOnly = "Chỉ người được giao nhiệm vụ mới thực hiện được thao tác này."
        let decidersOnly = "Chỉ người giao việc hoặc lãnh đạo có thẩm quyền mới thực hiện được thao tác này."
        func blank(_ s: String) -> Bool { TextNormalizer.clean(s).isEmpty }
        if SeparationOfDuties.isDecision(event) && actor.isAssignee {
            return .failure(TaskFlowError(SeparationOfDuties.ownTask, forbidden: true))
        }
        if SeparationOfDuties.decidesSubmission(event) && actor.sentSubmission {
            return .failure(TaskFlowError(SeparationOfDuties.ownSubmission, forbidden: true))
        }
        // Who may is settled before the state or the values are looked at.
        switch event {
        case .approveProposal, .declineProposal, .approveExtension, .refuseExtension, .accept, .returnForRework, .cancel:
            guard actor.decides else { return .failure(TaskFlowError(decidersOnly, forbidden: true)) }
        case .start, .progress, .submit:
            guard actor.works else { return .failure(TaskFlowError(assigneeOnly, forbidden: true)) }
        case .requestExtension:
            guard actor.isAssignee else { return .failure(TaskFlowError(assigneeOnly, forbidden: true)) }
        }

        switch event {
        case .approveProposal, .declineProposal:
            guard task.state == .proposed else { return wrongState("duyệt đề xuất") }
            guard actor.decides else { return refuse(decidersOnly) }
            if case .declineProposal(let reason) = event {
                guard !blank(reason) else { return refuse("Vui lòng ghi lý do không duyệt.") }
                t.state = .declined
            } else {
                t.state = .assigned
            }
        case .start:
            guard task.state == .assigned else { return wrongState("bắt đầu thực hiện") }
            guard actor.works else { return refuse(assigneeOnly) }
            t.state = .inProgress
        case .progress(let percent, _):
            guard [.assigned, .inProgress].contains(task.state) else { return wrongState("cập nhật tiến độ") }
            guard actor.works else { return refuse(assigneeOnly) }
            guard (0...100).contains(percent) else { return refuse("Tiến độ phải từ 0 đến 100%.") }
            t.percent = percent
            t.state = .inProgress
        case .requestExtension(let newDue, let reason):
            guard [.assigned, .inProgress].contains(task.state) else { return wrongState("xin gia hạn") }
            guard actor.isAssignee else { return refuse(assigneeOnly) }
            guard task.due < newDue else { return refuse("""
                Hạn mới (\(newDue.display)) phải sau hạn hiện tại (\(task.due.display)).
                """) }
            guard !blank(reason) else { return refuse("Vui lòng ghi lý do xin gia hạn.") }
            t.requestedDue = newDue
            t.state = .extensionRequested
        case .approveExtension, .refuseExtension:
            guard task.state == .extensionRequested, let requested = task.requestedDue else { return wrongState("xét gia hạn") }
            guard actor.decides else { return refuse(decidersOnly) }
            if case .refuseExtension(let reason) = event {
                guard !blank(reason) else { return refuse("Vui lòng ghi lý do không đồng ý gia hạn.") }
            } else {
                // An approved extension moves the due date: finishing by it is not a delay.
                t.due = requested
            }
            t.requestedDue = nil
            t.state = .inProgress
        case .submit(let evidence, _):
            guard [.assigned, .inProgress].contains(task.state) else { return wrongState("gửi nghiệm thu") }
            guard actor.works else { return refuse(assigneeOnly) }
            guard evidence > 0 else { return refuse("""
                Vui lòng đính kèm ít nhất một minh chứng (tệp hoặc số văn bản) trước khi gửi nghiệm thu.
                """) }
            t.submittedOn = today
            t.percent = 100
            t.state = .awaitingAcceptance
        case .accept(let verdict, let delayExemption):
            guard task.state == .awaitingAcceptance else { return wrongState("nghiệm thu") }
            guard actor.decides else { return refuse(decidersOnly) }
            switch verdict {
            case .pass: break
            case .fail(let errors):
                guard errors >= 1 else { return refuse("Kết quả chưa đạt phải có ít nhất 1 lỗi lớn.") }
                guard errors <= Self.maxErrorsPerVerdict else { return refuse(Self.tooManyErrors) }
                t.majorErrors = t.majorErrors.addingReportingOverflow(errors).overflow ? Int.max : t.majorErrors + errors
            case .exempt(let errors, let confirmedBy):
                guard errors >= 1 else { return refuse("Kết quả chưa đạt phải có ít nhất 1 lỗi lớn.") }
                guard errors <= Self.maxErrorsPerVerdict else { return refuse(Self.tooManyErrors) }
                guard !blank(confirmedBy) else { return refuse("""
                    Vui lòng ghi người có thẩm quyền xác nhận nguyên nhân khách quan.
                    """) }
                t.majorErrors = t.majorErrors.addingReportingOverflow(errors).overflow ? Int.max : t.majorErrors + errors
                t.exemptErrors = t.exemptErrors.addingReportingOverflow(errors).overflow ? Int.max : t.exemptErrors + errors
            }
            t.delays = delays(completedOn: task.submittedOn ?? today, start: task.start, due: task.due, rule: delayRule)
            t.exemptDelays = 0
            if let e = delayExemption {
                guard t.delays > 0 else { return refuse("""
                    Kết quả gửi đúng hạn (\((task.submittedOn ?? today).display), hạn \(task.due.display)): không có chậm \
                    tiến độ để miễn trừ.
                    """) }
                guard !blank(e.confirmedBy) else { return refuse("""
                    Vui lòng ghi người có thẩm quyền xác nhận chậm tiến độ do nguyên nhân khách quan.
                    """) }
                guard !blank(e.reason) else { return refuse("Vui lòng ghi nguyên nhân khách quan của việc chậm tiến độ.") }
                guard e.confirmedBy.count <= 200, e.reason.count <= 1_000 else { return refuse("""
                    Người xác nhận tối đa 200 ký tự, nguyên nhân tối đa 1.000 ký tự.
                    """) }
                t.exemptDelays = t.delays
            }
            t.state = .completed
        case .returnForRework(let reason, let exempt):
            guard task.state == .awaitingAcceptance else { return wrongState("trả lại") }
            guard actor.decides else { return refuse(decidersOnly) }
            guard !blank(reason) else { return refuse("Vui lòng ghi lý do trả lại.") }
            t.majorErrors += 1
            if exempt { t.exemptErrors += 1 }
            t.submittedOn = nil
            t.state = .inProgress
        case .cancel(let reason):
            guard task.state.isOpen else { return wrongState("hủy") }
            guard actor.decides else { return refuse(decidersOnly) }
            guard !blank(reason) else { return refuse("Vui lòng ghi lý do hủy nhiệm vụ.") }
            t.state = .cancelled
        }
        return .success(t)
    }

    /// Delays of a completion (DOMAIN.md §4 c): none on or before the due date.
    public static func delays(completedOn done: DateOnly, start: DateOnly, due: DateOnly, rule: DelayRule) -> Int {
        guard due < done else { return 0 }
        switch rule {
        case .once: return 1
        case .perInterval:
            let interval = max(1, start.days(to: due))
            let late = due.days(to: done)
            return 1 + (late - 1) / interval
        }
    }
}
