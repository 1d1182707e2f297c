import Fluent
import Foundation

/// Cán bộ, công chức, viên chức.
final class Person: Model, @unchecked Sendable {
    static let schema = "people"

    @ID var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "full_name") var fullName: String
    /// Code and name folded (see `TextNormalizer.fold`): for search.
    @Field(key: "search_text") var searchText: String
    /// Loại: a code of `Catalogs.staffKinds`.
    @Field(key: "staff_kind") var staffKind: String
    @Field(key: "organization_id") var organizationID: UUID
    /// Path of the organization, kept in step with it, for scope filtering.
    @Field(key: "scope_path") var scopePath: String
    @OptionalField(key: "position_id") var positionID: UUID?
    /// Chức vụ lãnh đạo: a code of `Catalogs.leadershipRanks`.
    @Field(key: "leadership_rank") var leadershipRank: String
    @Field(key: "party_member") var partyMember: Bool
    @Field(key: "email") var email: String
    @Field(key: "phone") var phone: String
    /// yyyy-MM-dd or empty.
    @Field(key: "active_from") var activeFrom: String
    @Field(key: "active_to") var activeTo: String
    @Field(key: "active") var active: Bool
    @OptionalField(key: "updated_at") var updatedAt: Date?

    init() {}
}

/// Kiêm nhiệm: a second post of a person in another unit.
final class ConcurrentPost: Model, @unchecked Sendable {
    static let schema = "concurrent_posts"

    @ID var id: UUID?
    @Field(key: "person_id") var personID: UUID
    @Field(key: "organization_id") var organizationID: UUID

    init() {}
    init(personID: UUID, organizationID: UUID) {
        self.personID = personID
        self.organizationID = organizationID
    }
}
