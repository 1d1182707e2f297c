import Fluent
import Foundation
@testable import KPIServer
import KPICore
import SQLKit
import XCTVapor

/// Issue 16, hole 4: an agency can require receipt codes from its own list, or one-time codes
/// printed in each citizen's QR code, so that public ratings cannot be stuffed with made-up numbers.
final class ReceiptCodeTests: XCTestCase {
    /// A task of BTCTU-P3 with an open rating link (opened by the room's head); its public path.
    func openLink(_ app: Application) async throws -> (task: UUID, link: UUID, path: String) {
        let row = try await app.db.sql.raw("""
            SELECT t.id AS id FROM tasks t JOIN people p ON p.id = t.assignee_id WHERE p.code = 'CB-BTCTU-P3-03' ORDER BY t.code LIMIT 1
            """).first()
        let task = try XCTUnwrap(row).decode(column: "id", as: UUID.self)
        var leader = Browser(app)
        try await leader.login("lanhdao")
        try await leader.get("/viec/\(task)")
        try await leader.post("/viec/\(task)/lien-ket-danh-gia", [:])
        let found = try await RatingLink.query(on: app.db).filter(\.$taskID == task).first()
        let link = try XCTUnwrap(found)
        return (task, link.id!, "/danh-gia/\(link.token)")
    }

    func rate(_ app: Application, _ path: String, receipt: String = "", printed: String = "",
              peer: String) async throws -> BrowserResponse {
        var citizen = Browser(app)
        citizen.peer = peer
        try await citizen.get(path + (printed.isEmpty ? "" : "?bn=\(printed)"))
        // A page without the form (a printed code is needed) still set the form cookie: post with it.
        if citizen.csrf.isEmpty { citizen.csrf = citizen.cookies[CSRFMiddleware.preCookie] ?? "" }
        var form = ["diem": "5", "ma_bien_nhan": receipt]
        if !printed.isEmpty { form["bn"] = printed }
        return try await citizen.post(path, form)
    }

    func testAnAgencyRequiresCodesFromItsList() async throws {
        try await withApp { app in
            let (_, _, path) = try await openLink(app)
            // Only the agency's leaders and administrators choose; a room's head cannot.
            var room = Browser(app)
            try await room.login("lanhdao")
            let refused = try await room.get("/danh-gia-cong-khai").status
            XCTAssertEqual(refused, .forbidden)
            var head = Browser(app)
            try await head.login("truongban")
            let page = try await head.get("/danh-gia-cong-khai")
            XCTAssertTrue(page.text.contains("Ban Tổ chức Tỉnh ủy"))
            XCTAssertFalse(page.text.contains("Sở Nội vụ"), "only agencies they lead")
            let set = try await head.post("/danh-gia-cong-khai/che-do", ["co_quan": "BTCTU", "che_do": "danh-sach"])
            XCTAssertEqual(set.location, "/danh-gia-cong-khai?tb=che-do")
            try await head.get("/danh-gia-cong-khai")
            let bad = try await head.post("/danh-gia-cong-khai/nhap", ["co_quan": "BTCTU", "danh_sach": String(repeating: "9", count: 51)])
            XCTAssertEqual(bad.status, .unprocessableEntity)
            XCTAssertTrue(bad.text.contains("Dòng 1"))
            let imported = try await head.post("/danh-gia-cong-khai/nhap",
                                               ["co_quan": "BTCTU", "danh_sach": "bn-001\nBN-002, BN-003\nbn-001\n"])
            XCTAssertEqual(imported.location, "/danh-gia-cong-khai?tb=nhap-3-0")
            let again = try await head.post("/danh-gia-cong-khai/nhap", ["co_quan": "BTCTU", "danh_sach": "BN-003\nBN-004"])
            XCTAssertEqual(again.location, "/danh-gia-cong-khai?tb=nhap-1-1")

            // A made-up number is refused; a listed one counts once, whatever its case.
            let madeUp = try await rate(app, path, receipt: "BN-999", peer: "10.1.0.1")
            XCTAssertEqual(madeUp.status, .unprocessableEntity)
            XCTAssertTrue(madeUp.text.contains("không có trong danh sách"))
            let ok = try await rate(app, path, receipt: " bn-002 ", peer: "10.1.0.2")
            XCTAssertTrue(ok.text.contains("Đã ghi nhận"), ok.text)
            let twice = try await rate(app, path, receipt: "BN-002", peer: "10.1.0.3")
            XCTAssertEqual(twice.status, .unprocessableEntity)
            let ratings = try await Rating.query(on: app.db).count()
            XCTAssertEqual(ratings, 1)
            let actions = try await AuditEntry.query(on: app.db).filter(\.$actor == "truongban").all().map(\.action)
            XCTAssertTrue(actions.contains("agency.setting") && actions.contains("receipt.import"))
        }
    }

