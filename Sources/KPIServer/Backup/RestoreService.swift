import Crypto
import Fluent
import KPICore
import Foundation
import SQLKit
import Vapor

extension BackupService {
    struct Restored {
        var manifest: BackupManifest
        /// Tables whose rows differ from the copy's (empty when the restore is exact).
        var differences: [String]
        var audit: AuditChain.Outcome
    }

    /// Restores an archive into an empty database and data folder. Every chunk is authenticated and every
    /// file checked against the manifest before anything is put in place; afterwards each table's rows are
    /// counted (and summed, on PostgreSQL) against the copy's, and the audit chain is verified.
    static func restore(_ app: Application, from archive: String, key: SymmetricKey) async throws -> Restored {
        let fm = FileManager.default
        let dataDir = app.settings.dataDirectory
        try await refuseUnlessEmpty(app)
        try fm.createDirectory(atPath: dataDir, withIntermediateDirectories: true)
        let staging = dataDir + "/.khoi-phuc-\(UUID().uuidString)"
        try fm.createDirectory(atPath: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        defer { try? fm.removeItem(atPath: staging) }
        let manifest = try await app.threadPool.runIfActive { try readArchive(archive, key: key, into: staging) }
        let kind = app.db.isPostgres ? "postgresql" : "sqlite"
        guard manifest.database == kind else {
            throw BackupFailure("Bản sao lưu này của \(manifest.database), không khôi phục được vào \(kind).")
        }
        if app.db.isPostgres {
            let tools = try PostgresTools(url: app.settings.databaseURL ?? "", caFile: app.settings.databaseCAFile,
                                          binDirectory: Environment.get("KPI_PG_BIN"))
            let dump = staging + "/" + BackupSupport.dumpEntry
            try await app.threadPool.runIfActive { try pgRestore(tools, file: dump, errors: staging + "/loi.txt") }
            // A dump carries no planner statistics: until autovacuum reaches each table, the first pages after a
            // restore of a province's millions of tasks would be planned without them. Gathered before anyone signs in.
            try await app.db.sql.raw("ANALYZE").run()
        } else {
            for suffix in ["-wal", "-shm", "-journal"] { try? fm.removeItem(atPath: dataDir + "/kpi.sqlite" + suffix) }
            try? fm.removeItem(atPath: dataDir + "/kpi.sqlite")
            try fm.moveItem(atPath: staging + "/" + BackupSupport.sqliteEntry, toPath: dataDir + "/kpi.sqlite")
        }
        for file in manifest.files where file.path.hasPrefix(BackupSupport.dataPrefix) {
            let relative = String(file.path.dropFirst(BackupSupport.dataPrefix.count))
            let target = dataDir + "/" + relative
            try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            try? fm.removeItem(atPath: target)
            try fm.moveItem(atPath: staging + "/" + file.path, toPath: target)
        }
        let found = try await BackupSupport.fingerprints(app.db)
        let audit = try await AuditLog.verify(on: app.db)
        return Restored(manifest: manifest, differences: BackupSupport.differences(manifest.tables, found), audit: audit)
    }

    /// Only into an empty database and data folder: a restore never mixes with data already there.
    private static func refuseUnlessEmpty(_ app: Application) async throws {
        let fm = FileManager.default
        let dataDir = app.settings.dataDirectory
        let refusal = BackupFailure("""
            Nơi khôi phục chưa trống: kpi restore chỉ khôi phục vào cơ sở dữ liệu trống và thư mục \
            dữ liệu chưa có minh chứng. Tạo cơ sở dữ liệu mới (createdb) hoặc đặt KPI_DATA_DIR sang \
            thư mục mới rồi chạy lại.
            """)
        if app.db.isPostgres {
            let n = try await app.db.sql.raw("""
                SELECT count(*) AS n FROM information_schema.tables WHERE table_schema = 'public'
                """).first()?.decode(column: "n", as: Int.self) ?? 0
            if n > 0 { throw refusal }
        } else {
            // Looked at without opening it: opening would create it, and the copy goes in its place.
            let size = (try? fm.attributesOfItem(atPath: dataDir + "/kpi.sqlite")[.size] as? Int) ?? 0
            if size > 0 { throw refusal }
        }
        if let evidence = try? fm.contentsOfDirectory(atPath: dataDir + "/minh-chung"), !evidence.isEmpty { throw refusal }
    }

    /// Decrypts the archive into `staging`, checking each entry's place and the manifest's checksums.
    static func readArchive(_ path: String, key: SymmetricKey, into staging: String) throws -> BackupManifest {
        let fm = FileManager.default
        guard let input = FileHandle(forReadingAtPath: path) else { throw BackupFailure("Không đọc được tệp \(path).") }
        defer { try? input.close() }
        let reader = BackupArchive.Reader(try BackupCipher.Reader(from: input, key: key))
        var read: [String: BackupArchive.Written] = [:]
        var manifestData: Data?
        while let entry = try reader.nextPath() {
            guard manifestData == nil else { throw BackupFailure("Tệp sao lưu có nội dung sau bản kê (manifest.json).") }
            let allowed = entry == BackupSupport.manifestEntry || entry == BackupSupport.sqliteEntry || entry == BackupSupport.dumpEntry
                || entry.hasPrefix(BackupSupport.dataPrefix)
            guard allowed, BackupSupport.isSafeEntry(entry), read[entry] == nil else {
                throw BackupFailure("Tệp sao lưu có mục không hợp lệ: «\(entry.prefix(200))».")
            }
            let target = staging + "/" + entry
            try fm.createDirectory(atPath: (target as NSString).deletingLastPathComponent, withIntermediateDirectories: true)
            guard fm.createFile(atPath: target, contents: nil, attributes: [.posixPermissions: 0o600]),
                  let out = FileHandle(forWritingAtPath: target) else {
                throw BackupFailure("Không ghi được \(target): kiểm tra quyền ghi và dung lượng trống.")
            }
            let (size, sha) = try reader.copy(to: out)
            try out.close()
            if entry == BackupSupport.manifestEntry {
                manifestData = try Data(contentsOf: URL(fileURLWithPath: target))
            } else {
                read[entry] = BackupArchive.Written(path: entry, size: size, sha256: sha)
            }
        }
        let decoder = JSONDecoder()
        decoder.dateDecodingStrategy = .iso8601
        guard let data = manifestData, let manifest = try? decoder.decode(BackupManifest.self, from: data), manifest.format == 1 else {
            throw BackupFailure("Tệp sao lưu thiếu bản kê (manifest.json) hoặc bản kê không đọc được.")
        }
        let listed = Dictionary(manifest.files.map { ($0.path, $0) }, uniquingKeysWith: { a, _ in a })
        guard listed == read else {
            let wrong = Set(listed.keys).union(read.keys).filter { listed[$0] != read[$0] }.sorted()
            throw BackupFailure("Tệp trong bản sao lưu không khớp bản kê: \(wrong.prefix(5).joined(separator: ", ")).")
        }
        guard read[BackupSupport.sqliteEntry] != nil || read[BackupSupport.dumpEntry] != nil else {
            throw BackupFailure("Tệp sao lưu không chứa cơ sở dữ liệu.")
        }
        return manifest
    }

    private static func pgRestore(_ tools: PostgresTools, file: String, errors: String) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: try tools.executable("pg_restore"))
        process.arguments = ["--exit-on-error", "--single-transaction", "--no-owner", "--no-privileges"] + tools.arguments + [file]
        process.environment = tools.environment
        _ = FileManager.default.createFile(atPath: errors, contents: nil)
        let err = try FileHandle(forWritingTo: URL(fileURLWithPath: errors))
        defer { try? err.close() }
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        try process.run()
        process.waitUntilExit()
        guard process.terminationStatus == 0 else {
            let text = (try? String(contentsOfFile: errors, encoding: .utf8)) ?? ""
            throw BackupFailure("pg_restore dừng với mã \(process.terminationStatus): \(text.prefix(2_000))")
        }
    }
}
