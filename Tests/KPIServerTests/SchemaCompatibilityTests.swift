import Fluent
import FluentKit
import Foundation
@testable import KPIServer
import SQLKit
import XCTVapor

/// A rolling upgrade replaces the processes one at a time, so the previous release runs for a while on
/// the schema the new one migrated. That holds when every migration only adds: each one, run after
/// those before it, keeps every table and column they made, with its type; a column the code before it
/// may leave empty stays so; a column it adds to an existing table may be left empty or has a default
/// (the old code's inserts do not name it).
final class SchemaCompatibilityTests: XCTestCase {
    func testEachMigrationKeepsWhatTheCodeBeforeItReads() async throws {
        try await withApp(demo: false, migrate: false) { app in
            let all = KPIServer.Migrations.all(app)
            var before: SchemaShape = [:]
            var problems: [String] = []
            for (i, migration) in all.enumerated() {
                let upTo = FluentKit.Migrations()
                upTo.add(Array(all[...i]))
                let migrator = Migrator(databases: app.databases, migrations: upTo, logger: app.logger, on: app.eventLoopGroup.any())
                try await migrator.setupIfNeeded().get()
                try await migrator.prepareBatch().get()
                let after = try await schemaShape(app.db)
                problems += incompatibilities(from: before, to: after).map { "\(migration.name): \($0)" }
                before = after
            }
            XCTAssertEqual(problems, [], "migrations the previous release cannot run on")
            XCTAssertTrue(before["tasks"]?["title"] != nil, "the shape read is the real schema")
        }
    }

    /// Two processes started together on an empty PostgreSQL database (a reboot, a rolling upgrade): one
    /// migrates while the other waits, then finds nothing left to do; each migration ran once.
    func testProcessesStartedTogetherMigrateOnce() async throws {
        guard TestEnv.postgresURL != nil else { throw XCTSkip("PostgreSQL only: SQLite has one process") }
        try await withApp(demo: false, migrate: false) { app in
            let second = try await TestEnv.attach()
            do {
                async let first: Void = app.migrateSchema()
                async let other: Void = second.migrateSchema()
                _ = try await (first, other)
                let rows = try await app.db.sql.raw("SELECT name FROM _fluent_migrations").all()
                let names = try rows.map { try $0.decode(column: "name", as: String.self) }
                XCTAssertEqual(names.sorted(), KPIServer.Migrations.all(app).map(\.name).sorted())
            } catch {
                try? await second.asyncShutdown()
                throw error
            }
            try await second.asyncShutdown()
        }
    }

    /// The check itself names each kind of break.
    func testTheCheckNamesWhatBreaksTheOldCode() {
        let old: SchemaShape = [
            "tasks": ["id": .init(type: "uuid", required: true, hasDefault: false),
                      "title": .init(type: "text", required: true, hasDefault: false),
                      "note": .init(type: "text", required: false, hasDefault: false)],
            "ratings": ["id": .init(type: "uuid", required: true, hasDefault: false)],
        ]
        var new = old
        XCTAssertEqual(incompatibilities(from: old, to: new), [])
        new["tasks"]?["weight"] = .init(type: "double precision", required: false, hasDefault: false)
        new["tasks"]?["kind"] = .init(type: "text", required: true, hasDefault: true)
        new["audits"] = ["id": .init(type: "uuid", required: true, hasDefault: false)]
        XCTAssertEqual(incompatibilities(from: old, to: new), [], "additions the old code ignores")

        new["ratings"] = nil
        new["tasks"]?["title"] = nil
        new["tasks"]?["note"] = .init(type: "bigint", required: true, hasDefault: false)
        new["tasks"]?["owner"] = .init(type: "uuid", required: true, hasDefault: false)
        XCTAssertEqual(incompatibilities(from: old, to: new), [
            "bảng ratings bị xóa",
            "cột tasks.note trước để trống được, nay bắt buộc",
            "cột tasks.note đổi kiểu text → bigint",
            "cột tasks.owner mới, bắt buộc mà không có giá trị mặc định",
            "cột tasks.title bị xóa",
        ])
    }
}

struct ColumnShape: Equatable {
    var type: String
    var required: Bool
    var hasDefault: Bool
}

/// Table → column → shape.
typealias SchemaShape = [String: [String: ColumnShape]]

/// What the code written for `old` would trip over in `new`, sorted.
func incompatibilities(from old: SchemaShape, to new: SchemaShape) -> [String] {
    var found: [String] = []
    for (table, columns) in old {
        guard let now = new[table] else { found.append("bảng \(table) bị xóa"); continue }
        for (name, was) in columns {
            guard let column = now[name] else { found.append("cột \(table).\(name) bị xóa"); continue }
            if column.type != was.type { found.append("cột \(table).\(name) đổi kiểu \(was.type) → \(column.type)") }
            if column.required, !was.required, !column.hasDefault {
                found.append("cột \(table).\(name) trước để trống được, nay bắt buộc")
            }
        }
        for (name, column) in now where columns[name] == nil && column.required && !column.hasDefault {
            found.append("cột \(table).\(name) mới, bắt buộc mà không có giá trị mặc định")
        }
    }
    return found.sorted()
}

/// The tables and columns of the database as it is (PostgreSQL's `public` schema, or SQLite's tables).
func schemaShape(_ db: any Database) async throws -> SchemaShape {
    let query: SQLQueryString = db.isPostgres
        ? """
            SELECT table_name::text AS t, column_name::text AS c, data_type::text AS type,
                   CASE WHEN is_nullable = 'NO' THEN 1 ELSE 0 END AS nn,
                   CASE WHEN column_default IS NULL THEN 0 ELSE 1 END AS d
            FROM information_schema.columns WHERE table_schema = 'public'
            """
        : """
            SELECT m.name AS t, p.name AS c, lower(p.type) AS type, p."notnull" AS nn,
                   CASE WHEN p.dflt_value IS NULL THEN 0 ELSE 1 END AS d
            FROM sqlite_master m JOIN pragma_table_info(m.name) p
            WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
            """
    var shape: SchemaShape = [:]
    for row in try await db.sql.raw(query).all() {
        let table = try row.decode(column: "t", as: String.self), column = try row.decode(column: "c", as: String.self)
        shape[table, default: [:]][column] = ColumnShape(type: try row.decode(column: "type", as: String.self),
                                                         required: try row.decode(column: "nn", as: Int.self) == 1,
                                                         hasDefault: try row.decode(column: "d", as: Int.self) == 1)
    }
    return shape
}
