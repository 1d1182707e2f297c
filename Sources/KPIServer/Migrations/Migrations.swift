import Fluent
import Foundation
import KPICore
import SQLKit
import Vapor

enum Migrations {
    static func register(on app: Application) {
        app.migrations.add(all(app))
    }

    /// Every migration, oldest first. A new one goes at the end and keeps what the code before it reads
    /// (`SchemaCompatibilityTests`).
    static func all(_ app: Application) -> [any Migration] {
        [
            CreateCatalogs(),
            CreateAccounts(),
            CreateAuditTrail(),
            CreateWebSessions(),
            CreateProducts(),
            CreateFrameworks(),
            CreateWork(),
            CreateRecurringAndRatings(),
            CreateDiscipline(),
            AddBoardIndex(),
            CreateEvaluationPeriods(),
            CreateEvaluationWorkflow(),
            AddTaskUnits(),
            CreateLeave(),
            AddSecurityControls(clock: app.clock),
            AddTwoFactor(),
            AddAuditArchive(),
            AddReceiptControls(),
            AddPendingDecisions(),
            AddPendingRecordDecisions(),
            CreateFeedback(),
            AddAgencyMarks(),
            CreateSystemSettings(),
            CreateOutbox(),
            AddDelayExemptions(),
            CreateAccountLinks(),
            AddPrivacyNotice(),
            CreateDelegations(),
            CreateConclusions(),
            CreateScoreAggregates(),
            CreatePriorLevels(),
            AddStoredRanking(),
            AddScoreInputPersonIndex(),
            AddOverdueIndex(),
            CreateAPIClients(),
            AddTaskDocumentID(),
            AddOrganizationIdentifier(),
            CreateWebhookSubscriptions(),
            CreateEdXMLReceipts(),
            CreateTrustedCertificates(),
            AddEdXMLSignature(),
            AddSingleSignOn(),
        ]
    }
}

/// Indexes the schema builder cannot express, written once for both dialects.
enum SQLIndex {
    static func create(_ db: any Database, _ name: String, on table: String, _ columns: String,
                       unique: Bool = false) async throws {
        let sql = db.sql
        try await sql.raw("""
            CREATE \(unsafeRaw: unique ? "UNIQUE " : "")INDEX IF NOT EXISTS \(ident: name) ON \(ident: table) (\(unsafeRaw: columns))
            """).run()
    }

    /// Triggers that refuse UPDATE and DELETE on `table` (PostgreSQL: one function and one trigger
    /// `<trigger>_no_change`; SQLite: `<trigger>_no_update` and `<trigger>_no_delete`).
    static func appendOnly(_ db: any Database, table: String, function: String, message: String, trigger: String) async throws {
        let sql = db.sql
        if db.isPostgres {
            try await sql.raw("""
                CREATE OR REPLACE FUNCTION \(unsafeRaw: function)() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION '\(unsafeRaw: message)'; END; $$ LANGUAGE plpgsql
                """).run()
            try await sql.raw("""
                CREATE TRIGGER \(unsafeRaw: trigger)_no_change BEFORE UPDATE OR DELETE ON \(unsafeRaw: table) FOR EACH ROW EXECUTE \
                FUNCTION \(unsafeRaw: function)()
                """).run()
        } else {
            try await sql.raw("""
                CREATE TRIGGER \(unsafeRaw: trigger)_no_update BEFORE UPDATE ON \(unsafeRaw: table) BEGIN SELECT RAISE(ABORT, \
                '\(unsafeRaw: message)'); END
                """).run()
            try await sql.raw("""
                CREATE TRIGGER \(unsafeRaw: trigger)_no_delete BEFORE DELETE ON \(unsafeRaw: table) BEGIN SELECT RAISE(ABORT, \
                '\(unsafeRaw: message)'); END
                """).run()
        }
    }

    /// An index usable by `LIKE 'prefix%'` on a materialized path.
    static func path(_ db: any Database, _ name: String, on table: String, column: String) async throws {
        let pattern = db.isPostgres ? "\(column) text_pattern_ops" : column
        try await create(db, name, on: table, pattern)
    }
}

