import Fluent
import Foundation

/// Kết luận suy thoái, tham nhũng (`KPICore.ConclusionDraft`): a conclusion about a person that ranks
/// their year "không hoàn thành nhiệm vụ". Voided (never deleted) with a reason, like the other
/// records about a person.
final class ConclusionRecord: Model, @unchecked Sendable {
    static let schema = "conclusions"

    @ID var id: UUID?
    @Field(key: "person_id") var personID: UUID
    @Field(key: "scope_path") var scopePath: String
    /// `OverrideFlag` raw value (degradation, unit-corruption).
    @Field(key: "kind") var kind: String
    /// The evaluation year it applies to.
    @Field(key: "year") var year: Int
    @Field(key: "decision_number") var decisionNumber: String
    /// yyyy-MM-dd.
    @Field(key: "decision_date") var decisionDate: String
    @Field(key: "issuer") var issuer: String
    @Field(key: "note") var note: String
    @Field(key: "entered_by") var enteredBy: String
    @Field(key: "voided") var voided: Bool
    @Field(key: "void_reason") var voidReason: String
    /// What it did to the year when recorded: "" (applied when the year is computed) or the new revision's number.
    @Field(key: "effect") var effect: String
    @OptionalField(key: "created_at") var createdAt: Date?

    init() {}
}
