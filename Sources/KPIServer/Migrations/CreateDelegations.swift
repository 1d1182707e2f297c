import Fluent
import SQLKit

/// Ủy quyền (`DelegationRecord`): delegations of a head's approval and acceptance to a deputy.
struct CreateDelegations: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(DelegationRecord.schema)
            .id()
            .field("delegator_user_id", .uuid, .required, .references(User.schema, "id"))
            .field("deputy_user_id", .uuid, .required, .references(User.schema, "id"))
            .field("scope_path", .string, .required)
            .field("starts_on", .string, .required)
            .field("ends_on", .string, .required)
            .field("reason", .string, .required)
            .field("created_by", .string, .required)
            .field("created_at", .datetime)
            .field("revoked_at", .datetime)
            .field("revoked_by", .string, .required)
            .create()
        try await SQLIndex.create(db, "delegations_current", on: DelegationRecord.schema, "ends_on, starts_on")
        try await SQLIndex.create(db, "delegations_deputy", on: DelegationRecord.schema, "deputy_user_id, ends_on")
        try await SQLIndex.path(db, "delegations_scope", on: DelegationRecord.schema, column: "scope_path")
    }

    func revert(on db: any Database) async throws {
        try await db.schema(DelegationRecord.schema).delete()
    }
}