struct CreateCatalogs: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Organization.schema)
            .id()
            .field("code", .string, .required).unique(on: "code")
            .field("name", .string, .required)
            .field("search_text", .string, .required)
            .field("block", .string, .required)
            .field("level", .string, .required)
            .field("parent_id", .uuid, .references(Organization.schema, "id"))
            .field("path", .string, .required)
            .field("sort_order", .int, .required)
            .field("active", .bool, .required)
            .field("updated_at", .datetime)
            .create()
        try await SQLIndex.path(db, "organizations_path", on: Organization.schema, column: "path")
        try await SQLIndex.create(db, "organizations_parent", on: Organization.schema, "parent_id")

        try await db.schema(PositionGroup.schema)
            .id()
            .field("code", .string, .required).unique(on: "code")
            .field("name", .string, .required)
            .field("search_text", .string, .required)
            .field("kind", .string, .required)
            .field("description", .string, .required)
            .field("active", .bool, .required)
            .field("updated_at", .datetime)
            .create()

        try await db.schema(Position.schema)
            .id()
            .field("code", .string, .required).unique(on: "code")
            .field("name", .string, .required)
            .field("search_text", .string, .required)
            .field("group_id", .uuid, .required, .references(PositionGroup.schema, "id"))
            .field("organization_id", .uuid, .references(Organization.schema, "id"))
            .field("scope_path", .string, .required)
            .field("description", .string, .required)
            .field("active", .bool, .required)
            .field("updated_at", .datetime)
            .create()
        try await SQLIndex.path(db, "positions_scope", on: Position.schema, column: "scope_path")

        try await db.schema(Person.schema)
            .id()
            .field("code", .string, .required).unique(on: "code")
            .field("full_name", .string, .required)
            .field("search_text", .string, .required)
            .field("staff_kind", .string, .required)
            .field("organization_id", .uuid, .required, .references(Organization.schema, "id"))
            .field("scope_path", .string, .required)
            .field("position_id", .uuid, .references(Position.schema, "id"))
            .field("leadership_rank", .string, .required)
            .field("party_member", .bool, .required)
            .field("email", .string, .required)
            .field("phone", .string, .required)
            .field("active_from", .string, .required)
            .field("active_to", .string, .required)
            .field("active", .bool, .required)
            .field("updated_at", .datetime)
            .create()
        try await SQLIndex.path(db, "people_scope", on: Person.schema, column: "scope_path")
        try await SQLIndex.create(db, "people_org", on: Person.schema, "organization_id")

        try await db.schema(ConcurrentPost.schema)
            .id()
            .field("person_id", .uuid, .required, .references(Person.schema, "id", onDelete: .cascade))
            .field("organization_id", .uuid, .required, .references(Organization.schema, "id"))
            .unique(on: "person_id", "organization_id")
            .create()
    }

    func revert(on db: any Database) async throws {
        for s in [ConcurrentPost.schema, Person.schema, Position.schema, PositionGroup.schema, Organization.schema] {
            try await db.schema(s).delete()
        }
    }
}

struct CreateAccounts: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(User.schema)
            .id()
            .field("username", .string, .required).unique(on: "username")
            .field("password_hash", .string, .required)
            .field("person_id", .uuid, .references(Person.schema, "id"))
            .field("scope_path", .string, .required)
            .field("must_change_password", .bool, .required)
            .field("failed_attempts", .int, .required)
            .field("held_until", .datetime)
            .field("last_login_at", .datetime)
            .field("active", .bool, .required)
            .field("updated_at", .datetime)
            .create()
        try await SQLIndex.path(db, "users_scope", on: User.schema, column: "scope_path")

        try await db.schema(RoleGrant.schema)
            .id()
            .field("user_id", .uuid, .required, .references(User.schema, "id", onDelete: .cascade))
            .field("role", .string, .required)
            .field("organization_id", .uuid, .references(Organization.schema, "id"))
            .field("scope_path", .string, .required)
            .field("granted_by", .string, .required)
            .field("created_at", .datetime)
            .unique(on: "user_id", "role", "scope_path")
            .create()
    }

    func revert(on db: any Database) async throws {
        try await db.schema(RoleGrant.schema).delete()
        try await db.schema(User.schema).delete()
    }
}

