import Fluent
import Foundation
import SQLKit

/// Issue 16, hole 4: an agency's own settings (the first: how public ratings prove a service was
/// received) and the receipt codes it imports or prints, each used once.
struct AddReceiptControls: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(AgencySetting.schema)
            .id()
            .field("organization_id", .uuid, .required, .references(Organization.schema, "id"))
            .field("key", .string, .required)
            .field("value", .string, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "organization_id", "key")
            .create()
        try await db.schema(ReceiptCode.schema)
            .id()
            .field("organization_id", .uuid, .required, .references(Organization.schema, "id"))
            .field("code", .string, .required)
            .field("kind", .string, .required)
            .field("link_id", .uuid)
            .field("created_by", .string, .required)
            .field("created_at", .datetime, .required)
            .field("used_at", .datetime)
            .unique(on: "organization_id", "code")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ReceiptCode.schema).delete()
        try await db.schema(AgencySetting.schema).delete()
    }
}

/// A setting an agency chooses for itself (key → value), audited when changed.
final class AgencySetting: Model, @unchecked Sendable {
    static let schema = "agency_settings"

    @ID var id: UUID?
    @Field(key: "organization_id") var organizationID: UUID
    @Field(key: "key") var key: String
    @Field(key: "value") var value: String
    @Field(key: "updated_by") var updatedBy: String
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}

/// A receipt code of an agency: imported from its list (`danh-sach`) or printed in a one-time QR
/// code for one rating link (`ma-rieng`); `usedAt` once a rating spent it.
final class ReceiptCode: Model, @unchecked Sendable {
    static let schema = "receipt_codes"

    @ID var id: UUID?
    @Field(key: "organization_id") var organizationID: UUID
    @Field(key: "code") var code: String
    @Field(key: "kind") var kind: String
    @OptionalField(key: "link_id") var linkID: UUID?
    @Field(key: "created_by") var createdBy: String
    @Field(key: "created_at") var createdAt: Date
    @OptionalField(key: "used_at") var usedAt: Date?

    init() {}
}
