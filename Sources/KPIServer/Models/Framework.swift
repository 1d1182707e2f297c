import Fluent
import KPICore
import Foundation

/// One version of a KPI framework (bộ chỉ số): the province's common one, or an agency's derived
/// one. A draft is edited; publishing gives it an effective date and freezes it. The rules are the
/// JSON of `KPICore.FrameworkDefinition`, so a change of framework needs no schema change.
final class Framework: Model, @unchecked Sendable {
    static let schema = "frameworks"

    @ID var id: UUID?
    /// The lineage: "cong-chuc", "vien-chuc", "can-bo", … shared by every version and derivation.
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    /// Applies to: staff kind × position groups (codes separated by ";", empty = all) × subtree.
    @Field(key: "staff_kind") var staffKind: String
    @Field(key: "group_codes") var groupCodes: String
    /// The agency that owns a derived version; nil for the province's common framework.
    @OptionalField(key: "organization_id") var organizationID: UUID?
    @Field(key: "scope_path") var scopePath: String
    /// For an agency's version: the province version it was derived from.
    @OptionalField(key: "parent_id") var parentID: UUID?
    @Field(key: "version") var version: Int
    /// "draft" or "published".
    @Field(key: "status") var status: String
    /// yyyy-MM-dd, set when published.
    @Field(key: "effective_from") var effectiveFrom: String
    @Field(key: "definition") var definition: String
    @Field(key: "note") var note: String
    @OptionalField(key: "published_at") var publishedAt: Date?
    @OptionalField(key: "updated_at") var updatedAt: Date?

    init() {}
}

/// What the engine reads for one person and one period (the inputs of a score): kept so that a
/// framework can be previewed on a closed period and a score explained. JSON of `ScoreInputData`.
final class ScoreInput: Model, @unchecked Sendable {
    static let schema = "score_inputs"

    @ID var id: UUID?
    /// "2026-10" for a month, "2026-Q4" for a quarter.
    @Field(key: "period") var period: String
    @Field(key: "person_id") var personID: UUID
    @Field(key: "scope_path") var scopePath: String
    /// The path of the agency whose period computed the row: the quota is applied within it.
    @Field(key: "agency_path") var agencyPath: String
    @Field(key: "data") var data: String
    @OptionalField(key: "updated_at") var updatedAt: Date?
    /// The score (hundredths) and level the row was computed to when stored; nil and "" before.
    @OptionalField(key: "hundredths") var hundredths: Int?
    @Field(key: "level") var level: String
    /// Of `data`, for reports' filters: the staff kind and the position group.
    @Field(key: "staff_kind") var staffKind: String
    @Field(key: "group_code") var groupCode: String
    /// The task figures of `data` (`TaskFacts`), for reports.
    @Field(key: "tasks") var tasks: Int
    @OptionalField(key: "completed") var completed: Int?
    @Field(key: "on_time") var onTime: Int
    @Field(key: "not_completed") var notCompleted: Int
    @Field(key: "units_assigned") var unitsAssigned: Int
    @Field(key: "units_completed") var unitsCompleted: Int
    /// The framework the row was scored with, and what the agency's quota did to it (`QuotaOutcome`):
    /// read to list and explain the result without ranking the agency again. Nil, false and "" in rows
    /// stored before they were kept.
    @OptionalField(key: "framework_id") var frameworkID: UUID?
    @Field(key: "tie") var tie: Bool
    @Field(key: "quota") var quota: String

    /// Sets the stored result, its framework and ranking, and the task figures.
    func store(result: PersonResult?, framework: Framework?, data: ScoreInputData) {
        let outcome = result.map(QuotaOutcome.init) ?? QuotaOutcome()
        frameworkID = framework?.id
        tie = outcome.tie
        quota = outcome.text
        let facts = data.taskFacts
        staffKind = data.staffKind
        groupCode = data.groupCode
        hundredths = result?.yearHundredths
        level = result?.level?.rawValue ?? ""
        tasks = facts.tasks; completed = facts.completed; onTime = facts.onTime; notCompleted = facts.notCompleted
        unitsAssigned = facts.unitsAssigned; unitsCompleted = facts.unitsCompleted
    }

    init() {}
}