struct CreateAuditTrail: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(AuditEntry.schema)
            .field("seq", .int64, .identifier(auto: false))
            .field("at_ms", .int64, .required)
            .field("actor", .string, .required)
            .field("ip", .string, .required)
            .field("action", .string, .required)
            .field("entity_type", .string, .required)
            .field("entity_id", .string, .required)
            .field("scope_path", .string, .required)
            .field("before", .string, .required)
            .field("after", .string, .required)
            .field("prev_hash", .string, .required)
            .field("hash", .string, .required)
            .create()
        try await SQLIndex.path(db, "audit_scope", on: AuditEntry.schema, column: "scope_path")
        try await SQLIndex.create(db, "audit_entity", on: AuditEntry.schema, "entity_type, entity_id")
        // Append-only: the application never updates or deletes an entry; the database refuses it too.
        try await SQLIndex.appendOnly(db, table: "audit_entries", function: "audit_entries_append_only",
                                      message: "audit_entries is append-only", trigger: "audit_entries")
    }

    func revert(on db: any Database) async throws {
        try await db.schema(AuditEntry.schema).delete()
    }
}

struct CreateProducts: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Product.schema)
            .id()
            .field("code", .string, .required).unique(on: "code")
            .field("name", .string, .required)
            .field("search_text", .string, .required)
            .field("unit", .string, .required)
            .field("group_id", .uuid, .required, .references(PositionGroup.schema, "id"))
            .field("position_id", .uuid, .references(Position.schema, "id"))
            .field("organization_id", .uuid, .references(Organization.schema, "id"))
            .field("scope_path", .string, .required)
            .field("is_standard", .bool, .required)
            .field("factor", .string, .required)
            .field("complexity", .string, .required)
            .field("description", .string, .required)
            .field("active", .bool, .required)
            .field("updated_at", .datetime)
            .create()
        try await SQLIndex.path(db, "products_scope", on: Product.schema, column: "scope_path")
        try await SQLIndex.create(db, "products_group", on: Product.schema, "group_id")
    }

    func revert(on db: any Database) async throws {
        try await db.schema(Product.schema).delete()
    }
}

/// Frameworks and score inputs; seeds the three default frameworks as published version 1.
struct CreateFrameworks: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(Framework.schema)
            .id()
            .field("code", .string, .required)
            .field("name", .string, .required)
            .field("staff_kind", .string, .required)
            .field("group_codes", .string, .required)
            .field("organization_id", .uuid, .references(Organization.schema, "id"))
            .field("scope_path", .string, .required)
            .field("parent_id", .uuid, .references(Framework.schema, "id"))
            .field("version", .int, .required)
            .field("status", .string, .required)
            .field("effective_from", .string, .required)
            .field("definition", .sql(unsafeRaw: "TEXT"), .required)
            .field("note", .string, .required)
            .field("published_at", .datetime)
            .field("updated_at", .datetime)
            .create()
        try await SQLIndex.create(db, "frameworks_code", on: Framework.schema, "code, version")
        try await db.schema(ScoreInput.schema)
            .id()
            .field("period", .string, .required)
            .field("person_id", .uuid, .required, .references(Person.schema, "id"))
            .field("scope_path", .string, .required)
            .field("data", .sql(unsafeRaw: "TEXT"), .required)
            .field("updated_at", .datetime)
            .unique(on: "period", "person_id")
            .create()
        try await SQLIndex.path(db, "score_inputs_scope", on: ScoreInput.schema, column: "scope_path")
        for (code, name, kind) in FrameworkDefinition.seededFrameworks {
            let f = Framework()
            f.id = UUID(); f.code = code; f.name = name; f.staffKind = kind; f.groupCodes = ""; f.organizationID = nil
            f.scopePath = "/"; f.parentID = nil; f.version = 1; f.status = "published"; f.effectiveFrom = "2026-01-01"
            f.definition = try FrameworkService.encode(FrameworkDefinition.seeded(code)!)
            f.note = "Mặc định theo quy định; cơ quan tham mưu điều chỉnh bằng bản nháp mới."
            f.publishedAt = DateOnly(year: 2026, month: 1, day: 1)!.startInVietnam
            try await f.create(on: db)
        }
    }

    func revert(on db: any Database) async throws {
        try await db.schema(ScoreInput.schema).delete()
        try await db.schema(Framework.schema).delete()
    }
}
