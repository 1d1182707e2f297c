import Fluent
import Foundation

/// Cơ quan, đơn vị: a node of the organization tree.
final class Organization: Model, @unchecked Sendable {
    static let schema = "organizations"

    @ID var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    /// Code and name folded (see `TextNormalizer.fold`): for search.
    @Field(key: "search_text") var searchText: String
    /// Khối: a code of `Catalogs.blocks`.
    @Field(key: "block") var block: String
    /// Cấp: a code of `Catalogs.levels`.
    @Field(key: "level") var level: String
    @OptionalField(key: "parent_id") var parentID: UUID?
    /// Materialized path "/root/…/self/" of ids (see `OrgPath`).
    @Field(key: "path") var path: String
    @Field(key: "sort_order") var sortOrder: Int
    /// Cơ quan có thẩm quyền đánh giá: opens its own periods, applies its own quota (`AgencyMap`).
    @Field(key: "is_agency") var isAgency: Bool
    /// For an agency: the unit whose leaders evaluate its head (nil: the agency above).
    @OptionalField(key: "head_evaluator_id") var headEvaluatorID: UUID?
    @Field(key: "active") var active: Bool
    /// Mã định danh điện tử (`KPICore.AgencyIdentifier`), "" when not known; unique when set.
    @Field(key: "identifier") var identifier: String
    @OptionalField(key: "updated_at") var updatedAt: Date?

    init() {}
}

/// Nhóm vị trí việc làm: the unit at which frameworks differ. Province-wide.
final class PositionGroup: Model, @unchecked Sendable {
    static let schema = "position_groups"

    @ID var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    /// Code and name folded (see `TextNormalizer.fold`): for search.
    @Field(key: "search_text") var searchText: String
    @Field(key: "kind") var kind: String
    @Field(key: "description") var details: String
    @Field(key: "active") var active: Bool
    @OptionalField(key: "updated_at") var updatedAt: Date?

    init() {}
}

/// Vị trí việc làm: an approved job position, imported, never redesigned here.
final class Position: Model, @unchecked Sendable {
    static let schema = "positions"

    @ID var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    /// Code and name folded (see `TextNormalizer.fold`): for search.
    @Field(key: "search_text") var searchText: String
    @Field(key: "group_id") var groupID: UUID
    /// The agency where the position is approved; nil for a province-wide position.
    @OptionalField(key: "organization_id") var organizationID: UUID?
    /// Path of that agency, or "/" for a province-wide position.
    @Field(key: "scope_path") var scopePath: String
    @Field(key: "description") var details: String
    @Field(key: "active") var active: Bool
    @OptionalField(key: "updated_at") var updatedAt: Date?

    init() {}
}
