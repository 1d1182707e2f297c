import Fluent
import Foundation
import KPICore

/// Kỳ đánh giá of one agency: a month, a quarter or the year, from its opening to its lock
/// (DOMAIN.md §7). The scores of an open period follow the work records: any change that feeds
/// them marks the period `dirty`, and the evaluation job computes it again.
final class EvaluationPeriod: Model, @unchecked Sendable {
    static let schema = "evaluation_periods"

    @ID var id: UUID?
    /// "2026-11", "2026-Q4" or "2026" (`KPICore.PeriodCode`).
    @Field(key: "code") var code: String
    @Field(key: "kind") var kind: String
    /// The agency (`AgencyMap`): the quota is applied per agency.
    @Field(key: "organization_id") var organizationID: UUID
    @Field(key: "scope_path") var scopePath: String
    /// The agencies nested in this one when the period was opened, one path per line: their people
    /// are not members (`PeriodScope`). Kept as opened, so re-marking changes only later periods.
    @Field(key: "excluded_paths") var excludedPaths: String
    /// `EvaluationState` raw value.
    @Field(key: "state") var state: String
    /// Something that feeds the scores changed since they were last computed.
    @Field(key: "dirty") var dirty: Bool
    @OptionalField(key: "computed_at") var computedAt: Date?
    /// People scored by the last computation.
    @Field(key: "people") var people: Int
    @Field(key: "opened_by") var openedBy: String
    /// Deadlines of the steps (ISO dates, "" when not set): tự đánh giá, đánh giá, phê duyệt.
    @Field(key: "self_due") var selfDue: String
    @Field(key: "review_due") var reviewDue: String
    @Field(key: "approve_due") var approveDue: String
    /// Last day of the objection window (kiến nghị), set on publication.
    @Field(key: "objection_until") var objectionUntil: String
    @Field(key: "approved_by") var approvedBy: String
    @OptionalField(key: "approved_at") var approvedAt: Date?
    /// The recorded decision allowing more "xuất sắc" than the quota ("" when none).
    @Field(key: "decision") var decision: String
    @Field(key: "locked_by") var lockedBy: String
    @OptionalField(key: "locked_at") var lockedAt: Date?
    /// Bumped by every step, so two people acting at once cannot both succeed.
    @Field(key: "version") var version: Int
    @OptionalField(key: "created_at") var createdAt: Date?
    @OptionalField(key: "updated_at") var updatedAt: Date?

    init() {}

    /// A period just opened: state "Đang mở", to be computed.
    init(code: PeriodCode, organizationID: UUID, scopePath: String, openedBy: String) {
        id = UUID(); self.code = code.text; kind = code.kind.rawValue; self.organizationID = organizationID; self.scopePath = scopePath
        excludedPaths = ""
        state = EvaluationState.open.rawValue; dirty = true; people = 0; self.openedBy = openedBy
        selfDue = ""; reviewDue = ""; approveDue = ""; objectionUntil = ""; approvedBy = ""; decision = ""; lockedBy = ""; version = 0
    }
}

extension EvaluationPeriod {
    /// Who belongs to the period: its agency's people as the tree was marked when it was opened.
    var scope: PeriodScope { PeriodScope(path: scopePath, excluded: PeriodScope.excluded(fromText: excludedPaths)) }
}

/// Phiếu đánh giá: one person's self-assessment, review and official result in a period. The
/// official score and level are set on approval and follow the current revision after the lock.
final class Evaluation: Model, @unchecked Sendable {
    static let schema = "evaluations"

    @ID var id: UUID?
    @Field(key: "period_id") var periodID: UUID
    @Field(key: "person_id") var personID: UUID
    @Field(key: "person_code") var personCode: String
    @Field(key: "scope_path") var scopePath: String
    @Field(key: "is_leader") var isLeader: Bool
    @Field(key: "self_comment") var selfComment: String
    /// JSON {indicator code: level}: the rubric levels the person proposes.
    @Field(key: "self_rubric") var selfRubric: String
    @OptionalField(key: "self_at") var selfAt: Date?
    @Field(key: "review_comment") var reviewComment: String
    /// JSON {indicator code: level}: the evaluator's choice, which the scores use.
    @Field(key: "review_rubric") var reviewRubric: String
    /// The evaluator's task score when the period has no task due (decimal text, "" when none).
    @Field(key: "review_task_score") var reviewTaskScore: String
    @Field(key: "reviewed_by") var reviewedBy: String
    @OptionalField(key: "reviewed_at") var reviewedAt: Date?
    /// Official result: `Level` raw value ("" until approved), score in hundredths, reasons (JSON list).
    @Field(key: "level") var level: String
    @OptionalField(key: "hundredths") var hundredths: Int?
    @Field(key: "reasons") var reasons: String
    /// Number of the current revision (0 before the lock).
    @Field(key: "revision") var revision: Int
    @OptionalField(key: "updated_at") var updatedAt: Date?

