import Fluent
import Foundation

/// Sản phẩm/công việc of a position group's catalog, with its conversion factor (hệ số quy đổi)
/// against the group's standard product (sản phẩm chuẩn) and optional complexity levels.
final class Product: Model, @unchecked Sendable {
    static let schema = "products"

    @ID var id: UUID?
    @Field(key: "code") var code: String
    @Field(key: "name") var name: String
    @Field(key: "search_text") var searchText: String
    @Field(key: "unit") var unit: String
    @Field(key: "group_id") var groupID: UUID
    @OptionalField(key: "position_id") var positionID: UUID?
    /// The agency whose own catalog this is; nil for the province-wide catalog.
    @OptionalField(key: "organization_id") var organizationID: UUID?
    @Field(key: "scope_path") var scopePath: String
    @Field(key: "is_standard") var isStandard: Bool
    /// Exact decimal text with a dot ("1.25"): never a binary floating-point number.
    @Field(key: "factor") var factor: String
    /// "Đơn giản=0,8; Trung bình=1; Phức tạp=1,5" (see `ProductRules.parseComplexity`).
    @Field(key: "complexity") var complexity: String
    @Field(key: "description") var details: String
    @Field(key: "active") var active: Bool
    @OptionalField(key: "updated_at") var updatedAt: Date?

    init() {}
}
