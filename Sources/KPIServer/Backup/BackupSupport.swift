import Fluent
import Foundation
import KPICore
import SQLKit

/// What a backup holds, written last into the archive (`manifest.json`).
struct BackupManifest: Codable, Equatable {
    var format = 1
    var createdAt: Date
    /// "sqlite" or "postgresql": an archive is restored onto the same kind of database.
    var database: String
    /// The migrations applied when the copy was taken.
    var migrations: [String]
    var tables: [TableFingerprint]
    var files: [BackupArchive.Written]
}

/// A table's row count and, on PostgreSQL, a checksum of its rows (the sum of each row's MD5, so the
/// order of rows does not matter and the sum takes no memory). Computed in the copy's own snapshot, and
/// again after a restore.
struct TableFingerprint: Codable, Equatable {
    var table: String
    var rows: Int
    var checksum: String?
}

enum BackupSupport {
    /// The archive's entries: the database copy, and the data folder's files under `du-lieu/`.
    static let sqliteEntry = "co-so-du-lieu/kpi.sqlite"
    static let dumpEntry = "co-so-du-lieu/kpi.dump"
    static let manifestEntry = "manifest.json"
    static let dataPrefix = "du-lieu/"

    /// Every table of the database (`schema` an attached SQLite database, else the main one).
    static func fingerprints(_ db: any Database, sqliteSchema schema: String = "main") async throws -> [TableFingerprint] {
        let sql = db.sql
        if db.isPostgres {
            let tables = try await sql.raw("""
                SELECT table_name::text AS t FROM information_schema.tables
                WHERE table_schema = 'public' AND table_type = 'BASE TABLE' ORDER BY 1
                """).all().map { try $0.decode(column: "t", as: String.self) }
            var out: [TableFingerprint] = []
            for t in tables {
                let row = try await sql.raw("""
                    SELECT count(*) AS n, coalesce(sum(('x' || substr(md5(r::text), 1, 15))::bit(60)::bigint), 0)::text AS h
                    FROM \(ident: t) r
                    """).first()
                out.append(TableFingerprint(table: t, rows: try row?.decode(column: "n", as: Int.self) ?? 0,
                                            checksum: try row?.decode(column: "h", as: String.self)))
            }
            return out
        }
        let tables = try await sql.raw("""
            SELECT name AS t FROM \(ident: schema).sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY 1
            """).all().map { try $0.decode(column: "t", as: String.self) }
        var out: [TableFingerprint] = []
        for t in tables {
            let row = try await sql.raw("SELECT count(*) AS n FROM \(ident: schema).\(ident: t)").first()
            out.append(TableFingerprint(table: t, rows: try row?.decode(column: "n", as: Int.self) ?? 0, checksum: nil))
        }
        return out
    }

    /// The differences between two sets of fingerprints, in words.
    static func differences(_ expected: [TableFingerprint], _ found: [TableFingerprint]) -> [String] {
        let byName = Dictionary(found.map { ($0.table, $0) }, uniquingKeysWith: { a, _ in a })
        var out: [String] = []
        for e in expected {
            guard let f = byName[e.table] else { out.append("thiếu bảng \(e.table)"); continue }
            if f.rows != e.rows { out.append("bảng \(e.table): \(f.rows) dòng, bản sao lưu có \(e.rows)") }
            if let c = e.checksum, f.checksum != c { out.append("bảng \(e.table): nội dung khác bản sao lưu") }
        }
        let known = Set(expected.map(\.table))
        for f in found where !known.contains(f.table) { out.append("bảng \(f.table) không có trong bản sao lưu") }
        return out
    }

    /// `kpi-20261204-093000.kpibak`, in Vietnam time.
    static func archiveName(at date: Date) -> String {
        "kpi-" + stampFormatter.string(from: date) + ".kpibak"
    }

    static func archiveDate(_ name: String) -> Date? {
        guard name.hasPrefix("kpi-"), name.hasSuffix(".kpibak") else { return nil }
        return stampFormatter.date(from: String(name.dropFirst(4).dropLast(7)))
    }

