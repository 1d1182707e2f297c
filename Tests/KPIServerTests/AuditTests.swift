import ConsoleKit
import Fluent
@testable import KPIServer
import NIOConcurrencyHelpers
import SQLKit
import XCTVapor

/// A console that keeps what a command prints.
final class CapturingConsole: Console, @unchecked Sendable {
    let lines = NIOLockedValueBox<[String]>([])
    var userInfo: [AnySendableHashable: any Sendable] = [:]
    var size: (width: Int, height: Int) { (120, 40) }
    func input(isSecure: Bool) -> String { "" }
    func output(_ text: ConsoleText, newLine: Bool) { lines.withLockedValue { $0.append(text.description) } }
    func clear(_ type: ConsoleClear) {}
    func report(error: String, newLine: Bool) { lines.withLockedValue { $0.append(error) } }
    var text: String { lines.withLockedValue { $0.joined(separator: "\n") } }
}

final class AuditTests: XCTestCase {
    func testDigestsAreLowerCaseHex() {
        XCTAssertEqual(AuditLog.sha256("abc"), "ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad")
        XCTAssertEqual(AuditLog.sha256(""), "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        XCTAssertEqual(AuditLog.hex([0x00, 0x0f, 0xf0, 0xff]), "000ff0ff")
    }

    /// The snapshot written by hand is the text JSONSerialization writes, byte for byte, whatever the values hold
    /// (every ASCII character, Vietnamese, emoji, line separators) and however the keys sort; a key it does not
    /// write by hand (a capital, a digit, a hyphen, a non-ASCII letter) goes the long way.
    func testSnapshotsAreTheTextJSONSerializationWrites() throws {
        func reference(_ d: [String: String]) throws -> String {
            String(decoding: try JSONSerialization.data(withJSONObject: d, options: [.sortedKeys]), as: UTF8.self)
        }
        var rng = SystemRandomNumberGenerator()
        let keyLetters = Array("abcdefghijklmnopqrstuvwxyz_")
        let valueScalars = (0..<0x80).map { Character(UnicodeScalar(UInt8($0))) }
            + Array("ăâđêôơưÁÀẢÃẠệữỳ😀\u{2028}\u{00A0}")
        for _ in 0..<300 {
            var d: [String: String] = [:]
            for _ in 0..<Int.random(in: 0...12, using: &rng) {
                let key = String((0..<Int.random(in: 1...10, using: &rng)).map { _ in keyLetters.randomElement(using: &rng)! })
                d[key] = String((0..<Int.random(in: 0...20, using: &rng)).map { _ in valueScalars.randomElement(using: &rng)! })
            }
            XCTAssertEqual(AuditLog.snapshot(d), try reference(d))
        }
        for odd in [["a10": "x", "a9": "y", "A2": "z", "a2": "w"], ["z-1": "1", "ñ": "2", "Z_": "3", "b": "/"]] {
            XCTAssertEqual(AuditLog.snapshot(odd), try reference(odd))
        }
        XCTAssertEqual(AuditLog.snapshot(["ma": "NV-2026-000001", "tieu_de": "Báo cáo \"quý\" 1/2026"]),
                       #"{"ma":"NV-2026-000001","tieu_de":"Báo cáo \"quý\" 1\/2026"}"#)
        XCTAssertEqual(AuditLog.snapshot([:]), "{}")
        XCTAssertEqual(AuditLog.snapshot(nil), "")
    }

    /// Runs `kpi verify-audit` in process; returns whether it succeeded and what it printed.
    func verifyAudit(_ app: Application) async throws -> (ok: Bool, output: String) {
        let console = CapturingConsole()
        var context = CommandContext(console: console, input: CommandInput(arguments: ["kpi"]))
        context.application = app
        do {
            try await VerifyAuditCommand().run(using: &context)
            return (true, console.text)
        } catch is ExitCode {
            return (false, console.text)
        }
    }

    func testTamperedEntryIsNamedByVerifyAudit() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            try await b.login("canbo")
            let clean = try await verifyAudit(app)
            XCTAssertTrue(clean.ok)
            let total = try await AuditEntry.query(on: app.db).count()
            XCTAssertTrue(clean.output.contains("Chuỗi băm toàn vẹn: \(total) mục trong cơ sở dữ liệu."), clean.output)

            let sql = app.db.sql
            let target = try await AuditEntry.query(on: app.db).filter(\.$action == "login").first()!
            // The database itself refuses to change an entry…
            await assertRefusedByDatabase("audit_entries is append-only", "an update of the audit trail") {
                try await sql.raw("UPDATE audit_entries SET actor = 'ke-gian' WHERE seq = \(bind: target.id!)").run()
            }
            // …so an attacker with administrator rights first removes the guard, then edits.
            if app.db.isPostgres {
                try await sql.raw("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change").run()
            } else {
                try await sql.raw("DROP TRIGGER audit_entries_no_update").run()
            }
            try await sql.raw("UPDATE audit_entries SET actor = 'ke-gian' WHERE seq = \(bind: target.id!)").run()
            let broken = try await verifyAudit(app)
            XCTAssertFalse(broken.ok)
            XCTAssertTrue(broken.output.contains("mục số \(target.id!)"), broken.output)
            XCTAssertTrue(broken.output.contains("nội dung đã bị sửa"), broken.output)
        }
    }

