import Crypto
import Fluent
import Foundation
import SQLKit
import Vapor

/// `kpi backup` and `kpi restore`: the database and the data folder (evidence files, the two-step key,
/// archived audit log) in one encrypted archive with a manifest of checksums, taken while the system
/// runs. SQLite is copied with `VACUUM INTO` (a consistent copy, the server keeps writing); PostgreSQL
/// with `pg_dump` in custom format, inside a snapshot in which every table's rows are counted and summed,
/// so a restore proves it brought back exactly what was copied.
enum BackupService {
    struct Made {
        var path: String
        var manifest: BackupManifest
        var deleted: [String]
    }

    static func make(_ app: Application, into directory: String, key: SymmetricKey, keep: Int, maxAgeDays: Int?) async throws -> Made {
        let fm = FileManager.default
        try fm.createDirectory(atPath: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let now = app.clock.now
        let name = BackupSupport.archiveName(at: now)
        let final = directory + "/" + name, temp = directory + "/." + name + ".tam"
        let migrations = try await app.db.sql.raw("SELECT name FROM _fluent_migrations ORDER BY name").all()
            .map { try $0.decode(column: "name", as: String.self) }
        let dataDir = app.settings.dataDirectory
        try fm.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        var manifest = BackupManifest(createdAt: now, database: app.db.isPostgres ? "postgresql" : "sqlite", migrations: migrations,
                                      tables: [], files: [])
        defer { try? fm.removeItem(atPath: temp) }
        if app.db.isPostgres {
            let tools = try PostgresTools(url: app.settings.databaseURL ?? "", caFile: app.settings.databaseCAFile,
                                          binDirectory: Environment.get("KPI_PG_BIN"))
            let base = manifest
            manifest = try await ConnectionGuard.withConnection(on: app.db) { conn in
                let sql = conn.sql
                try await sql.raw("BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY").run()
                do {
                    let snapshot = try await sql.raw("SELECT pg_export_snapshot() AS s").first()?.decode(column: "s", as: String.self)
                    var counted = base
                    counted.tables = try await BackupSupport.fingerprints(conn)
                    let copy = DatabaseCopy.dump(tools, snapshot: snapshot ?? ""), m = counted
                    let written = try await app.threadPool.runIfActive {
                        try writeArchive(to: temp, key: key, copy: copy, dataDirectory: dataDir, skipping: directory, manifest: m)
                    }
                    try await sql.raw("COMMIT").run()
                    return written
                } catch {
                    try? await sql.raw("ROLLBACK").run()
                    throw error
                }
            }
        } else {
            let snapshot = dataDir + "/.sao-luu-\(UUID().uuidString).sqlite"
            defer { try? fm.removeItem(atPath: snapshot) }
            try await app.db.sql.raw("VACUUM INTO \(bind: snapshot)").run()
            manifest.tables = try await app.db.withConnection { conn in
                try await conn.sql.raw("ATTACH DATABASE \(bind: snapshot) AS sao_luu").run()
                do {
                    let tables = try await BackupSupport.fingerprints(conn, sqliteSchema: "sao_luu")
                    try await conn.sql.raw("DETACH DATABASE sao_luu").run()
                    return tables
                } catch {
                    try? await conn.sql.raw("DETACH DATABASE sao_luu").run()
                    throw error
                }
            }
            let m = manifest
            manifest = try await app.threadPool.runIfActive {
                try writeArchive(to: temp, key: key, copy: .file(snapshot), dataDirectory: dataDir, skipping: directory, manifest: m)
            }
        }
        try fm.moveItem(atPath: temp, toPath: final)
        let names = (try? fm.contentsOfDirectory(atPath: directory)) ?? []
        let deleted = BackupSupport.expired(names, keep: keep, maxAgeDays: maxAgeDays, now: now).filter { $0 != name }
        for old in deleted { try fm.removeItem(atPath: directory + "/" + old) }
        return Made(path: final, manifest: manifest, deleted: deleted)
    }

    enum DatabaseCopy {
        case file(String)
        case dump(PostgresTools, snapshot: String)
    }

    /// Writes the whole archive (blocking: run on the thread pool); the manifest with the files' checksums.
    static func writeArchive(to path: String, key: SymmetricKey, copy: DatabaseCopy, dataDirectory: String, skipping outDir: String,
                             manifest: BackupManifest) throws -> BackupManifest {
        let fm = FileManager.default
        guard fm.createFile(atPath: path, contents: nil, attributes: [.posixPermissions: 0o600]),
              let handle = FileHandle(forWritingAtPath: path) else {
            throw BackupFailure("Không ghi được tệp sao lưu \(path): kiểm tra quyền ghi và chỗ trống của thư mục.")
        }
        defer { try? handle.close() }
        let archive = BackupArchive.Writer(try BackupCipher.Writer(to: handle, key: key))
        var m = manifest
        switch copy {
        case .file(let file):
            m.files.append(try archive.add(BackupSupport.sqliteEntry, file: URL(fileURLWithPath: file)))
        case .dump(let tools, let snapshot):
            m.files.append(try dump(tools, snapshot: snapshot, into: archive, errors: path + ".loi"))
        }
        for relative in dataFiles(in: dataDirectory, skipping: outDir) {
            // A work file gone since the listing (another process's half-written upload) is not data.
            guard let source = FileHandle(forReadingAtPath: dataDirectory + "/" + relative) else { continue }
            defer { try? source.close() }
            m.files.append(try archive.add(BackupSupport.dataPrefix + relative, from: source))
        }
        let encoder = JSONEncoder()
        encoder.dateEncodingStrategy = .iso8601
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
        _ = try archive.add(BackupSupport.manifestEntry, data: try encoder.encode(m))
        try archive.finish()
        try handle.synchronize()
        return m
    }

    private static func dump(_ tools: PostgresTools, snapshot: String, into archive: BackupArchive.Writer,
                             errors: String) throws -> BackupArchive.Written {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try tools.executable("pg_dump"))
        process.arguments = ["--format=custom", "--no-owner", "--no-privileges", "--snapshot=\(snapshot)"] + tools.arguments
        process.environment = tools.environment
        let out = Pipe()
        _ = FileManager.default.createFile(atPath: errors, contents: nil, attributes: [.posixPermissions: 0o600])
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        defer { try? err.close(); try? FileManager.default.removeItem(atPath: errors) }
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let written = try archive.add(BackupSupport.dumpEntry, from: out.fileHandleForReading)
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            throw BackupFailure("pg_dump dừng với mã \(process.terminationStatus): \(text.prefix(2_000))")
        }
        return written
    }

    /// The data folder's regular files, relative, sorted; not the SQLite database itself (copied with
    /// `VACUUM INTO`), not hidden work files (a backup's or restore's, an upload being written), not the
    /// backups' own folder.
    static func dataFiles(in dataDirectory: String, skipping outDir: String) -> [String] {
        // A walk of its own, folder by folder: other processes keep adding evidence (a temporary file renamed
        // into place) while it runs, and a name gone between listing and looking is skipped, never the end of
        // the walk (Foundation's enumerator stopped at such a name, and files after it were missed).
        let fm = FileManager.default
        let root = URL(fileURLWithPath: dataDirectory).standardizedFileURL.resolvingSymlinksInPath().path
        let skip = URL(fileURLWithPath: outDir).standardizedFileURL.resolvingSymlinksInPath().path
        let database: Set<String> = ["kpi.sqlite", "kpi.sqlite-wal", "kpi.sqlite-shm", "kpi.sqlite-journal"]
        var out: [String] = []
        var folders = [""]
        while let folder = folders.popLast() {
            guard let names = try? fm.contentsOfDirectory(atPath: folder.isEmpty ? root : root + "/" + folder) else { continue }
            for name in names where !name.hasPrefix(".") {
                let relative = folder.isEmpty ? name : folder + "/" + name
                let path = root + "/" + relative
                guard path != skip, !path.hasPrefix(skip + "/"), BackupSupport.isSafeEntry(relative),
                      let type = (try? fm.attributesOfItem(atPath: path))?[.type] as? FileAttributeType else { continue }
                if type == .typeDirectory {
                    folders.append(relative)
                } else if type == .typeRegular, !database.contains(relative) {
                    out.append(relative)
                }
            }
        }
        return out.sorted()
    }
}
