import Fluent
import Foundation
import SQLKit
import Vapor

extension Application {
    /// Brings the schema up to date, one process at a time: on PostgreSQL the migrations run on one
    /// connection holding an advisory lock, so processes started together (a rolling upgrade, two
    /// `kpi serve` after a reboot) never run the same migration twice; the second one waits, then finds
    /// nothing left to do. SQLite has one process and migrates as it is.
    ///
    /// Every migration keeps what the code before it reads (tables, columns, their types, columns that
    /// may be left empty); `SchemaCompatibilityTests` checks each one, so the previous release runs on
    /// the new schema while its processes are replaced one by one (docs/van-hanh.md, *Nâng cấp*).
    public func migrateSchema() async throws {
        guard db.isPostgres else {
            try await autoMigrate().get()
            return
        }
        let migrations = self.migrations
        try await ConnectionGuard.withConnection(on: db) { conn in
            try await conn.sql.raw("SELECT pg_advisory_lock(\(bind: SchemaUpgrade.lockKey))").run()
            do {
                let migrator = Migrator(databaseFactory: { _ in conn }, migrations: migrations, on: conn.eventLoop)
                try await migrator.setupIfNeeded().get()
                try await migrator.prepareBatch().get()
            } catch {
                try? await conn.sql.raw("SELECT pg_advisory_unlock(\(bind: SchemaUpgrade.lockKey))").run()
                throw error
            }
            try await conn.sql.raw("SELECT pg_advisory_unlock(\(bind: SchemaUpgrade.lockKey))").run()
        }
    }
}

enum SchemaUpgrade {
    /// The advisory lock held while migrating ("KPI-MIGR" in ASCII); no other lock of the system uses it.
    static let lockKey: Int64 = 0x4B50_492D_4D49_4752
}