    init() {}
}

/// Phiên bản kết quả: an immutable snapshot of one person's result — the inputs, the framework
/// version and the result — written on approval (number 1) and by each accepted complaint or
/// re-review after it; the lock closes the workflow on the revisions current then. Rows are never changed (the database refuses it); the
/// highest number is current.
final class EvaluationRevision: Model, @unchecked Sendable {
    static let schema = "evaluation_revisions"

    @ID var id: UUID?
    @Field(key: "period_id") var periodID: UUID
    @Field(key: "person_id") var personID: UUID
    @Field(key: "number") var number: Int
    /// "phe-duyet", "kien-nghi", "phuc-tra" or "ket-luan" (a conclusion of degradation or corruption).
    @Field(key: "kind") var kind: String
    @OptionalField(key: "hundredths") var hundredths: Int?
    @Field(key: "level") var level: String
    @OptionalField(key: "framework_id") var frameworkID: UUID?
    @Field(key: "framework_version") var frameworkVersion: Int
    /// JSON `ScoreInputData` as scored.
    @Field(key: "inputs") var inputs: String
    /// JSON list of the reasons.
    @Field(key: "reasons") var reasons: String
    @Field(key: "note") var note: String
    @Field(key: "author") var author: String
    @OptionalField(key: "created_at") var createdAt: Date?

    init() {}
}

/// Kiến nghị: a person's complaint about their published result, with reasons and evidence, filed
/// within the objection window and answered by the head by a deadline; an accepted one is corrected
/// by a new revision.
final class Complaint: Model, @unchecked Sendable {
    static let schema = "complaints"

    @ID var id: UUID?
    @Field(key: "period_id") var periodID: UUID
    @Field(key: "person_id") var personID: UUID
    @Field(key: "person_code") var personCode: String
    @Field(key: "scope_path") var scopePath: String
    @Field(key: "reasons") var reasons: String
    /// Evidence: document numbers, links, references (one per line).
    @Field(key: "evidence") var evidence: String
    @Field(key: "filed_by") var filedBy: String
    @Field(key: "filed_at") var filedAt: Date
    /// The answer's deadline (ISO date).
    @Field(key: "answer_due") var answerDue: String
    /// "cho-tra-loi", "chap-nhan" or "khong-chap-nhan".
    @Field(key: "state") var state: String
    @Field(key: "answer") var answer: String
    @Field(key: "answered_by") var answeredBy: String
    @OptionalField(key: "answered_at") var answeredAt: Date?
    /// The revision the accepted complaint created.
    @OptionalField(key: "revision") var revision: Int?

    init() {}
}

/// Phúc tra: a case re-reviewed by the advisory body or the level above, chosen or sampled, closed
/// either unchanged or corrected by a new revision.
final class ReReview: Model, @unchecked Sendable {
    static let schema = "re_reviews"

    @ID var id: UUID?
    @Field(key: "period_id") var periodID: UUID
    @Field(key: "person_id") var personID: UUID
    @Field(key: "person_code") var personCode: String
    @Field(key: "scope_path") var scopePath: String
    /// "chon" (chosen) or "mau" (sampled).
    @Field(key: "how") var how: String
    @Field(key: "opened_by") var openedBy: String
    @Field(key: "opened_at") var openedAt: Date
    /// "dang-phuc-tra", "giu-nguyen" or "dieu-chinh".
    @Field(key: "state") var state: String
    @Field(key: "conclusion") var conclusion: String
    @Field(key: "concluded_by") var concludedBy: String
    @OptionalField(key: "concluded_at") var concludedAt: Date?
    @OptionalField(key: "revision") var revision: Int?

    init() {}
}
