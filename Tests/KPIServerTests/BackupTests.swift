import Crypto
import Fluent
import Foundation
@testable import KPIServer
import SQLKit
import XCTVapor

/// `kpi backup` / `kpi restore`: the encrypted stream refuses any change, the archive round trip brings back
/// every table and file, and the restore's own comparison notices a difference.
final class BackupTests: XCTestCase {
    private let key = SymmetricKey(size: .bits256)

    private func temp(_ name: String) -> String {
        let dir = NSTemporaryDirectory() + "kpi-backup-test-\(UUID().uuidString)"
        try? FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true)
        addTeardownBlock { try? FileManager.default.removeItem(atPath: dir) }
        return dir + "/" + name
    }

    private func sealed(_ plain: [UInt8], key: SymmetricKey) throws -> String {
        let path = temp("a.kpibak")
        FileManager.default.createFile(atPath: path, contents: nil)
        let out = try XCTUnwrap(FileHandle(forWritingAtPath: path))
        let writer = try BackupCipher.Writer(to: out, key: key)
        try writer.write(plain)
        try writer.finish()
        try out.close()
        return path
    }

    private func opened(_ path: String, key: SymmetricKey) throws -> [UInt8] {
        let input = try XCTUnwrap(FileHandle(forReadingAtPath: path))
        defer { try? input.close() }
        let reader = try BackupCipher.Reader(from: input, key: key)
        var out: [UInt8] = []
        while let chunk = try reader.next() { out += chunk }
        return out
    }

    private func refusal(_ path: String, key: SymmetricKey) -> BackupCipher.Refusal? {
        do { _ = try opened(path, key: key); return nil } catch { return error as? BackupCipher.Refusal }
    }

    func testTheStreamComesBackAndRefusesAnyChange() throws {
        let plain = (0..<(2 * BackupCipher.chunkSize + 12_345)).map { UInt8(truncatingIfNeeded: $0 &* 31) }
        let path = try sealed(plain, key: key)
        XCTAssertEqual(try opened(path, key: key), plain)
        XCTAssertEqual(try opened(try sealed([], key: key), key: key), [])

        XCTAssertEqual(refusal(path, key: SymmetricKey(size: .bits256)), .wrongKey)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: path))
        let frame = 5 + BackupCipher.chunkSize + 16
        func variant(_ change: (inout Data) -> Void) throws -> String {
            var d = bytes
            change(&d)
            let p = temp("v.kpibak")
            try d.write(to: URL(fileURLWithPath: p))
            return p
        }
        let second = BackupCipher.headerSize + frame
        XCTAssertEqual(refusal(try variant { $0[second + 100] ^= 1 }, key: key), .tampered(chunk: 1), "a flipped bit")
        XCTAssertEqual(refusal(try variant { $0 = $0.prefix(second) }, key: key), .truncated, "cut after a whole chunk")
        XCTAssertEqual(refusal(try variant { $0 = $0.dropLast(7) }, key: key), .truncated, "cut inside a chunk")
        XCTAssertEqual(refusal(try variant { d in
            let a = d[BackupCipher.headerSize..<second], b = d[second..<second + frame]
            d.replaceSubrange(BackupCipher.headerSize..<second + frame, with: b + a)
        }, key: key), .tampered(chunk: 0), "chunks swapped")
        XCTAssertEqual(refusal(try variant { $0.append(contentsOf: [1, 2, 3]) }, key: key), .tampered(chunk: 3), "bytes after the end")
        XCTAssertEqual(refusal(try variant { $0[0] = UInt8(ascii: "X") }, key: key), .notAnArchive)
    }

    func testRetentionKeepsTheNewestAndDropsTheOld() throws {
        let now = try XCTUnwrap(BackupSupport.archiveDate("kpi-20261204-020000.kpibak"))
        XCTAssertEqual(BackupSupport.archiveName(at: now), "kpi-20261204-020000.kpibak")
        let names = ["kpi-20261204-020000.kpibak", "kpi-20261203-020000.kpibak", "kpi-20261202-020000.kpibak",
                     "kpi-20261120-020000.kpibak", "ghi-chu.txt", "kpi-hong.kpibak"]
        XCTAssertEqual(BackupSupport.expired(names, keep: 2, maxAgeDays: nil, now: now),
                       ["kpi-20261120-020000.kpibak", "kpi-20261202-020000.kpibak"])
        XCTAssertEqual(BackupSupport.expired(names, keep: 10, maxAgeDays: 7, now: now), ["kpi-20261120-020000.kpibak"])
        let later = now.addingTimeInterval(400 * 86_400)
        XCTAssertEqual(BackupSupport.expired(names, keep: 10, maxAgeDays: 30, now: later).count, 3, "the newest stays, however old")
        XCTAssertEqual(BackupSupport.expired(names, keep: 0, maxAgeDays: nil, now: now).count, 3, "keep 0 means keep 1")
    }

    /// An entry naming a place outside the restore folder is refused, even in an archive with the right key.
    func testAnEntryOutsideTheFolderIsRefused() throws {
        for bad in ["du-lieu/../../etc/cron.d/x", "/etc/passwd", "khac/tep", "du-lieu//x"] {
            let path = temp("x.kpibak")
            FileManager.default.createFile(atPath: path, contents: nil)
            let out = try XCTUnwrap(FileHandle(forWritingAtPath: path))
            let archive = BackupArchive.Writer(try BackupCipher.Writer(to: out, key: key))
            _ = try archive.add(bad, data: Data("x".utf8))
            try archive.finish()
            try out.close()
            let staging = temp("staging")
            try FileManager.default.createDirectory(atPath: staging, withIntermediateDirectories: true)
            XCTAssertThrowsError(try BackupService.readArchive(path, key: key, into: staging), bad) { error in
                XCTAssertTrue("\(error)".contains("mục không hợp lệ"), "\(error)")
            }
        }
    }

    func testARoundTripBringsBackEveryTableAndFile() async throws {
        let evidence = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        try await withApp { app in
            let dataDir = app.settings.dataDirectory
            try FileManager.default.createDirectory(atPath: dataDir + "/minh-chung/ab/cd", withIntermediateDirectories: true)
            try Data(evidence).write(to: URL(fileURLWithPath: dataDir + "/minh-chung/ab/cd/abcd"))
            let out = temp("sao-luu")
            let made = try await BackupService.make(app, into: out, key: key, keep: 3, maxAgeDays: nil)
            XCTAssertTrue(made.manifest.tables.contains { $0.table == "tasks" && $0.rows > 0 })
            XCTAssertTrue(made.manifest.files.contains { $0.path == "du-lieu/minh-chung/ab/cd/abcd" && $0.size == evidence.count })

            if TestEnv.postgresURL != nil {
                try await app.db.sql.raw("DROP SCHEMA public CASCADE").run()
                try await app.db.sql.raw("CREATE SCHEMA public").run()
                try FileManager.default.removeItem(atPath: dataDir)
                try await check(app, archive: made.path, evidence: evidence)
            } else {
                let target = try await TestEnv.make(demo: false, migrate: false) { s in
                    s.inMemory = false
                    s.dataDirectory = NSTemporaryDirectory() + "kpi-restore-\(UUID().uuidString)"
                }
                do {
                    try await check(target, archive: made.path, evidence: evidence)
                } catch {
                    try? await target.asyncShutdown()
                    throw error
                }
                try await target.asyncShutdown()
            }
        }
    }

    private func check(_ app: Application, archive: String, evidence: [UInt8]) async throws {
        let restored = try await BackupService.restore(app, from: archive, key: key)
        XCTAssertEqual(restored.differences, [])
        guard case .intact(let n) = restored.audit, n > 0 else { return XCTFail("audit chain: \(restored.audit)") }
        let dataDir = app.settings.dataDirectory
        XCTAssertEqual([UInt8](try Data(contentsOf: URL(fileURLWithPath: dataDir + "/minh-chung/ab/cd/abcd"))), evidence)
        let tasks = try await app.db.sql.raw("SELECT count(*) AS n FROM tasks").first()?.decode(column: "n", as: Int.self)
        XCTAssertEqual(tasks, restored.manifest.tables.first { $0.table == "tasks" }?.rows)
        if app.db.isPostgres {
            let analyzed = try await app.db.sql
                .raw("SELECT count(*) AS n FROM pg_stats WHERE schemaname = 'public' AND tablename = 'tasks'")
                .first()?.decode(column: "n", as: Int.self)
            XCTAssertGreaterThan(analyzed ?? 0, 0, "the planner's statistics gathered after the restore")
        }

        // A second restore on top is refused; the comparison notices a row that differs.
        do {
            _ = try await BackupService.restore(app, from: archive, key: key)
            XCTFail("restored over existing data")
        } catch let failure as BackupFailure {
            XCTAssertTrue(failure.description.contains("chưa trống"))
        }
        if app.db.isPostgres {
            try await app.db.sql.raw("UPDATE tasks SET title = title || '.' WHERE id = (SELECT id FROM tasks ORDER BY id LIMIT 1)").run()
        } else {
            try await app.db.sql.raw("DELETE FROM notices WHERE id = (SELECT id FROM notices ORDER BY id LIMIT 1)").run()
        }
        let now = try await BackupSupport.fingerprints(app.db)
        XCTAssertEqual(BackupSupport.differences(restored.manifest.tables, now).count, 1, "one table differs")
    }
}
