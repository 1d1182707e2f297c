import Fluent
import Foundation
import KPICore
import SQLKit
@testable import KPIServer
import XCTVapor

/// Thông báo qua thư (issue 18, item 3): notices routed to mail as each person chose, the daily
/// digest, the outbox that keeps every message while the relay is down, and the pages. Delivery to
/// a real SMTP server (aiosmtpd, STARTTLS, stopped mid-way) is the browser suite's test_mail.py.
final class MailTests: XCTestCase {
    /// Mail on, to a port where nothing listens (a relay that is down).
    static func mailOn(_ app: Application, digestHour: Int = 7) {
        var s = app.settings
        s.smtpHost = "127.0.0.1"
        s.smtpPort = 9
        s.smtpSecurity = SettingsCatalog.plain
        s.publicURL = "https://kpi.nghean.gov.vn"
        s.mailDigestHour = digestHour
        app.settings = s
    }

    static func notice(_ app: Application, user: String, kind: String, title: String, at: Date) async throws -> Notice {
        let u = try await User.query(on: app.db).filter(\.$username == user).first()!
        let n = Notice()
        n.userID = u.id!; n.kind = kind; n.title = title; n.dedupeKey = UUID().uuidString; n.createdAt = at
        n.link = "/danh-gia-cua-toi"
        try await n.create(on: app.db)
        return n
    }

    func testNoticesBecomeMailAsEachPersonChoseAndWaitWhileTheRelayIsDown() async throws {
        try await withApp { app in
            // The job ran while mail was off: what the demo wrote then is never mailed.
            let routedOff = try await MailRouter.route(store: app.store, settings: app.settings)
            XCTAssertGreaterThan(routedOff.skipped, 0)
            XCTAssertEqual(routedOff.queued + routedOff.digest, 0)
            Self.mailOn(app, digestHour: 10)
            let now = app.clock.now

            var canbo = Browser(app)
            try await canbo.login("canbo")
            let saved = try await canbo.post("/thong-bao/cai-dat", ["han": "ngay", "gop-y": "khong"])
            XCTAssertEqual(saved.status, .seeOther, saved.text)
            let now1 = try await Self.notice(app, user: "canbo", kind: "qua-han",
                                             title: "Quá hạn (01/12/2026): NV-2026-000001 — Báo cáo",
                                             at: now)
            let digest1 = try await Self.notice(app, user: "canbo", kind: "tra-lai", title: "Trả lại: NV-2026-000002 — Tờ trình",
                                                at: now)
            let off = try await Self.notice(app, user: "canbo", kind: "gop-y", title: "Góp ý đã được trả lời", at: now)
            let stale = try await Self.notice(app, user: "canbo", kind: "qua-han", title: "Cũ", at: now.addingTimeInterval(-3 * 86_400))
            let noAddress = try await Self.notice(app, user: "quantri", kind: "tai-khoan", title: "Tài khoản bị khóa", at: now)
            let people = try await Person.query(on: app.db).filter(\.$email == "quantri@kpi-demo.invalid").all()
            for p in people { p.email = "khong co dia chi"; try await p.save(on: app.db) }

            let routed = try await MailRouter.route(store: app.store, settings: app.settings)
            XCTAssertEqual(routed, .init(queued: 1, digest: 1, skipped: 3))
            for (n, state) in [(now1, "gui"), (digest1, "tong-hop"), (off, "xong"), (stale, "xong"), (noAddress, "xong")] {
                let read = try await Notice.find(n.id, on: app.db)
                XCTAssertEqual(read?.mailState, state, n.title)
            }
            let queued = try await OutboxMessage.query(on: app.db).all()
            XCTAssertEqual(queued.count, 1)
            XCTAssertEqual(queued[0].recipient, "canbo@kpi-demo.invalid")
            XCTAssertEqual(queued[0].subject, "[KPI Công vụ] Quá hạn (01/12/2026): NV-2026-000001 — Báo cáo")
            XCTAssertTrue(queued[0].body.contains("https://kpi.nghean.gov.vn/thong-bao/\(now1.id!.uuidString)"))
            XCTAssertTrue(queued[0].altBody.contains("Kính gửi"))
            let again = try await MailRouter.route(store: app.store, settings: app.settings)
            XCTAssertEqual(again, .init(), "each notice is routed once")

            // The relay is down: the message waits, tried again after a minute, then two.
            let channels = DeliveryChannels.all(app, settings: app.settings)
            let first = try await Outbox.deliverDue(store: app.store, channels: channels)
            XCTAssertEqual(first, .init(sent: 0, retried: 1, failed: 0))
            var m = try await OutboxMessage.find(queued[0].id, on: app.db)!
            XCTAssertEqual(m.state, OutboxMessage.waiting)
            XCTAssertEqual(m.attempts, 1)
            XCTAssertEqual(m.nextAttemptAt.timeIntervalSince(now), 60, accuracy: 1)
            XCTAssertTrue(m.lastError?.contains("Không kết nối được máy chủ thư 127.0.0.1:9") == true, m.lastError ?? "")
            let early = try await Outbox.deliverDue(store: app.store, channels: channels)
            XCTAssertEqual(early, .init(), "not before its time")
            app.clock.advance(by: 61)
            _ = try await Outbox.deliverDue(store: app.store, channels: channels)
            m = try await OutboxMessage.find(queued[0].id, on: app.db)!
            XCTAssertEqual(m.attempts, 2)
            XCTAssertEqual(m.nextAttemptAt.timeIntervalSince(app.clock.now), 120, accuracy: 1)
            XCTAssertEqual(m.state, OutboxMessage.waiting, "never dropped")

            // The digest waits for its hour, then goes once a day.
            let before = try await MailRouter.digests(store: app.store, settings: app.settings)
            XCTAssertEqual(before, 0, "09:00 is before the digest hour (10)")
            app.clock.advance(by: 3_600)
            let digests = try await MailRouter.digests(store: app.store, settings: app.settings)
            XCTAssertEqual(digests, 1)
            let digest = try await OutboxMessage.query(on: app.db).filter(\.$dedupeKey ~~ "tong-hop:").first()!
            XCTAssertEqual(digest.subject, "[KPI Công vụ] Tổng hợp thông báo ngày \(app.clock.today.display) (1)")
            XCTAssertTrue(digest.body.contains("Trả lại: NV-2026-000002 — Tờ trình"))
            let value1 = try await Notice.find(digest1.id, on: app.db)?.mailState
            XCTAssertEqual(value1, "gui")
            let later = try await Self.notice(app, user: "canbo", kind: "tra-lai", title: "Trả lại lần hai", at: app.clock.now)
            _ = try await MailRouter.route(store: app.store, settings: app.settings)
            let second = try await MailRouter.digests(store: app.store, settings: app.settings)
            XCTAssertEqual(second, 0, "one digest a day")
            let value2 = try await Notice.find(later.id, on: app.db)?.mailState
            XCTAssertEqual(value2, "tong-hop", "waits for tomorrow's")

            // The job runs all of it under one lease; a second runner at the same time does nothing.
            let holder = "khac"
            let value3 = try await DeadlineJob.acquireLease(app.store, holder: holder, name: MailJob.leaseName)
            XCTAssertTrue(value3)
            let skipped = try await MailJob.run(app)
            XCTAssertFalse(skipped.ran)
            try await DeadlineJob.releaseLease(app.store, holder: holder, name: MailJob.leaseName)
            let ran = try await MailJob.run(app)
            XCTAssertTrue(ran.ran)
        }
    }

