/// Nobody decides on their own record (issue 16): a decision about a person — accepting their work,
/// extending their deadline, voiding a record against them, recording their leave, choosing them for
/// the excellent quota — is taken by someone else, normally their own evaluator (the leader of the
/// unit above for a unit's head: `AgencyMap.evaluatorScope`). Each refusal says who must act.
public enum SeparationOfDuties {
    public static let ownTask = "Không ai tự quyết định trên nhiệm vụ do chính mình chủ trì (nghiệm thu, "
        + "trả lại, gia hạn, duyệt đề "
        + "xuất, hủy). "
        + "Việc này do người giao việc khác hoặc lãnh đạo trực tiếp đánh giá bạn thực hiện."
    public static let ownRecord = "Không ai tự hủy ghi nhận về chính mình. Việc này do lãnh đạo trực tiếp "
        + "đánh giá bạn hoặc bộ phận "
        + "tổ chức cán bộ thực hiện."
    public static let ownLeave = "Không ai tự ghi nhận nghỉ theo chế độ cho chính mình (kỳ nghỉ cả kỳ "
        + "không được đánh giá). "
        + "Việc này do bộ phận tổ chức cán bộ hoặc lãnh đạo trực tiếp đánh giá bạn thực hiện."
    public static let ownQuota = """
        Người phê duyệt không tự chọn mình vào hạn mức xuất sắc. Kết quả của người đứng đầu do cấp \
        trên xem xét.
        """

    /// Who decides on a task — its assigner, or a leader of its unit — narrowed, for the work of a
    /// leader, to the leaders above that leader's unit: their own evaluator (`AgencyMap.evaluatorScope`). A
    /// deputy does not accept, return or extend the work of the unit's head, nor the head a deputy's
    /// (both are evaluated from above); an assigner counts only when they stand above too.
    public static func taskDeciders(isAssigner: Bool, leadsTaskUnit: Bool, assigneeIsLeader: Bool,
                                    leadsAboveAssignee: Bool) -> (isAssigner: Bool, leadsScope: Bool) {
        guard assigneeIsLeader else { return (isAssigner, leadsTaskUnit) }
        return (isAssigner && leadsAboveAssignee, leadsAboveAssignee)
    }

    public static let leaderRecord = "Ghi nhận, hủy ghi nhận về người giữ chức vụ lãnh đạo do lãnh đạo "
        + "cấp trên của đơn vị họ hoặc bộ phận "
        + "tổ chức cán bộ thực hiện, không do cấp phó hay lãnh đạo cùng đơn vị."

    public static let ownFeedback = """
        Không tự trả lời góp ý của chính mình: góp ý do một người khác của cơ quan tham mưu trả lời.
        """

    public static let ownProposal = """
        Người đề nghị không tự xác nhận đề nghị của mình: cần một lãnh đạo khác cùng thẩm quyền xác \
        nhận.
        """
    public static let awaitingSecond = "Đã ghi đề nghị. Vì không có cấp trên của người chủ trì, "
        + "quyết định chỉ có hiệu lực khi một lãnh đạo "
        + "khác cùng thẩm quyền xác nhận."

    public static let ownSubmission = """
        Ứng dụng đã gửi nghiệm thu kết quả này thay người chủ trì nên không tự nghiệm thu hay trả lại: \
        việc này do \
        người giao việc hoặc lãnh đạo có thẩm quyền thực hiện.
        """

    /// Whether an event judges the submission awaiting acceptance (nghiệm thu, trả lại).
    public static func decidesSubmission(_ event: TaskEvent) -> Bool {
        switch event {
        case .accept, .returnForRework: true
        default: false
        }
    }

    /// Whether an event on a task is a decision about the person who carries it out.
    public static func isDecision(_ event: TaskEvent) -> Bool {
        switch event {
        case .approveProposal, .declineProposal, .approveExtension, .refuseExtension, .accept, .returnForRework, .cancel: true
        case .start, .progress, .requestExtension, .submit: false
        }
    }
}
