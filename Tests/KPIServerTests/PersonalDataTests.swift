import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Dữ liệu cá nhân (issue 18, item 9; Nghị định 13/2023): the notice every page shows until
/// acknowledged, the page and download of one's own data, and the retention of notices and mail.
final class PersonalDataTests: XCTestCase {
    func testTheNoticeThePageAndTheDownloadOfOnesOwnData() async throws {
        try await withApp { app in
            var canbo = Browser(app)
            try await canbo.login("canbo")
            let home = try await canbo.get("/")
            XCTAssertTrue(home.text.contains("Nghị định 13/2023/NĐ-CP"), "the notice from the first sign-in")
            let page = try await canbo.get("/du-lieu-cua-toi")
            XCTAssertEqual(page.status, .ok)
            for title in ["Tài khoản", "Hồ sơ cán bộ", "Nhiệm vụ chủ trì", "Phiếu đánh giá", "Thông báo",
                          "Thao tác của tôi"] {
                XCTAssertTrue(page.text.contains(title), title)
            }
            XCTAssertTrue(page.text.contains("CB-BTCTU-P3-03"))
            let file = try await canbo.get("/du-lieu-cua-toi?dinh_dang=json")
            XCTAssertEqual(file.status, .ok)
            XCTAssertTrue(file.headers.first(name: .contentDisposition)?.contains("du-lieu-ca-nhan-canbo.json") == true)
            let json = try JSONSerialization.jsonObject(with: Data(file.text.utf8)) as? [String: Any]
            let sections = try XCTUnwrap(json?["muc"] as? [[String: Any]])
            let profile = try XCTUnwrap(sections.first { $0["ma"] as? String == "ho-so" }?["dong"] as? [[String: String]])
            XCTAssertTrue(profile.contains { $0["Mục"] == "Mã cán bộ" && $0["Giá trị"] == "CB-BTCTU-P3-03" })
            XCTAssertFalse(file.text.contains("CB-BTCTU-P3-01\""), "nobody else's record")

            let ack = try await canbo.post("/du-lieu-cua-toi/da-doc", [:])
            XCTAssertEqual(ack.status, .seeOther)
            let after = try await canbo.get("/")
            XCTAssertFalse(after.text.contains("Nghị định 13/2023/NĐ-CP"), "gone once acknowledged")
            _ = try await canbo.post("/du-lieu-cua-toi/da-doc", [:])
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action ~~ ["privacy.acknowledge", "privacy.download"]).all()
            XCTAssertEqual(audit.map(\.action).sorted(), ["privacy.acknowledge", "privacy.download"], "acknowledged once")
            // Another account still sees it.
            var lanhdao = Browser(app)
            try await lanhdao.login("lanhdao")
            let theirs = try await lanhdao.get("/")
            XCTAssertTrue(theirs.text.contains("Nghị định 13/2023/NĐ-CP"))
        }
    }

    func testNoticesAndMailPastTheirRetentionAreDeletedOnceADay() async throws {
        try await withApp { app in
            let now = app.clock.now
            let user = try await User.query(on: app.db).filter(\.$username == "canbo").first()!.id!
            func notice(_ title: String, monthsAgo: Double, read: Bool) async throws {
                let n = Notice()
                n.userID = user; n.kind = "tai-khoan"; n.title = title; n.dedupeKey = UUID().uuidString
                n.createdAt = now.addingTimeInterval(-monthsAgo * 31 * 86_400); n.readAt = read ? now : nil
                try await n.create(on: app.db)
            }
            try await notice("cũ, đã đọc", monthsAgo: 25, read: true)
            try await notice("cũ, chưa đọc", monthsAgo: 25, read: false)
            try await notice("mới, đã đọc", monthsAgo: 1, read: true)
            func mail(_ state: String, monthsAgo: Double) async throws {
                try await Outbox.enqueue(on: app.db, channel: "email", recipient: "a@x.vn", subject: state, body: "", altBody: "",
                                         key: UUID().uuidString, at: now.addingTimeInterval(-monthsAgo * 31 * 86_400))
                let m = try await OutboxMessage.query(on: app.db).filter(\.$subject == state).first()!
                m.state = state; try await m.save(on: app.db)
            }
            try await mail(OutboxMessage.sent, monthsAgo: 7)
            try await mail(OutboxMessage.waiting, monthsAgo: 7)
            let before = try await Notice.query(on: app.db).count()
            try await Retention.daily(app.db, settings: app.settings, now: now)
            let titles = try await Notice.query(on: app.db).filter(\.$userID == user).all().map(\.title)
            XCTAssertFalse(titles.contains("cũ, đã đọc"))
            XCTAssertTrue(titles.contains("cũ, chưa đọc"), "unread notices stay")
            XCTAssertTrue(titles.contains("mới, đã đọc"))
            let remaining = try await Notice.query(on: app.db).count()
            XCTAssertEqual(remaining, before - 1)
            let mails = try await OutboxMessage.query(on: app.db).all().map(\.state)
            XCTAssertEqual(mails, [OutboxMessage.waiting], "mail waiting to go stays")
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "retention.purge").all()
            XCTAssertEqual(audit.count, 1)
            XCTAssertTrue(audit[0].after.contains("\"thong_bao\":\"1\""), audit[0].after)
            // Once a day: a second run the same day does nothing, even with a shorter retention.
            var s = app.settings
            s.retainNoticeMonths = 3
            try await Retention.daily(app.db, settings: s, now: now)
            let same = try await Notice.query(on: app.db).count()
            XCTAssertEqual(same, remaining)
            // The page sets it, within its range.
            var admin = Browser(app)
            try await admin.login("quantri")
            let page = try await admin.get("/cai-dat")
            XCTAssertTrue(page.text.contains("Giữ thông báo đã đọc (tháng)"))
            let refused = try await admin.post("/cai-dat", ["luu-thong-bao": "1"])
            XCTAssertEqual(refused.status, .unprocessableEntity)
            let saved = try await admin.post("/cai-dat", ["luu-thong-bao": "12"])
            XCTAssertEqual(saved.status, .seeOther)
            XCTAssertEqual(app.settings.retainNoticeMonths, 12)
        }
    }
}