    func testDeletedEntryIsNamed() async throws {
        try await withApp { app in
            let sql = app.db.sql
            if app.db.isPostgres {
                try await sql.raw("ALTER TABLE audit_entries DISABLE TRIGGER audit_entries_no_change").run()
            } else {
                try await sql.raw("DROP TRIGGER audit_entries_no_delete").run()
            }
            try await sql.raw("DELETE FROM audit_entries WHERE seq = 3").run()
            let outcome = try await AuditLog.verify(on: app.db)
            XCTAssertEqual(outcome, .broken(sequence: 4, reason: "thiếu mục số 3"))
        }
    }

    func testConcurrentWritersKeepOneChain() async throws {
        try await withApp(demo: false) { app in
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        try await app.store.write { db in
                            try await AuditLog.append(on: db, actor: .system("test", at: app.clock.now), action: "test.\(i)",
                                                      entityType: "t",
                                                      entityID: "\(i)", scopePath: "/")
                        }
                    }
                }
                try await group.waitForAll()
            }
            let v1 = try await AuditLog.verify(on: app.db)
            XCTAssertEqual(v1, .intact(count: 40))
        }
    }

    func testAuditPageFiltersByScope() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("quantri")
            let snv = try await Organization.query(on: app.db).filter(\.$code == "SNV-P1").first()!
            try await b.get("/danh-muc/co-quan/\(snv.id!.uuidString)/sua")
            try await b.post("/danh-muc/co-quan/\(snv.id!.uuidString)/sua", ["ma": "SNV-P1", "ten": "Văn phòng Sở (sửa)",
                                                                             "khoi": "chinh-quyen", "cap": "tinh", "ma_cap_tren": "SNV"])
            let page = try await b.get("/nhat-ky?hanh_dong=organization.update&nguoi=quantri")
            XCTAssertTrue(page.text.contains("Văn phòng Sở (sửa)"))
            XCTAssertTrue(page.text.contains("1 mục"))
            let history = try await b.get("/nhat-ky?doi_tuong=\(snv.id!.uuidString)")
            XCTAssertTrue(history.text.contains("Cơ quan, đơn vị: sửa"))
            XCTAssertTrue(history.text.contains("<span>Tên:</span> Văn phòng Sở (sửa)"), "snapshots read as fields")
            let csv = try await b.get("/nhat-ky/xuat?doi_tuong=\(snv.id!.uuidString)&dinh_dang=csv")
            XCTAssertEqual(csv.status, .ok)
            XCTAssertTrue(csv.text.contains("Văn phòng Sở (sửa)"))
            let exports = try await AuditEntry.query(on: app.db).filter(\.$action == "audit.export").count()
            XCTAssertEqual(exports, 1)
        }
    }
}
