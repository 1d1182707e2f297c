import Fluent
import Foundation
import SQLKit

/// Cài đặt (issue 18, item 2): the values a system administrator saved on the settings page, by key
/// of `KPICore.SettingsCatalog` (the environment still overrides them).
struct CreateSystemSettings: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(SystemSetting.schema)
            .id()
            .field("key", .string, .required)
            .field("value", .string, .required)
            .field("updated_by", .string, .required)
            .field("updated_at", .datetime, .required)
            .unique(on: "key")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(SystemSetting.schema).delete()
    }
}

/// One saved setting (key → value), audited when changed.
final class SystemSetting: Model, @unchecked Sendable {
    static let schema = "system_settings"

    @ID var id: UUID?
    @Field(key: "key") var key: String
    @Field(key: "value") var value: String
    @Field(key: "updated_by") var updatedBy: String
    @Field(key: "updated_at") var updatedAt: Date

    init() {}
}
