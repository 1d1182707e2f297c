import Fluent
@testable import KPIServer
import XCTVapor

final class AuthTests: XCTestCase {
    func testSignInAsEveryDemoRoleAndOut() async throws {
        try await withApp { app in
            for (username, role, _, _) in DemoData.logins {
                var b = Browser(app)
                let res = try await b.login(username)
                XCTAssertEqual(res.status, .seeOther, username)
                XCTAssertEqual(res.location, "/")
                let cookie = res.headers[.setCookie].first { $0.hasPrefix("kpi_session=") } ?? ""
                XCTAssertTrue(cookie.contains("HttpOnly"), cookie)
                XCTAssertTrue(cookie.contains("SameSite=Lax"), cookie)
                let home = try await b.get("/")
                XCTAssertEqual(home.status, .ok)
                XCTAssertTrue(home.text.contains(role.label), "\(username) sees their role")
                let v1 = try await b.post("/dang-xuat", [:]).location
                XCTAssertEqual(v1, "/dang-nhap")
                let v2 = try await b.get("/").status
                XCTAssertEqual(v2, .seeOther, "signed out")
            }
            let actions = try await AuditEntry.query(on: app.db).all().map(\.action)
            XCTAssertEqual(actions.filter { $0 == "login" }.count, DemoData.logins.count)
            XCTAssertEqual(actions.filter { $0 == "logout" }.count, DemoData.logins.count)
        }
    }

    /// Five wrong passwords lock the account for the lock time; a locked account, a wrong password
    /// and an unknown name get the very same answer; failures older than the lock time are
    /// forgotten. Time moves on the application's clock, never by sleeping.
    func testLockoutAnswersIdenticallyAndDecays() async throws {
        try await withApp { app in
            var b = Browser(app)
            var answers: Set<String> = []
            for i in 1...5 {
                let res = try await b.login("canbo", "sai-mat-khau\(i)")
                XCTAssertEqual(res.status, .unauthorized)
                answers.insert(Self.flash(res.text))
            }
            let held = try await b.login("canbo")
            XCTAssertEqual(held.status, .unauthorized, "the right password is refused while locked")
            answers.insert(Self.flash(held.text))
            let unknown = try await b.login("khong-ton-tai", "abc12345")
            answers.insert(Self.flash(unknown.text))
            XCTAssertEqual(answers, [SignInService.wrongCredentials], "one answer for every failure")
            let user = try await User.query(on: app.db).filter(\.$username == "canbo").first()!
            XCTAssertEqual(user.failedAttempts, 5)
            XCTAssertEqual(user.heldUntil, TestEnv.now.addingTimeInterval(15 * 60))
            let failed = try await AuditEntry.query(on: app.db).filter(\.$action == "login.failed").count()
            XCTAssertEqual(failed, 7)
            // 14 minutes later: still locked. 15: open again, and the right password resets the count.
            app.clock.advance(by: 14 * 60)
            let v1 = try await b.login("canbo").status
            XCTAssertEqual(v1, .unauthorized)
            app.clock.advance(by: 60)
            let v2 = try await b.login("canbo").status
            XCTAssertEqual(v2, .seeOther)
            let reset = try await User.query(on: app.db).filter(\.$username == "canbo").first()!
            XCTAssertEqual(reset.failedAttempts, 0)
            // One wrong try every 20 minutes never locks: each is older than the lock time.
            var c = Browser(app)
            for i in 1...8 {
                app.clock.advance(by: 20 * 60)
                let res = try await c.login("lanhdao", "sai\(i)")
                XCTAssertEqual(res.status, .unauthorized)
            }
            app.clock.advance(by: 60)
            let v3 = try await c.login("lanhdao").status
            XCTAssertEqual(v3, .seeOther, "failures decay")
        }
    }

    /// Wrong guesses sent at the same moment each count (the count is one atomic statement).
    func testParallelGuessesEachCount() async throws {
        try await withApp { app in
            try await withThrowingTaskGroup(of: HTTPStatus.self) { group in
                for i in 1...4 {
                    group.addTask {
                        var b = Browser(app)
                        return try await b.login("canbo", "doan-song-song-\(i)").status
                    }
                }
                for try await status in group { XCTAssertEqual(status, .unauthorized) }
            }
            let user = try await User.query(on: app.db).filter(\.$username == "canbo").first()!
            XCTAssertEqual(user.failedAttempts, 4)
        }
    }

