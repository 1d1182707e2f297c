import Fluent
import Foundation
@testable import KPIServer
import KPICore
import SQLKit
import XCTVapor

/// Issue 16: the chain head is exported daily, so a database owner who edits an entry and
/// recomputes every hash after it (the chain alone then verifies) is caught by the anchors.
final class AuditAnchorTests: XCTestCase {
    func testAnchorsCatchARewrittenChain() async throws {
        try await withApp { app in
            let file = NSTemporaryDirectory() + "neo-\(UUID().uuidString).jsonl"
            app.settings.auditAnchorFile = file
            var b = Browser(app)
            try await b.login("canbo")
            _ = try await DeadlineJob.run(app)
            _ = try await DeadlineJob.run(app)
            XCTAssertEqual(try AuditAnchors.read(file).count, 1, "once a day")
            app.clock.advance(by: 86_400)
            try await b.login("lanhdao")
            _ = try await DeadlineJob.run(app)
            let anchors = try AuditAnchors.read(file)
            XCTAssertEqual(anchors.count, 2)
            XCTAssertLessThan(anchors[0].seq, anchors[1].seq)
            let ok = try await AuditAnchors.verify(anchors, on: app.db)
            XCTAssertEqual(ok, .intact(count: 2))

            // The owner rewrites an early entry and every hash after it.
            try await Self.rewrite(app, seq: 2, actor: "nguoi-khac")
            let chain = try await AuditLog.verify(on: app.db)
            guard case .intact = chain else { return XCTFail("the rewritten chain should verify on its own: \(chain)") }
            let caught = try await AuditAnchors.verify(anchors, on: app.db)
            XCTAssertEqual(caught, .broken(sequence: anchors[0].seq,
                                           reason: """
                                               khác với neo lúc \(anchors[0].at): nhật ký đã bị viết lại từ mục này \
                                               trở về trước
                                               """))
            try? FileManager.default.removeItem(atPath: file)
        }
    }

    func testAnAnchorOfAMissingEntryIsReported() {
        let outcome = AuditChain.verify(anchors: [AuditAnchor(seq: 9, hash: "x", at: "2026-11-25T02:00:00Z")], storedHash: { _ in nil })
        XCTAssertEqual(outcome, .broken(sequence: 9,
                                        reason: "mục đã được neo lúc 2026-11-25T02:00:00Z không còn trong nhật ký"))
    }

    /// What a database owner could do: lift the append-only trigger, edit, recompute the chain.
    static func rewrite(_ app: Application, seq: Int, actor: String) async throws {
        let sql = app.db.sql
        if app.db.isPostgres {
            try await sql.raw("DROP TRIGGER audit_entries_no_change ON audit_entries").run()
        } else {
            try await sql.raw("DROP TRIGGER audit_entries_no_update").run()
        }
        var previous = AuditRecord.genesisHash
        for e in try await AuditEntry.query(on: app.db).sort(\.$id).all() {
            if e.id == seq { e.actor = actor }
            e.previousHash = previous
            e.hash = AuditLog.sha256(AuditLog.record(of: e).canonical)
            try await sql.raw("""
                UPDATE audit_entries SET actor = \(bind: e.actor), prev_hash = \(bind: e.previousHash), hash = \(bind: e.hash) WHERE seq \
                = \(bind: e.id!)
                """).run()
            previous = e.hash
        }
    }
}
