import Fluent
import Foundation
@testable import KPIServer
import KPICore
import SQLKit
import XCTVapor

/// Issue 16: `kpi audit-archive` moves entries older than the retention to a verified file without
/// breaking the chain; verification runs across the archive; the database lets go only of archived
/// entries; a changed archive file is caught. Time moves on the application's clock.
final class AuditArchiveTests: XCTestCase {
    func testOldEntriesMoveToAVerifiedFileAndTheChainGoesOn() async throws {
        try await withApp { app in
            let dir = NSTemporaryDirectory() + "luu-tru-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let anchorsFile = dir + "-neo.jsonl"
            defer { try? FileManager.default.removeItem(atPath: anchorsFile) }
            let demoEntries = try await AuditEntry.query(on: app.db).count()
            XCTAssertGreaterThan(demoEntries, 100)
            let anchored0 = try await AuditAnchors.append(to: anchorsFile, on: app.db, at: app.clock.now)
            let anchor = try XCTUnwrap(anchored0)
            // Nothing is 12 months old yet.
            let cutoff = { Calendar(identifier: .gregorian).date(byAdding: .month, value: -12, to: app.clock.now)! }
            let none = try await AuditArchive.archive(before: cutoff(), into: dir, store: app.store, actor: .system("t", at: app.clock.now))
            XCTAssertNil(none)
            // Thirteen months on, someone signs in: the demo's entries are old, the sign-in is not.
            app.clock.advance(by: 86_400 * 396)
            var b = Browser(app)
            try await b.login("canbo")
            let archived1 = try await AuditArchive.archive(before: cutoff(), into: dir, store: app.store,
                                                           actor: .system("t", at: app.clock.now))
            let record = try XCTUnwrap(archived1)
            XCTAssertEqual(record.firstSeq, 1)
            XCTAssertEqual(record.lastSeq, demoEntries)
            XCTAssertEqual(record.startHash, AuditRecord.genesisHash)
            let left = try await AuditEntry.query(on: app.db).sort(\.$id).all()
            XCTAssertEqual(left.first?.id, demoEntries + 1, "the sign-in stays")
            XCTAssertEqual(left.first?.previousHash, record.endHash, "the chain goes on from the archive")
            XCTAssertEqual(left.last?.action, "audit.archive", "the archiving is itself audited")
            let chain = try await AuditLog.verify(on: app.db)
            XCTAssertEqual(chain, .intact(count: left.count))
            let files = try await AuditArchive.verifyAll(in: dir, wanted: [anchor.seq], on: app.db)
            XCTAssertEqual(files.outcome, .intact(count: demoEntries))
            XCTAssertEqual(files.hashes[anchor.seq], anchor.hash, "an anchor of an archived entry is checked against the file")
            let anchored = try await AuditAnchors.verify([anchor], on: app.db, archived: files.hashes)
            XCTAssertEqual(anchored, .intact(count: 1))

            // Only archived entries may leave the database.
            let sql = app.db.sql
            do {
                try await sql.raw("DELETE FROM audit_entries WHERE seq = \(bind: demoEntries + 1)").run()
                XCTFail("an entry not archived was deleted")
            } catch {
                XCTAssertTrue(String(reflecting: error).contains("append-only"), "\(error)")
            }
            // Everything archived, then a new entry: it continues the archived chain.
            app.clock.advance(by: 86_400 * 400)
            let archived2 = try await AuditArchive.archive(before: cutoff(), into: dir, store: app.store,
                                                           actor: .system("t", at: app.clock.now))
            let second = try XCTUnwrap(archived2)
            XCTAssertEqual(second.firstSeq, demoEntries + 1)
            XCTAssertEqual(second.startHash, record.endHash)
            try await b.login("lanhdao")
            let again = try await AuditLog.verify(on: app.db)
            guard case .intact = again else { return XCTFail("\(again)") }
            let both = try await AuditArchive.verifyAll(in: dir, wanted: [], on: app.db)
            XCTAssertEqual(both.files, 2)

            // A changed archive file is caught, naming the file.
            let path = dir + "/" + record.fileName
            var text = try String(contentsOfFile: path, encoding: .utf8)
            text = text.replacingOccurrences(of: "\"actor\":\"system:demo\"", with: "\"actor\":\"nguoi-khac\"")
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            let caught = try await AuditArchive.verifyAll(in: dir, wanted: [], on: app.db)
            XCTAssertEqual(caught.outcome, .broken(sequence: 1,
                                                   reason: "tệp lưu trữ \(record.fileName) đã bị sửa (SHA-256 không khớp)"))
            try FileManager.default.removeItem(atPath: path)
            let missing = try await AuditArchive.verifyAll(in: dir, wanted: [], on: app.db)
            XCTAssertEqual(missing.outcome, .broken(sequence: 1, reason: "không có tệp lưu trữ \(path)"))
        }
    }

    func testABrokenChainIsNotArchived() async throws {
        try await withApp { app in
            let dir = NSTemporaryDirectory() + "luu-tru-\(UUID().uuidString)"
            defer { try? FileManager.default.removeItem(atPath: dir) }
            let sql = app.db.sql
            if app.db.isPostgres {
                try await sql.raw("DROP TRIGGER audit_entries_no_change ON audit_entries").run()
            } else {
                try await sql.raw("DROP TRIGGER audit_entries_no_update").run()
            }
            try await sql.raw("UPDATE audit_entries SET actor = 'nguoi-khac' WHERE seq = 3").run()
            app.clock.advance(by: 86_400 * 400)
            do {
                _ = try await AuditArchive.archive(before: app.clock.now, into: dir, store: app.store,
                                                   actor: .system("t", at: app.clock.now))
                XCTFail("archived a broken chain")
            } catch let p as AuditArchive.Problem {
                XCTAssertTrue(p.description.contains("mục số 3"), p.description)
            }
            let count = try await AuditArchiveRecord.query(on: app.db).count()
            XCTAssertEqual(count, 0)
        }
    }

    func testRetentionIsNeverUnderTwelveMonths() {
        XCTAssertEqual(Settings.from(environment: [:]).auditRetentionMonths, 12)
        XCTAssertEqual(Settings.from(environment: ["KPI_AUDIT_RETENTION_MONTHS": "3"]).auditRetentionMonths, 12)
        XCTAssertEqual(Settings.from(environment: ["KPI_AUDIT_RETENTION_MONTHS": "24"]).auditRetentionMonths, 24)
    }
}