    /// Many failures from one address are slowed down (429) without locking anyone out: the same
    /// account still signs in from another address. Unknown names are audited as a digest, and
    /// over-long fields are refused before any work.
    func testThrottlePerAddressWithoutLockingAnyone() async throws {
        try await withApp { app in
            app.settings.loginFailuresPerIP = 5
            var b = Browser(app)
            for i in 1...5 {
                let v = try await b.login("ten-la-\(i)", "x").status
                XCTAssertEqual(v, .unauthorized)
            }
            let slowed = try await b.login("canbo")
            XCTAssertEqual(slowed.status, .tooManyRequests)
            XCTAssertEqual(slowed.headers.first(name: .retryAfter), "600")
            XCTAssertTrue(slowed.text.contains("quá nhiều lần đăng nhập không thành công"), slowed.text)
            var other = Browser(app)
            other.peer = "127.0.0.11"
            let v = try await other.login("canbo").status
            XCTAssertEqual(v, .seeOther, "the account is not locked by an address")
            app.clock.advance(by: 21 * 60)
            let later = try await b.login("canbo").status
            XCTAssertEqual(later, .seeOther, "the address is slowed only for a while")
            let failed = try await AuditEntry.query(on: app.db).filter(\.$action == "login.failed").all()
            XCTAssertEqual(failed.count, 5, "throttled tries do no work and write nothing")
            XCTAssertTrue(failed.allSatisfy { $0.actor.hasPrefix("?") && $0.actor.count == 13 && !$0.actor.contains("ten-la") })
            try await b.get("/dang-nhap")
            let long = try await b.post("/dang-nhap", ["username": String(repeating: "a", count: 1_000), "password": "x"])
            XCTAssertEqual(long.status, .badRequest)
            let v2 = try await AuditEntry.query(on: app.db).filter(\.$action == "login.failed").count()
            XCTAssertEqual(v2, 5)
        }
    }

    /// Privileged roles time out after 15 idle minutes, others after 60; every session ends 12 hours
    /// after sign-in however active. Time moves on the clock.
    func testIdleAndAbsoluteTimeoutsPerRole() async throws {
        try await withApp { app in
            var admin = Browser(app)
            try await admin.login("quantri")
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            var staff = Browser(app)
            try await staff.login("canbo")
            app.clock.advance(by: 14 * 60)
            let v1 = try await advisory.get("/").status
            XCTAssertEqual(v1, .ok, "14 idle minutes: still in")
            app.clock.advance(by: 16 * 60)
            let v2 = try await admin.get("/")
            XCTAssertEqual(v2.status, .seeOther, "a system administrator idle 30 minutes is out")
            XCTAssertTrue(v2.location.contains("het-han=1"))
            let v3 = try await advisory.get("/").status
            XCTAssertEqual(v3, .seeOther, "an advisory account idle 16 minutes is out")
            let v4 = try await staff.get("/").status
            XCTAssertEqual(v4, .ok, "staff: 60 minutes")
            app.clock.advance(by: 61 * 60)
            let v5 = try await staff.get("/").status
            XCTAssertEqual(v5, .seeOther)

            var busy = Browser(app)
            try await busy.login("lanhdao")
            for _ in 0..<14 {
                app.clock.advance(by: 50 * 60)
                let v = try await busy.get("/").status
                XCTAssertEqual(v, .ok)
            }
            app.clock.advance(by: 50 * 60)
            let v6 = try await busy.get("/").status
            XCTAssertEqual(v6, .seeOther, "12 hours after sign-in the session ends however active")
        }
    }

    /// A password from before the policy (the demo's old one) works once more, and leads straight
    /// to the change form.
    func testPasswordsBelowThePolicyMustBeChanged() async throws {
        try await withApp { app in
            let user = try await User.query(on: app.db).filter(\.$username == "canbo").first()!
            user.passwordHash = try Bcrypt.hash("Demo@2026", cost: 4)
            try await user.save(on: app.db)
            var b = Browser(app)
            let res = try await b.login("canbo", "Demo@2026")
            XCTAssertEqual(res.location, "/doi-mat-khau")
            let page = try await b.get("/viec")
            XCTAssertEqual(page.location, "/doi-mat-khau")
            try await b.get("/doi-mat-khau")
            let weak = try await b.post("/doi-mat-khau", ["current": "Demo@2026", "new": "Password@2026!", "confirm": "Password@2026!"])
            XCTAssertEqual(weak.status, .unprocessableEntity)
            XCTAssertTrue(weak.text.contains("Mật khẩu quá phổ biến"), String(weak.text.suffix(3000)))
            let ok = try await b.post("/doi-mat-khau", ["current": "Demo@2026", "new": "Song-Lam-xanh-7", "confirm": "Song-Lam-xanh-7"])
            XCTAssertEqual(ok.location, "/doi-mat-khau?luu=1")
            let v = try await b.get("/viec").status
            XCTAssertEqual(v, .ok)
        }
    }

    static func flash(_ html: String) -> String {
        guard let r = html.range(of: "class=\"flash error\""), let start = html[r.upperBound...].firstIndex(of: ">"),
              let end = html[start...].range(of: "</") else { return "" }
        return String(html[html.index(after: start)..<end.lowerBound])
    }

