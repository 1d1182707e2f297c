import Fluent
import Foundation
@testable import KPIServer
import KPICore
import SQLKit
import XCTVapor
import ZIPFoundation

/// Issue 16's holes, each as a request test: escalation by a unit administrator, the open redirect,
/// error pages for browsers, headers on every response, forged client addresses, formula cells in
/// exports.
final class SecurityTests: XCTestCase {
    func user(_ app: Application, _ name: String) async throws -> User {
        try await User.query(on: app.db).filter(\.$username == name).first()!
    }

    /// Hole 2: a unit administrator raised their own rights, reset the password of a wider account in
    /// their subtree, and could bind accounts to any person.
    func testUnitAdminCannotEscalate() async throws {
        try await withApp { app in
            var sys = Browser(app)
            try await sys.login("quantri")
            // An advisory account for the whole province, held by someone of Sở Nội vụ.
            try await sys.get("/danh-muc/nguoi-dung/moi")
            let made = try await sys.post("/danh-muc/nguoi-dung/moi", ["ma": "thammuu.snv", "ma_can_bo": "CB-SNV-P1-03",
                                                                       "mat_khau_tam": "TamThoi-2026!"])
            XCTAssertEqual(made.status, .seeOther, made.text)
            let wide = try await user(app, "thammuu.snv")
            let granted = try await sys.post("/nguoi-dung/\(wide.id!.uuidString)/quyen", ["vai_tro": "co-quan-tham-muu", "don_vi": ""])
            XCTAssertEqual(granted.status, .seeOther)

            var snv = Browser(app)
            try await snv.login("quantri.snv")
            let page = try await snv.get("/danh-muc/nguoi-dung/\(wide.id!.uuidString)")
            XCTAssertEqual(page.status, .ok, "the account is in their subtree and visible")
            XCTAssertTrue(page.text.contains("vượt quá thẩm quyền của bạn"))
            XCTAssertFalse(page.text.contains("Đặt lại mật khẩu</button>"))
            let reset = try await snv.post("/nguoi-dung/\(wide.id!.uuidString)/dat-lai-mat-khau", [:])
            XCTAssertEqual(reset.status, .forbidden)
            XCTAssertTrue(reset.text.contains("vượt quá thẩm quyền"))
            let grant = try await snv.post("/nguoi-dung/\(wide.id!.uuidString)/quyen", ["vai_tro": "can-bo", "don_vi": "SNV"])
            XCTAssertEqual(grant.status, .forbidden)
            let off = try await snv.post("/danh-muc/nguoi-dung/\(wide.id!.uuidString)/ngung", [:])
            XCTAssertEqual(off.status, .forbidden)
            let renamed = try await snv.post("/danh-muc/nguoi-dung/\(wide.id!.uuidString)/sua", ["ma": "bi.doi.ten",
                "ma_can_bo": "CB-SNV-P1-03"])
            XCTAssertEqual(renamed.status, .unprocessableEntity)
            let after = try await user(app, "thammuu.snv")
            XCTAssertTrue(after.active)
            XCTAssertEqual(after.passwordHash, wide.passwordHash, "nothing changed on the wider account")

            // Their own account: no rebinding to another person, no changes at all.
            let me = try await user(app, "quantri.snv")
            let rebind = try await snv.post("/danh-muc/nguoi-dung/\(me.id!.uuidString)/sua", ["ma": "quantri.snv",
                "ma_can_bo": "CB-SNV-P1-04"])
            XCTAssertEqual(rebind.status, .unprocessableEntity)
            XCTAssertTrue(rebind.text.contains("Không ai tự cấp quyền"), rebind.text)

            // One account per person, and only people they can see.
            let fresh = try await snv.post("/danh-muc/nguoi-dung/moi", ["ma": "moi.snv", "ma_can_bo": "CB-SNV-P1-04",
                                                                        "mat_khau_tam": "TamThoi-2026!"])
            XCTAssertEqual(fresh.status, .seeOther, fresh.text)
            let second = try await snv.post("/danh-muc/nguoi-dung/moi", ["ma": "moi.snv2", "ma_can_bo": "CB-SNV-P1-04",
                                                                         "mat_khau_tam": "TamThoi-2026!"])
            XCTAssertEqual(second.status, .unprocessableEntity)
            XCTAssertTrue(second.text.contains("mỗi người chỉ có một tài khoản"))
            let outside = try await snv.post("/danh-muc/nguoi-dung/moi", ["ma": "ngoai", "ma_can_bo": "CB-BTCTU-P3-04",
                                                                          "mat_khau_tam": "TamThoi-2026!"])
            XCTAssertEqual(outside.status, .unprocessableEntity)
            XCTAssertTrue(outside.text.contains("không tồn tại hoặc ngoài phạm vi của bạn"))
            XCTAssertFalse(outside.text.contains("đã có tài khoản"))

            // Rebinding an account to another person is a system administrator's, audited.
            let moi = try await user(app, "moi.snv")
            let relink = try await snv.post("/danh-muc/nguoi-dung/\(moi.id!.uuidString)/sua", ["ma": "moi.snv",
                "ma_can_bo": "CB-SNV-P1-05"])
            XCTAssertEqual(relink.status, .unprocessableEntity)
            XCTAssertTrue(relink.text.contains(AccountRules.relinkRefusal))
            try await sys.get("/danh-muc/nguoi-dung/\(moi.id!.uuidString)/sua")
            let byAdmin = try await sys.post("/danh-muc/nguoi-dung/\(moi.id!.uuidString)/sua", ["ma": "moi.snv",
                "ma_can_bo": "CB-SNV-P1-05"])
            XCTAssertEqual(byAdmin.status, .seeOther)
            let entry = try await AuditEntry.query(on: app.db).filter(\.$entityID == moi.id!.uuidString)
                .filter(\.$action == "user.update").first()
            XCTAssertTrue(entry?.before.contains("CB-SNV-P1-04") == true && entry?.after.contains("CB-SNV-P1-05") == true)
            XCTAssertEqual(entry?.actor, "quantri")

            // Within reach, a unit administrator still works as before.
            let ok = try await snv.post("/nguoi-dung/\(moi.id!.uuidString)/quyen", ["vai_tro": "lanh-dao", "don_vi": "SNV-P1"])
            XCTAssertEqual(ok.status, .seeOther)
        }
    }