    func testOneTimeCodesPrintedInTheQRCode() async throws {
        try await withApp { app in
            let (task, link, path) = try await openLink(app)
            var head = Browser(app)
            try await head.login("truongban")
            try await head.get("/danh-gia-cong-khai")
            try await head.post("/danh-gia-cong-khai/che-do", ["co_quan": "BTCTU", "che_do": "ma-rieng"])
            // Without a printed code the page asks to scan the slip; a typed receipt number is refused.
            var citizen = Browser(app)
            let ask = try await citizen.get(path)
            XCTAssertTrue(ask.text.contains("quét mã QR in trên phiếu"))
            XCTAssertFalse(ask.text.contains("name=\"diem\""))
            let typed = try await rate(app, path, receipt: "BN-1", peer: "10.2.0.1")
            XCTAssertEqual(typed.status, .unprocessableEntity)

            // The room's head prints slips; the staff member on the task cannot.
            var staff = Browser(app)
            try await staff.login("canbo")
            try await staff.get("/viec/\(task)")
            let notTheirs = try await staff.post("/viec/\(task)/lien-ket-danh-gia/\(link)/phieu", ["so_phieu": "2"])
            XCTAssertEqual(notTheirs.status, .forbidden)
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let taskPage = try await leader.get("/viec/\(task)")
            XCTAssertTrue(taskPage.text.contains("In phiếu có mã QR riêng"))
            let tooMany = try await leader.post("/viec/\(task)/lien-ket-danh-gia/\(link)/phieu", ["so_phieu": "101"])
            XCTAssertEqual(tooMany.status, .badRequest)
            let sheet = try await leader.post("/viec/\(task)/lien-ket-danh-gia/\(link)/phieu", ["so_phieu": "3"])
            XCTAssertEqual(sheet.status, .ok)
            XCTAssertEqual(sheet.text.components(separatedBy: "class=\"slip\"").count - 1, 3)
            let codes = try await ReceiptCode.query(on: app.db).filter(\.$kind == "ma-rieng").all().map(\.code)
            XCTAssertEqual(codes.count, 3)
            XCTAssertTrue(codes.allSatisfy { sheet.text.contains("Phiếu đánh giá số \($0)") })

            // Each printed code rates once; a code of another link does not work here.
            let first = try await rate(app, path, printed: codes[0], peer: "10.2.0.2")
            XCTAssertTrue(first.text.contains("Đã ghi nhận"), first.text)
            let reused = try await rate(app, path, printed: codes[0], peer: "10.2.0.3")
            XCTAssertEqual(reused.status, .unprocessableEntity)
            XCTAssertTrue(reused.text.contains("đã được dùng"))
            let guessed = try await rate(app, path, printed: "AAAAAAAAAAAA", peer: "10.2.0.4")
            XCTAssertEqual(guessed.status, .unprocessableEntity)
            let n = try await Rating.query(on: app.db).count()
            XCTAssertEqual(n, 1)
            let printed = try await AuditEntry.query(on: app.db).filter(\.$action == "receipt.print").count()
            XCTAssertEqual(printed, 1)
        }
    }

    func testTheListRules() {
        XCTAssertEqual(ReceiptRules.normalized("  bn  001 "), "BN 001")
        XCTAssertNil(ReceiptRules.normalized("a\u{0}b"))
        XCTAssertNil(ReceiptRules.normalized(String(repeating: "x", count: 51)))
        let parsed = ReceiptRules.parseList("a1\r\nb2;c3\n\n a1 \n")
        XCTAssertEqual(parsed.codes, ["A1", "B2", "C3"])
        XCTAssertEqual(parsed.problems, [])
        XCTAssertEqual(ReceiptRules.token(random: Array(repeating: 0, count: 12)), "AAAAAAAAAAAA")
    }
}
