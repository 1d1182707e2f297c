import Fluent
import Foundation

/// Kỳ đánh giá of one agency: a month, a quarter or the year, from its opening to its lock
/// (DOMAIN.md §7). The scores of an open period follow the work records: any change that feeds
/// them marks the period `dirty`, and the evaluation job computes it again.
final class EvaluationPeriod: Model, @unchecked Sendable {
    static let schema = "evaluation_periods"

    @ID var id: UUID?
    /// "2026-11", "2026-Q4" or "2026" (`KPICore.PeriodCode`).
    @Field(key: "code") var code: String
    @Field(key: "kind") var kind: String
    /// The agency (second level of the tree): the quota is applied per agency.
    @Field(key: "organization_id") var organizationID: UUID
    @Field(key: "scope_path") var scopePath: String
    /// `EvaluationState` raw value.
    @Field(key: "state") var state: String
    /// Something that feeds the scores changed since they were last computed.
    @Field(key: "dirty") var dirty: Bool
    @OptionalField(key: "computed_at") var computedAt: Date?
    /// People scored by the last computation.
    @Field(key: "people") var people: Int
    @Field(key: "opened_by") var openedBy: String
    @Timestamp(key: "created_at", on: .create) var createdAt: Date?
    @Timestamp(key: "updated_at", on: .update) var updatedAt: Date?

    init() {}
}