    func testMailOffRoutesNothingAndNoticesStayInTheCentre() async throws {
        try await withApp { app in
            let n = try await Self.notice(app, user: "canbo", kind: "gui-nghiem-thu", title: "Chờ nghiệm thu", at: app.clock.now)
            let routed = try await MailRouter.route(store: app.store, settings: app.settings)
            XCTAssertEqual(routed.queued, 0)
            let value4 = try await Notice.find(n.id, on: app.db)?.mailState
            XCTAssertEqual(value4, "xong")
            let value5 = try await OutboxMessage.query(on: app.db).count()
            XCTAssertEqual(value5, 0)
            // A notice written by a real action reaches the router the same way (the centre keeps it).
            var canbo = Browser(app)
            try await canbo.login("canbo")
            let list = try await canbo.get("/thong-bao")
            XCTAssertTrue(list.text.contains("Chờ nghiệm thu"))
            XCTAssertTrue(list.text.contains("/thong-bao/cai-dat"))
        }
    }

    func testEachPersonChoosesTheirOwnDeliveryAudited() async throws {
        try await withApp { app in
            var canbo = Browser(app)
            try await canbo.login("canbo")
            let page = try await canbo.get("/thong-bao/cai-dat")
            XCTAssertEqual(page.status, .ok)
            for c in NoticeCategory.all { XCTAssertTrue(page.text.contains(c.label), c.label) }
            XCTAssertTrue(page.text.contains("canbo@kpi-demo.invalid"))
            XCTAssertTrue(page.text.contains("chưa được cấu hình gửi thư"))
            let bad = try await canbo.post("/thong-bao/cai-dat", ["han": "moi-gio"])
            XCTAssertTrue([.badRequest, .unprocessableEntity].contains(bad.status), "\(bad.status)")
            let value6 = try await NoticePreference.query(on: app.db).count()
            XCTAssertEqual(value6, 0, "nothing saved")
            let ok = try await canbo.post("/thong-bao/cai-dat", ["han": "khong", "danh-gia": "tong-hop", "nhiem-vu": "tong-hop"])
            XCTAssertEqual(ok.location, "/thong-bao/cai-dat?luu=1")
            let rows = try await NoticePreference.query(on: app.db).all()
            XCTAssertEqual(Dictionary(uniqueKeysWithValues: rows.map { ($0.category, $0.delivery) }),
                           ["han": "khong", "danh-gia": "tong-hop"], "the standard choice stores nothing")
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "notice.preferences").all()
            XCTAssertEqual(audit.count, 1)
            XCTAssertEqual(audit.first?.actor, "canbo")
            let shown = try await canbo.get("/thong-bao/cai-dat")
            XCTAssertTrue(shown.text.contains("name=\"han\" value=\"khong\" checked"))
            // Another account's choices are its own.
            var lanhdao = Browser(app)
            try await lanhdao.login("lanhdao")
            let theirs = try await lanhdao.get("/thong-bao/cai-dat")
            XCTAssertTrue(theirs.text.contains("name=\"han\" value=\"tong-hop\" checked"))
        }
    }

    func testTheOutboxPageTestMailAndRetry() async throws {
        try await withApp { app in
            var admin = Browser(app)
            try await admin.login("quantri")
            let empty = try await admin.get("/cai-dat/thu-di")
            XCTAssertEqual(empty.status, .ok)
            XCTAssertTrue(empty.text.contains("Chưa cấu hình máy chủ thư"))
            let off = try await admin.post("/cai-dat/thu-di/thu-thu", ["dia_chi": "a@nghean.gov.vn"])
            XCTAssertEqual(off.status, .unprocessableEntity)
            XCTAssertTrue(off.text.contains("Chưa ghi máy chủ gửi thư"))

            // Mail settings on the page: the cross rules first.
            let noURL = try await admin.post("/cai-dat", ["thu-may-chu": "mail.nghean.gov.vn"])
            XCTAssertEqual(noURL.status, .unprocessableEntity)
            XCTAssertTrue(noURL.text.contains("Để gửi thư, ghi «Địa chỉ công khai của hệ thống»"), noURL.text)
            let plain = try await admin.post("/cai-dat", ["thu-may-chu": "mail.nghean.gov.vn", "thu-bao-mat": "khong",
                                                          "dia-chi-cong-khai": "https://kpi.nghean.gov.vn"])
            XCTAssertTrue(plain.text.contains("phải dùng STARTTLS"), plain.text)
            let badFrom = try await admin.post("/cai-dat", ["thu-may-chu": "mail.nghean.gov.vn", "thu-nguoi-gui": "kpi at nghean",
                                                            "dia-chi-cong-khai": "https://kpi.nghean.gov.vn"])
            XCTAssertTrue(badFrom.text.contains("«kpi at nghean» không phải địa chỉ thư điện tử"), badFrom.text)
            XCTAssertEqual(app.settings.smtpHost, "", "nothing half-saved")
            let saved = try await admin.post("/cai-dat", ["thu-may-chu": "127.0.0.1", "thu-cong": "9", "thu-bao-mat": "khong",
                                                          "dia-chi-cong-khai": "https://kpi.nghean.gov.vn"])
            XCTAssertEqual(saved.status, .seeOther, saved.text)
            XCTAssertEqual(app.settings.smtpHost, "127.0.0.1")
            XCTAssertEqual(app.settings.smtpPort, 9)

            let notAddress = try await admin.post("/cai-dat/thu-di/thu-thu", ["dia_chi": "ai đó@nghean"])
            XCTAssertEqual(notAddress.status, .unprocessableEntity)
            XCTAssertTrue(notAddress.text.contains("không phải địa chỉ thư điện tử"))
            let test = try await admin.post("/cai-dat/thu-di/thu-thu", ["dia_chi": "Thu.Thu@NgheAn.gov.vn"])
            XCTAssertEqual(test.location, "/cai-dat/thu-di?tb=thu-thu")
            let m = try await OutboxMessage.query(on: app.db).first()!
            XCTAssertEqual(m.recipient, "thu.thu@nghean.gov.vn")
            let value7 = try await AuditEntry.query(on: app.db).filter(\.$action == "mail.test").count() == 1
            XCTAssertTrue(value7)

            // Refused for good, then put back after the fix.
            m.state = OutboxMessage.failed; m.lastError = "550 no such user"; try await m.save(on: app.db)
            let listed = try await admin.get("/cai-dat/thu-di?trang_thai=loi")
            XCTAssertTrue(listed.text.contains("550 no such user"))
            XCTAssertTrue(listed.text.contains("Bị từ chối: <strong>1</strong>"))
            let csv = try await admin.get("/cai-dat/thu-di?dinh_dang=csv")
            XCTAssertTrue(csv.text.contains("thu.thu@nghean.gov.vn"))
            let retried = try await admin.post("/cai-dat/thu-di/gui-lai", ["id": m.id!.uuidString])
            XCTAssertEqual(retried.location, "/cai-dat/thu-di?tb=gui-lai&n=1")
            let value8 = try await OutboxMessage.find(m.id, on: app.db)?.state
            XCTAssertEqual(value8, OutboxMessage.waiting)

            var advisory = Browser(app)
            try await advisory.login("thammuu")
            let refused = try await advisory.get("/cai-dat/thu-di")
            XCTAssertEqual(refused.status, .forbidden)
        }
    }
}