    private static let stampFormatter: DateFormatter = {
        let f = DateFormatter()
        f.locale = Locale(identifier: "en_US_POSIX")
        f.timeZone = VietnamTime.zone
        f.dateFormat = "yyyyMMdd-HHmmss"
        return f
    }()

    /// The archives to delete after a new one: beyond the `keep` newest, or older than `maxAgeDays`
    /// (when set); never the newest one. Names that are not archives are left alone.
    static func expired(_ names: [String], keep: Int, maxAgeDays: Int?, now: Date) -> [String] {
        let archives = names.compactMap { n in archiveDate(n).map { (n, $0) } }.sorted { $0.1 > $1.1 }
        var out: [String] = []
        for (i, (name, date)) in archives.enumerated() where i > 0 {
            let tooOld = maxAgeDays.map { now.timeIntervalSince(date) > Double($0) * 86_400 } ?? false
            if i >= max(1, keep) || tooOld { out.append(name) }
        }
        return out.sorted()
    }

    /// A path inside the archive that stays inside the folder it is restored into.
    static func isSafeEntry(_ path: String) -> Bool {
        guard !path.isEmpty, !path.hasPrefix("/"), !path.contains("\\"), !path.contains("\0") else { return false }
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        return !parts.contains { $0.isEmpty || $0 == "." || $0 == ".." }
    }
}

/// The PostgreSQL client programs (`pg_dump`, `pg_restore`) and how they reach the database of
/// `DATABASE_URL`: the same host, port, user and database; the password and TLS through libpq's
/// environment (never on the command line, which other users of the machine can read).
struct PostgresTools {
    var executableDirectory: String?
    var arguments: [String]
    var environment: [String: String]

    init(url: String, caFile: String?, binDirectory: String?) throws {
        guard let c = URLComponents(string: url), let host = c.host, !c.path.dropFirst().isEmpty else {
            throw BackupFailure("DATABASE_URL không đúng dạng postgres://người-dùng:mật-khẩu@máy:cổng/tên-csdl.")
        }
        arguments = ["--host", host, "--port", String(c.port ?? 5432), "--dbname", String(c.path.dropFirst())]
        if let user = c.user { arguments += ["--username", user] }
        var env = ProcessInfo.processInfo.environment
        env["PGPASSWORD"] = c.password
        let mode = c.queryItems?.first { ["tlsmode", "sslmode"].contains($0.name) }?.value ?? "prefer"
        env["PGSSLMODE"] = mode == "disable" ? "disable" : (mode == "require" ? "require" : "prefer")
        if let ca = caFile {
            env["PGSSLMODE"] = "verify-full"
            env["PGSSLROOTCERT"] = ca
        }
        environment = env
        executableDirectory = binDirectory
    }

    /// `name` from `KPI_PG_BIN`, else from PATH, else the newest /usr/lib/postgresql/*/bin.
    func executable(_ name: String) throws -> String {
        let fm = FileManager.default
        var candidates: [String] = []
        if let dir = executableDirectory { candidates.append(dir + "/" + name) }
        for dir in (ProcessInfo.processInfo.environment["PATH"] ?? "").split(separator: ":") {
            candidates.append("\(dir)/\(name)")
        }
        let versions = ((try? fm.contentsOfDirectory(atPath: "/usr/lib/postgresql")) ?? []).compactMap(Int.init).sorted(by: >)
        candidates += versions.map { "/usr/lib/postgresql/\($0)/bin/\(name)" }
        guard let found = candidates.first(where: { fm.isExecutableFile(atPath: $0) }) else {
            throw BackupFailure("Không tìm thấy \(name) (gói postgresql-client); cài gói đó hoặc đặt KPI_PG_BIN.")
        }
        return found
    }
}

struct BackupFailure: Error, CustomStringConvertible {
    let description: String
    init(_ message: String) { description = message }
}
