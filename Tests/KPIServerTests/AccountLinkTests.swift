import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Tài khoản cho cả tỉnh (issue 18, item 7): a forgotten password reset by a single-use mailed link,
/// and accounts made in bulk for a unit with activation links by mail or on printed letters.
final class AccountLinkTests: XCTestCase {
    static func token(in text: String) -> String? {
        text.firstMatch(of: /\/dat-mat-khau\/([A-Za-z0-9_-]{20,64})/).map { String($0.1) }
    }

    func testAForgottenPasswordIsResetByASingleUseMailedLink() async throws {
        try await withApp { app in
            MailTests.mailOn(app)
            var visitor = Browser(app)
            let form = try await visitor.get("/quen-mat-khau")
            XCTAssertEqual(form.status, .ok)
            let signIn = try await visitor.get("/dang-nhap")
            XCTAssertTrue(signIn.text.contains("href=\"/quen-mat-khau\""))
            let known = try await visitor.post("/quen-mat-khau", ["username": "CanBo"])
            let unknown = try await visitor.post("/quen-mat-khau", ["username": "khong-co-ai"])
            XCTAssertEqual(known.status, .ok)
            func flash(_ t: String) -> String { t.firstMatch(of: /<p class="flash[^>]*>([^<]*)</).map { String($0.1) } ?? "" }
            XCTAssertFalse(flash(known.text).isEmpty)
            XCTAssertEqual(flash(known.text), flash(unknown.text), "the same answer whether the account exists")
            let mails = try await OutboxMessage.query(on: app.db).all()
            XCTAssertEqual(mails.map(\.recipient), ["canbo@kpi-demo.invalid"])
            XCTAssertTrue(mails[0].dedupeKey.hasPrefix(Outbox.secretPrefix))
            let token = try XCTUnwrap(Self.token(in: mails[0].body))
            let stored = try await AccountLink.query(on: app.db).all()
            XCTAssertEqual(stored.count, 1)
            XCTAssertNotEqual(stored[0].tokenHash, token, "only the hash is kept")

            let page = try await visitor.get("/dat-mat-khau/\(token)")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains("<strong>canbo</strong>"))
            let weak = try await visitor.post("/dat-mat-khau/\(token)", ["new": "ngan", "confirm": "ngan"])
            XCTAssertEqual(weak.status, .unprocessableEntity)
            let newPassword = "Song Lam xanh 2026"
            let done = try await visitor.post("/dat-mat-khau/\(token)", ["new": newPassword, "confirm": newPassword])
            XCTAssertEqual(done.status, .ok, done.text)
            XCTAssertTrue(done.text.contains("Đã đặt mật khẩu"))
            let again = try await visitor.post("/dat-mat-khau/\(token)", ["new": newPassword + "!", "confirm": newPassword + "!"])
            XCTAssertEqual(again.status, .notFound, "a link works once")
            XCTAssertTrue(again.text.contains("không còn dùng được"))
            var canbo = Browser(app)
            let signedIn = try await canbo.login("canbo", newPassword)
            XCTAssertEqual(signedIn.status, .seeOther)
            var old = Browser(app)
            let refused = try await old.login("canbo")
            XCTAssertEqual(refused.status, .unauthorized)
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action ~~ ["password.reset-link", "password.reset-self"]).all()
            XCTAssertEqual(audit.map(\.action).sorted(), ["password.reset-link", "password.reset-self"])

            // At most three links an hour for one account; a link dies after 30 minutes.
            for _ in 0..<5 { _ = try await visitor.post("/quen-mat-khau", ["username": "canbo"]) }
            let sent = try await OutboxMessage.query(on: app.db).filter(\.$recipient == "canbo@kpi-demo.invalid").count()
            XCTAssertEqual(sent, AccountLinks.perAccountPerHour)
            let last = try await OutboxMessage.query(on: app.db).sort(\.$createdAt, .descending).first()
            let late = try XCTUnwrap(Self.token(in: last?.body ?? ""))
            app.clock.advance(by: 31 * 60)
            let expired = try await visitor.get("/dat-mat-khau/\(late)")
            XCTAssertEqual(expired.status, .notFound)
        }
    }