    func testForgedOrMissingCSRFIsRefused() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.get("/dang-nhap")
            let forged = try await b.post("/dang-nhap", ["username": "quantri", "password": DemoData.password], csrf: "gia-mao")
            XCTAssertEqual(forged.status, .forbidden)
            XCTAssertTrue(forged.text.contains("Biểu mẫu đã hết hạn hoặc không hợp lệ"))
            let v4 = try await b.login("quantri").status
            XCTAssertEqual(v4, .seeOther)
            try await b.get("/danh-muc/co-quan/moi")
            let res = try await b.post("/danh-muc/co-quan/moi", ["ma": "X1", "ten": "X", "khoi": "dang", "cap": "tinh"], csrf: "")
            XCTAssertEqual(res.status, .forbidden)
            let count = try await Organization.query(on: app.db).filter(\.$code == "X1").count()
            XCTAssertEqual(count, 0, "nothing written")
            // The pre-login token is not accepted once signed in.
            let other = try await b.post("/dang-xuat", [:], csrf: b.cookies["kpi_pre"] ?? "x")
            XCTAssertEqual(other.status, .forbidden)
        }
    }

    func testExpiredSessionAsksToSignInAgain() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.login("canbo")
            app.clock.advance(by: 61 * 60)
            let res = try await b.get("/danh-muc/co-quan")
            XCTAssertEqual(res.status, .seeOther)
            XCTAssertEqual(res.location, "/dang-nhap?next=%2Fdanh%2Dmuc%2Fco%2Dquan&het-han=1")
            let login = try await b.get(res.location)
            XCTAssertTrue(login.text.contains("Phiên làm việc đã hết hạn"))
            let v5 = try await WebSession.query(on: app.db).count()
            XCTAssertEqual(v5, 0)
        }
    }

    func testRedirectAfterSignInStaysOnThisSite() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.get("/dang-nhap")
            let res = try await b.post("/dang-nhap?next=//evil.example/x", ["username": "canbo", "password": DemoData.password])
            XCTAssertEqual(res.location, "/")
            var c = Browser(app)
            try await c.get("/dang-nhap")
            let ok = try await c.post("/dang-nhap?next=%2Fdanh-muc%2Fcan-bo", ["username": "canbo", "password": DemoData.password])
            XCTAssertEqual(ok.location, "/danh-muc/can-bo")
        }
    }

    func testForcedPasswordChangeAtFirstSignIn() async throws {
        try await withApp { app in
            let user = try await User.query(on: app.db).filter(\.$username == "canbo").first()!
            user.mustChangePassword = true
            try await user.save(on: app.db)
            var b = Browser(app)
            let v6 = try await b.login("canbo").location
            XCTAssertEqual(v6, "/doi-mat-khau")
            let v7 = try await b.get("/danh-muc/co-quan").location
            XCTAssertEqual(v7, "/doi-mat-khau", "every page leads to the change form")
            let page = try await b.get("/doi-mat-khau")
            XCTAssertTrue(page.text.contains("vui lòng đặt mật khẩu mới"))
            let bad = try await b.post("/doi-mat-khau", ["current": DemoData.password, "new": "ngan", "confirm": "khac"])
            XCTAssertEqual(bad.status, .unprocessableEntity)
            XCTAssertTrue(bad.text.contains("Mật khẩu phải có ít nhất 12 ký tự."))
            XCTAssertTrue(bad.text.contains("Mật khẩu nhập lại không khớp."))
            let wrong = try await b.post("/doi-mat-khau", ["current": "sai", "new": "NgayMoi-2027!", "confirm": "NgayMoi-2027!"])
            XCTAssertTrue(wrong.text.contains("Mật khẩu hiện tại không đúng."))
            let ok = try await b.post("/doi-mat-khau", ["current": DemoData.password, "new": "NgayMoi-2027!", "confirm": "NgayMoi-2027!"])
            XCTAssertEqual(ok.location, "/doi-mat-khau?luu=1")
            let v8 = try await b.get("/danh-muc/co-quan").status
            XCTAssertEqual(v8, .ok)
            var again = Browser(app)
            let v9 = try await again.login("canbo", DemoData.password).status
            XCTAssertEqual(v9, .unauthorized)
            let v10 = try await again.login("canbo", "NgayMoi-2027!").status
            XCTAssertEqual(v10, .seeOther)
            let v11 = try await AuditEntry.query(on: app.db).filter(\.$action == "password.change").count()
            XCTAssertEqual(v11, 1)
        }
    }

    func testHealthAndSecurityHeaders() async throws {
        try await withApp(demo: false) { app in
            var b = Browser(app)
            let res = try await b.get("/healthz")
            XCTAssertEqual(res.status, .ok)
            XCTAssertTrue(res.text.contains("\"database\":\"ok\""))
            let login = try await b.get("/dang-nhap")
            XCTAssertEqual(login.headers.first(name: "X-Frame-Options"), "DENY")
            XCTAssertTrue(login.headers.first(name: "Content-Security-Policy")?.contains("default-src 'self'") == true)
            XCTAssertTrue(login.text.contains("<html lang=\"vi\">"))
            let missing = try await b.get("/khong-co-trang-nay")
            XCTAssertEqual(missing.status, .notFound)
            XCTAssertTrue(missing.text.contains("Không tìm thấy trang bạn yêu cầu."))
        }
    }
}
