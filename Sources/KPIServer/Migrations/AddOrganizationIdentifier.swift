import Fluent
import SQLKit

/// Mã định danh điện tử of an organization (issue 20, item 6; `KPICore.AgencyIdentifier`): unique
/// when set (a partial unique index, on SQLite and PostgreSQL alike), empty when not known yet.
struct AddOrganizationIdentifier: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Organization.schema).field("identifier", .string, .required, .sql(.default(""))).update()
        try await db.sql.raw("""
            CREATE UNIQUE INDEX organizations_identifier ON organizations (identifier) WHERE identifier <> ''
            """).run()
    }

    func revert(on db: any Database) async throws {
        try await db.sql.raw("DROP INDEX IF EXISTS organizations_identifier").run()
        try await db.schema(Organization.schema).deleteField("identifier").update()
    }
}