    /// Accounts bound to the same person before the binding was unique: the oldest active keeps it,
    /// the others are unbound, audited, and listed to every system administrator.
    func testDuplicateAccountsAreUnboundByTheMigration() async throws {
        try await withApp { app in
            let sql = app.db.sql
            try await sql.raw("DROP INDEX users_person").run()
            let canbo = try await user(app, "canbo")
            let twin = User()
            twin.id = UUID(); twin.username = "canbo.cu"; twin.passwordHash = "x"; twin.personID = canbo.personID
            twin.scopePath = canbo.scopePath; twin.mustChangePassword = false; twin.failedAttempts = 0; twin.active = true
            twin.lastLoginAt = TestEnv.now.addingTimeInterval(-86_400 * 400)
            try await twin.create(on: app.db)
            canbo.lastLoginAt = TestEnv.now
            try await canbo.save(on: app.db)
            try await AddSecurityControls(clock: app.clock).unlinkDuplicateAccounts(on: app.db)
            let kept = try await user(app, "canbo.cu"), dropped = try await user(app, "canbo")
            XCTAssertEqual(kept.personID, canbo.personID, "the oldest active account keeps the binding")
            XCTAssertNil(dropped.personID)
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "user.unlink").all()
            XCTAssertEqual(audit.map(\.entityID), [canbo.id!.uuidString])
            let quantri = try await user(app, "quantri")
            let notices = try await Notice.query(on: app.db).filter(\.$userID == quantri.id!).filter(\.$kind == "tai-khoan").all()
            XCTAssertEqual(notices.count, 1)
            XCTAssertTrue(notices[0].title.contains("«canbo»"))
        }
    }

    /// Hole 8: `/dang-nhap?next=%2F%5Cevil.example` sent the browser to `/\evil.example`.
    func testSignInRedirectsOnlyWithinTheSite() async throws {
        try await withApp { app in
            for next in ["%2F%5Cevil.example", "%2F%5C%2Fevil.example", "%2F%09%2Fevil.example", "https%3A%2F%2Fevil.example",
                         "%2F%2Fevil.example", "%5C%5Cevil.example", "javascript%3Aalert(1)"] {
                var b = Browser(app)
                try await b.get("/dang-nhap?next=\(next)")
                let res = try await b.post("/dang-nhap?next=\(next)", ["username": "canbo", "password": DemoData.password])
                XCTAssertEqual(res.status, .seeOther)
                XCTAssertEqual(res.location, "/", next)
            }
            var b = Browser(app)
            try await b.get("/dang-nhap")
            let ok = try await b.post("/dang-nhap?next=%2Fviec%3Fxem%3Dda-giao", ["username": "canbo", "password": DemoData.password])
            XCTAssertEqual(ok.location, "/viec?xem=da-giao")
        }
    }

    /// Hole 11: every browser saw a 404 as JSON, because `*/*` "contains" JSON.
    func testErrorPagesAreHTMLForBrowsersAndJSONForAPIClients() async throws {
        try await withApp(demo: false) { app in
            let chromium = """
                text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,image/apng,*/*;q=0.8,\
                application/signed-exchange;v=b3;q=0.7
                """
            let firefox = "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
            for accept in [chromium, firefox, "*/*"] {
                var b = Browser(app)
                b.extraHeaders = ["Accept": accept]
                let res = try await b.get("/khong-co-trang-nay")
                XCTAssertEqual(res.status, .notFound)
                XCTAssertEqual(res.headers.contentType?.subType, "html", accept)
                XCTAssertTrue(res.text.contains("Không tìm thấy trang bạn yêu cầu."))
            }
            var api = Browser(app)
            api.extraHeaders = ["Accept": "application/json"]
            let json = try await api.get("/khong-co-trang-nay")
            XCTAssertEqual(json.headers.contentType?.subType, "problem+json")
            XCTAssertTrue(json.text.contains("\"status\":404"))
            var plain = Browser(app)
            let v = try await plain.get("/api/v1/khong-co")
            XCTAssertEqual(v.headers.contentType?.subType, "problem+json", "the API's paths always answer JSON")
        }
    }

    /// Hole 10: static files and error pages carried no security headers; exports could be cached;
    /// formula cells reached spreadsheets.
    func testHeadersOnEveryResponseAndInertExports() async throws {
        try await withApp { app in
            var b = Browser(app)
            let css = try await b.get("/app.css")
            let missing = try await b.get("/khong-co")
            for res in [css, missing] {
                XCTAssertEqual(res.headers.first(name: "X-Content-Type-Options"), "nosniff")
                XCTAssertEqual(res.headers.first(name: "X-Frame-Options"), "DENY")
                let csp = res.headers.first(name: "Content-Security-Policy") ?? ""
                XCTAssertTrue(csp.contains("form-action 'self'") && csp.contains("base-uri 'none'"), csp)
                XCTAssertNil(res.headers.first(name: "Strict-Transport-Security"), "no HSTS over plain HTTP")
            }
            XCTAssertNotEqual(css.headers.first(name: .cacheControl), "no-store", "static files may be cached")
            XCTAssertEqual(missing.headers.first(name: .cacheControl), "no-store")

            try await b.login("quantri")
            try await b.get("/danh-muc/can-bo/moi")
            let made = try await b.post("/danh-muc/can-bo/moi", ["ma": "CB-CTHUC", "ho_ten": "=HYPERLINK(\"http://x\";\"Bấm\")",
                                                                 "loai": "cong-chuc", "ma_don_vi": "SNV-P1"])
            XCTAssertEqual(made.status, .seeOther, made.text)
            let csv = try await b.get("/danh-muc/can-bo/xuat?dinh_dang=csv&q=CB-CTHUC")
            XCTAssertEqual(csv.headers.first(name: .cacheControl), "no-store")
            XCTAssertTrue(csv.text.contains("'=HYPERLINK"), csv.text)
            let xlsx = try await b.get("/danh-muc/can-bo/xuat?dinh_dang=xlsx&q=CB-CTHUC")
            XCTAssertEqual(xlsx.headers.first(name: .cacheControl), "no-store")
            let rows = try XLSX.read(Data(buffer: xlsx.body))
            XCTAssertTrue(rows.joined().contains { $0.hasPrefix("'=HYPERLINK") })

            app.settings.secureCookies = true
            let secure = try await b.get("/")
            XCTAssertEqual(secure.headers.first(name: "Strict-Transport-Security"), "max-age=31536000; includeSubDomains")
        }
    }

    /// Hole 4: the rate limit trusted the first X-Forwarded-For value, which any client sets.
    func testForwardedForIsBelievedOnlyFromTrustedProxies() async throws {
        try await withApp { app in
            app.settings.ratingsPerWindow = 3
            let done = try await WorkTask.query(on: app.db).filter(\.$state == "hoan-thanh").first()
            let id = try XCTUnwrap(done).id!
            var leader = Browser(app)
            try await leader.login("lanhdao")
            try await leader.get("/viec/\(id)")
            try await leader.post("/viec/\(id)/lien-ket-danh-gia", [:])
            let link = try await RatingLink.query(on: app.db).filter(\.$taskID == id).first()
            let token = try XCTUnwrap(link).token
            var citizen = Browser(app)
            try await citizen.get("/danh-gia/\(token)")
            var statuses: [HTTPStatus] = []
            for i in 1...5 {
                citizen.extraHeaders = ["X-Forwarded-For": "198.51.100.\(i)"]
                statuses.append(try await citizen.post("/danh-gia/\(token)", ["ma_bien_nhan": "XFF-\(i)", "diem": "5"]).status)
            }
            XCTAssertEqual(statuses.suffix(2), [.tooManyRequests, .tooManyRequests], "a forged header changes nothing")

            // Behind a trusted proxy, the rightmost address the proxies did not add is the client's.
            let proxies = TrustedProxies(["127.0.0.0/8", "::1"])
            XCTAssertEqual(proxies.client(peer: "127.0.0.1", forwardedFor: ["198.51.100.7, 203.0.113.9"]), "203.0.113.9")
            XCTAssertEqual(proxies.client(peer: "127.0.0.1", forwardedFor: ["198.51.100.7", "203.0.113.9, 127.0.0.5"]), "203.0.113.9")
            XCTAssertEqual(proxies.client(peer: "203.0.113.50", forwardedFor: ["198.51.100.7"]), "203.0.113.50", "untrusted peer")
            XCTAssertEqual(proxies.client(peer: "127.0.0.1", forwardedFor: ["khong-phai-ip"]), "127.0.0.1")
            XCTAssertEqual(proxies.client(peer: "::ffff:127.0.0.1", forwardedFor: ["2001:db8::1"]), "2001:db8::1")
            XCTAssertEqual(TrustedProxies(["10.0.0.0/8"]).contains("10.200.3.4"), true)
            XCTAssertEqual(TrustedProxies(["10.0.0.0/8"]).contains("11.0.0.1"), false)
            XCTAssertEqual(TrustedProxies(["192.168.1.0/25"]).contains("192.168.1.127"), true)
            XCTAssertEqual(TrustedProxies(["192.168.1.0/25"]).contains("192.168.1.128"), false)

            app.storage[TrustedProxiesKey.self] = proxies
            var behind = Browser(app)
            behind.peer = "127.0.0.1"
            behind.extraHeaders = ["X-Forwarded-For": "198.51.100.7, 203.0.113.9"]
            try await behind.login("canbo")
            let login = try await AuditEntry.query(on: app.db).filter(\.$action == "login").sort(\.$id, .descending).first()
            XCTAssertEqual(login?.ip, "203.0.113.9", "the audit trail records the client, not the proxy")
        }
    }

    /// Hole 6: bodies up to 64 MB were collected before sign-in and CSRF were checked. A visitor may
    /// send only a small form; a signed-in form 1 MB; an upload route its own limit.
    func testBodyLimitsDependOnWhoIsKnownAndTheRoute() async throws {
        try await withApp { app in
            app.settings.evidenceMaxMegabytes = 1
            var visitor = Browser(app)
            try await visitor.get("/dang-nhap")
            let big = try await visitor.post("/dang-nhap", ["username": "canbo", "password": String(repeating: "x", count: 70 * 1024)])
            XCTAssertEqual(big.status, .payloadTooLarge)
            XCTAssertTrue(big.text.contains("quá lớn"), big.text)
            let upload = try await visitor.upload("/nhap-du-lieu", fields: ["danh_muc": "co-quan"], fileField: "tep", fileName: "x.csv",
                                                  data: Data(count: 200 * 1024))
            XCTAssertEqual(upload.status, .payloadTooLarge, "no file from a visitor, whatever the route")

            var b = Browser(app)
            try await b.login("lanhdao")
            let form = try await b.post("/thong-bao/da-doc", ["ghi_chu": String(repeating: "x", count: 1_100_000)])
            XCTAssertEqual(form.status, .payloadTooLarge)
            let task = try await WorkTask.query(on: app.db).filter(\.$state == "dang-thuc-hien").first()
            let id = try XCTUnwrap(task).id!
            var staff = Browser(app)
            try await staff.login("canbo")
            try await staff.get("/viec/\(id)")
            let tooBig = try await staff.upload("/viec/\(id)/minh-chung", fields: ["loai": "tep"], fileField: "tep", fileName: "lon.pdf",
                                                data: Data("%PDF".utf8) + Data(count: 1_400_000))
            XCTAssertEqual(tooBig.status, .payloadTooLarge)
            let within = try await staff.upload("/viec/\(id)/minh-chung", fields: ["loai": "tep"], fileField: "tep", fileName: "nho.pdf",
                                                data: Data("%PDF".utf8) + Data(count: 500_000))
            XCTAssertNotEqual(within.status, .payloadTooLarge)
            // A body that only says it is small is measured as it arrives.
            try await staff.get("/viec/\(id)")
            let lying = try await staff.send(.POST, "/thong-bao/da-doc", headers: ["Content-Type": "application/x-www-form-urlencoded",
                                                                                    "Content-Length": "10"],
                                             body: ByteBuffer(string: "_csrf=\(staff.csrf)&x=" + String(repeating: "y", count: 1_100_000)))
            XCTAssertEqual(lying.status, .payloadTooLarge)
        }
    }

    /// Hole 3: a leader could assign a task to themselves and accept it, extend their own deadline,
    /// void a record against themselves, record their own leave. Each is refused, saying who acts;
    /// the leader above can.
    func testNobodyDecidesOnTheirOwnRecord() async throws {
        try await withApp { app in
            let me = try await Browser.principal(app, "lanhdao"), above = try await Browser.principal(app, "truongban")
            let mine = WorkService(store: app.store, principal: me, actor: .system("test", at: app.clock.now), settings: app.settings)
            let theirs = WorkService(store: app.store, principal: above, actor: .system("test", at: app.clock.now), settings: app.settings)
            var d = TaskDraft(title: "Tự giao cho mình", start: TestEnv.today.iso, due: TestEnv.today.adding(days: 7).iso)
            d.productCode = "SP-LD-01"
            let id = try await mine.create(.init(draft: d, assigneeCodes: ["CB-BTCTU-P3-01"], token: UUID().uuidString))[0]
            func version() async throws -> Int { try await WorkTask.find(id, on: app.db)!.version }
            func refusal(_ body: () async throws -> Void) async -> String {
                do { try await body(); return "" } catch let e as WorkService.Refused { return e.message } catch { return "\(error)" }
            }
            _ = try await mine.act(id, version: try await version(), .requestExtension(newDue: TestEnv.today.adding(days: 20),
                                                                                       reason: "Chờ số liệu"))
            let extend = await refusal { _ = try await mine.act(id, version: try await version(), .approveExtension) }
            XCTAssertEqual(extend, SeparationOfDuties.ownTask)
            _ = try await theirs.act(id, version: try await version(), .refuseExtension(reason: "Không đủ căn cứ"))
            try await mine.addReference(id, kind: "van-ban", text: "20-BC/BTCTU")
            _ = try await mine.act(id, version: try await version(), .submit(evidence: 1, note: ""))
            let accept = await refusal { _ = try await mine.act(id, version: try await version(), .accept(.pass)) }
            XCTAssertEqual(accept, SeparationOfDuties.ownTask)
            let cancel = await refusal { _ = try await mine.act(id, version: try await version(), .cancel(reason: "Thôi")) }
            XCTAssertEqual(cancel, SeparationOfDuties.ownTask)
            _ = try await theirs.act(id, version: try await version(), .accept(.pass))
            let done = try await WorkTask.find(id, on: app.db)!.state
            XCTAssertEqual(done, TaskState.completed.rawValue, "the leader above accepts")

            // Leave: not for oneself.
            let leave = LeaveService(store: app.store, principal: me, actor: .system("test", at: app.clock.now))
            do {
                _ = try await leave.record(personCode: "CB-BTCTU-P3-01", LeaveDraft(kind: "om-dau", from: TestEnv.today.iso,
                                                                                    to: TestEnv.today.adding(days: 40).iso,
                                                                                    basis: "Giấy ra viện"))
                XCTFail("own leave recorded")
            } catch let e as WorkService.Invalid {
                XCTAssertTrue(e.problems.contains { $0.message == SeparationOfDuties.ownLeave })
            }

            // A violation recorded against the leader: they cannot void it, the leader above can.
            var head = Browser(app)
            try await head.login("truongban")
            try await head.get("/ky-luat/moi")
            let made = try await head.post("/ky-luat/moi", ["nguoi": "CB-BTCTU-P3-01", "loai": "vi-pham", "loai_vi_pham": "VP-01",
                                                           "ngay": TestEnv.today.adding(days: -1).display, "ghi_chu": "Đến muộn"])
            XCTAssertEqual(made.status, .seeOther, made.text)
            let record = try await DisciplineRecord.query(on: app.db).filter(\.$personID == me.personID!).first()
            let rid = try XCTUnwrap(record).id!
            var leader = Browser(app)
            try await leader.login("lanhdao")
            try await leader.get("/ky-luat")
            let own = try await leader.post("/ky-luat/\(rid)/huy", ["ly_do": "Nhầm"])
            XCTAssertEqual(own.status, .forbidden)
            XCTAssertTrue(own.text.contains("Không ai tự hủy ghi nhận về chính mình"), own.text)
            let byHead = try await head.post("/ky-luat/\(rid)/huy", ["ly_do": "Có giấy công tác"])
            XCTAssertEqual(byHead.status, .seeOther)
        }
    }

    /// Refused requests (403, and the 404 of an out-of-scope lookup) are audited as "tu-choi", at
    /// most 30 per user in 10 minutes.
    func testRefusedRequestsAreAuditedWithinALimit() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("canbo")
            let forbidden = try await b.get("/nhat-ky")
            XCTAssertEqual(forbidden.status, .forbidden)
            let other = try await b.get("/viec/\(UUID().uuidString)")
            XCTAssertEqual(other.status, .notFound)
            var entries = try await AuditEntry.query(on: app.db).filter(\.$action == "tu-choi").sort(\.$id).all()
            XCTAssertEqual(entries.first?.entityID, "GET /nhat-ky")
            XCTAssertTrue(entries.last?.entityID.hasPrefix("GET /viec/") == true)
            XCTAssertEqual(entries.count, 2)
            XCTAssertEqual(entries.first?.actor, "canbo")
            XCTAssertEqual(entries.first?.after, "{\"status\":\"403\"}")
            for _ in 0..<40 { _ = try await b.get("/nhat-ky") }
            entries = try await AuditEntry.query(on: app.db).filter(\.$action == "tu-choi").all()
            XCTAssertEqual(entries.count, 30, "rate-limited per user")
            app.clock.advance(by: 21 * 60)
            _ = try await b.get("/nhat-ky")
            let later = try await AuditEntry.query(on: app.db).filter(\.$action == "tu-choi").count()
            XCTAssertEqual(later, 31)
        }
    }
}