    func testAccountsForAUnitInBulkWithLettersAndMail() async throws {
        try await withApp { app in
            MailTests.mailOn(app)
            // One person of the unit has an address: their link goes by mail, the others' on letters.
            let withMail = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-05").first()!
            withMail.email = "tran.b@nghean.gov.vn"; try await withMail.save(on: app.db)
            var admin = Browser(app)
            try await admin.login("quantri")
            let bad = try await admin.get("/nguoi-dung/tao-hang-loat?don_vi=KHONG-CO")
            XCTAssertEqual(bad.status, .unprocessableEntity)
            XCTAssertTrue(bad.text.contains("Không có đơn vị mã «KHONG-CO»"))
            let preview = try await admin.get("/nguoi-dung/tao-hang-loat?don_vi=btctu-p3")
            XCTAssertEqual(preview.status, .ok)
            let existing = try await User.query(on: app.db).count()
            XCTAssertTrue(preview.text.contains("tran.b"), "the username from the mail address")
            let afterPreview = try await User.query(on: app.db).count()
            XCTAssertEqual(afterPreview, existing, "a preview makes nothing")

            var outside = Browser(app)
            try await outside.login("quantri.snv")
            let refused = try await outside.post("/nguoi-dung/tao-hang-loat", ["don_vi": "BTCTU-P3", "cach_gui": "in"])
            XCTAssertEqual(refused.status, .forbidden)

            let made = try await admin.post("/nguoi-dung/tao-hang-loat", ["don_vi": "BTCTU-P3", "cach_gui": "thu"])
            XCTAssertEqual(made.status, .ok, made.text)
            let created = try await AuditEntry.query(on: app.db).filter(\.$action == "user.create-bulk").all()
            XCTAssertGreaterThan(created.count, 1)
            let afterCreate = try await User.query(on: app.db).count()
            XCTAssertEqual(afterCreate, existing + created.count)
            let mailed = try await OutboxMessage.query(on: app.db).all()
            XCTAssertEqual(mailed.map(\.recipient), ["tran.b@nghean.gov.vn"])
            let letters = made.text.matches(of: /<article class="letter">/).count
            XCTAssertEqual(letters, created.count - 1)
            XCTAssertTrue(made.text.contains("<svg"), "each letter has its QR code")
            let user = try await User.query(on: app.db).filter(\.$username == "tran.b").first()
            let grants = try await RoleGrant.query(on: app.db).filter(\.$userID == user!.id!).all()
            XCTAssertEqual(grants.map(\.role), [Role.staff.rawValue])
            var nobody = Browser(app)
            let noPassword = try await nobody.login("tran.b", "")
            XCTAssertEqual(noPassword.status, .unauthorized, "no password until activated")

            // A letter's link activates its account.
            let token = try XCTUnwrap(Self.token(in: made.text))
            var person = Browser(app)
            let page = try await person.get("/dat-mat-khau/\(token)")
            XCTAssertTrue(page.text.contains("Kích hoạt tài khoản"))
            let password = "Hoa sen Nghe An 2026"
            let set = try await person.post("/dat-mat-khau/\(token)", ["new": password, "confirm": password])
            XCTAssertEqual(set.status, .ok, set.text)
            let username = try XCTUnwrap(set.text.firstMatch(of: /tài khoản <strong>([a-z0-9.-]+)<\/strong>/).map { String($0.1) })
            let signedIn = try await person.login(username, password)
            XCTAssertEqual(signedIn.status, .seeOther)

            let twice = try await admin.post("/nguoi-dung/tao-hang-loat", ["don_vi": "BTCTU-P3", "cach_gui": "in"])
            XCTAssertEqual(twice.status, .unprocessableEntity)
            XCTAssertTrue(twice.text.contains("đã có tài khoản"))
        }
    }

    func testUsernamesAreUniqueAndPlain() {
        var taken: Set<String> = ["tran.b", "cb-x-01"]
        XCTAssertEqual(BulkAccounts.username(email: "tran.b@x.vn", code: "CB-X-02", taken: &taken), "tran.b-2")
        XCTAssertEqual(BulkAccounts.username(email: nil, code: "CB-X-01", taken: &taken), "cb-x-01-2")
        XCTAssertEqual(BulkAccounts.username(email: "ab@x.vn", code: "CB-X-03", taken: &taken), "cb-x-03", "too short a name")
        XCTAssertEqual(BulkAccounts.username(email: nil, code: "CB-X-03", taken: &taken), "cb-x-03-2")
    }
}
