import Fluent
import Foundation

/// Ủy quyền (`KPICore.Delegation`): a head's lãnh đạo powers on one unit handed to a deputy for a
/// range of days. Kept, never deleted; taken back early by setting `revoked_at`.
final class DelegationRecord: Model, @unchecked Sendable {
    static let schema = "delegations"

    @ID var id: UUID?
    @Field(key: "delegator_user_id") var delegatorUserID: UUID
    @Field(key: "deputy_user_id") var deputyUserID: UUID
    /// The scope of the head's own lãnh đạo grant that is delegated.
    @Field(key: "scope_path") var scopePath: String
    /// yyyy-MM-dd, both included.
    @Field(key: "starts_on") var startsOn: String
    @Field(key: "ends_on") var endsOn: String
    @Field(key: "reason") var reason: String
    @Field(key: "created_by") var createdBy: String
    @OptionalField(key: "created_at") var createdAt: Date?
    @OptionalField(key: "revoked_at") var revokedAt: Date?
    @Field(key: "revoked_by") var revokedBy: String

    init() {}
}
