import Fluent
import Foundation
import SQLKit

/// Lưu trữ nhật ký (issue 16): the ranges of the audit chain moved to archive files, and a delete
/// rule on the trail that lets go of an entry only once its range is recorded here. Entries stay
/// append-only otherwise; the archive records are append-only too.
struct AddAuditArchive: AsyncMigration {
    func prepare(on db: any Database) async throws {
        try await db.schema(AuditArchiveRecord.schema)
            .id()
            .field("first_seq", .int, .required)
            .field("last_seq", .int, .required)
            .field("start_hash", .string, .required)
            .field("end_hash", .string, .required)
            .field("entries", .int, .required)
            .field("file_name", .string, .required)
            .field("file_sha256", .string, .required)
            .field("created_at", .datetime, .required)
            .create()
        try await SQLIndex.appendOnly(db, table: AuditArchiveRecord.schema, function: "audit_archives_append_only",
                                      message: "audit_archives is append-only", trigger: "audit_archives")
        let sql = db.sql
        let message = "audit_entries is append-only (only archived entries may be removed)"
        if db.isPostgres {
            try await sql.raw("""
                CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
                BEGIN
                  IF TG_OP = 'DELETE' AND OLD.seq <= COALESCE((SELECT MAX(last_seq) FROM audit_archives), 0) THEN RETURN OLD; END IF;
                  RAISE EXCEPTION '\(unsafeRaw: message)';
                END; $$ LANGUAGE plpgsql
                """).run()
        } else {
            try await sql.raw("DROP TRIGGER audit_entries_no_delete").run()
            try await sql.raw("""
                CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
                WHEN OLD.seq > COALESCE((SELECT MAX(last_seq) FROM audit_archives), 0)
                BEGIN SELECT RAISE(ABORT, '\(unsafeRaw: message)'); END
                """).run()
        }
    }

    func revert(on db: any Database) async throws {
        let sql = db.sql
        if db.isPostgres {
            try await sql.raw("""
                CREATE OR REPLACE FUNCTION audit_entries_append_only() RETURNS trigger AS $$
                BEGIN RAISE EXCEPTION 'audit_entries is append-only'; END; $$ LANGUAGE plpgsql
                """).run()
        } else {
            try await sql.raw("DROP TRIGGER audit_entries_no_delete").run()
            try await sql.raw("""
                CREATE TRIGGER audit_entries_no_delete BEFORE DELETE ON audit_entries
                BEGIN SELECT RAISE(ABORT, 'audit_entries is append-only'); END
                """).run()
        }
        try await db.schema(AuditArchiveRecord.schema).delete()
    }
}

/// One archived range of the audit chain: entries `firstSeq…lastSeq`, linked to the entry before by
/// `startHash` and to the one after by `endHash`, written to `fileName` whose SHA-256 is kept here.
final class AuditArchiveRecord: Model, @unchecked Sendable {
    static let schema = "audit_archives"

    @ID var id: UUID?
    @Field(key: "first_seq") var firstSeq: Int
    @Field(key: "last_seq") var lastSeq: Int
    @Field(key: "start_hash") var startHash: String
    @Field(key: "end_hash") var endHash: String
    @Field(key: "entries") var entries: Int
    @Field(key: "file_name") var fileName: String
    @Field(key: "file_sha256") var fileSHA256: String
    @Field(key: "created_at") var createdAt: Date

    init() {}
}
