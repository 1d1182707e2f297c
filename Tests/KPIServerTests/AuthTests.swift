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

    func testWrongPasswordThenGrowingLockout() async throws {
        try await withApp { app in
            var b = Browser(app)
            for i in 1...4 {
                let res = try await b.login("canbo", "sai-mat-khau\(i)")
                XCTAssertEqual(res.status, .unauthorized)
                XCTAssertTrue(res.text.contains("Tên đăng nhập hoặc mật khẩu không đúng."))
            }
            let fifth = try await b.login("canbo", "sai-mat-khau5")
            XCTAssertTrue(fifth.text.contains("tạm bị khóa 1 phút"), fifth.text)
            // Even the right password is refused while the account is held.
            let held = try await b.login("canbo")
            XCTAssertEqual(held.status, .unauthorized)
            XCTAssertTrue(held.text.contains("Vui lòng thử lại sau"))
            let user = try await User.query(on: app.db).filter(\.$username == "canbo").first()!
            XCTAssertEqual(user.failedAttempts, 5)
            XCTAssertNotNil(user.heldUntil)
            let failed = try await AuditEntry.query(on: app.db).filter(\.$action == "login.failed").count()
            XCTAssertEqual(failed, 5)
            // After the hold, the right password works and the counter resets.
            user.heldUntil = Date().addingTimeInterval(-1)
            try await user.save(on: app.db)
            let v3 = try await b.login("canbo").status
            XCTAssertEqual(v3, .seeOther)
            let reset = try await User.query(on: app.db).filter(\.$username == "canbo").first()!
            XCTAssertEqual(reset.failedAttempts, 0)
        }
    }

    func testUnknownUserGetsTheSameAnswer() async throws {
        try await withApp { app in
            var b = Browser(app)
            let res = try await b.login("khong-ton-tai", "abc12345")
            XCTAssertEqual(res.status, .unauthorized)
            XCTAssertTrue(res.text.contains("Tên đăng nhập hoặc mật khẩu không đúng."))
            let empty = try await b.login("", "")
            XCTAssertTrue(empty.text.contains("Vui lòng nhập tên đăng nhập và mật khẩu."))
        }
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
            let session = try await WebSession.query(on: app.db).first()!
            session.lastSeenAt = Date().addingTimeInterval(-2 * 3600)
            try await session.save(on: app.db)
            let res = try await b.get("/danh-muc/co-quan")
            XCTAssertEqual(res.status, .seeOther)
            XCTAssertTrue(res.location.hasPrefix("/dang-nhap?next=%2Fdanh%2Dmuc%2Fco%2Dquan&het-han=1") || res.location.contains("het-han=1"), res.location)
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
            XCTAssertTrue(bad.text.contains("Mật khẩu phải có ít nhất 8 ký tự."))
            XCTAssertTrue(bad.text.contains("Mật khẩu nhập lại không khớp."))
            let wrong = try await b.post("/doi-mat-khau", ["current": "sai", "new": "MatKhau2027", "confirm": "MatKhau2027"])
            XCTAssertTrue(wrong.text.contains("Mật khẩu hiện tại không đúng."))
            let ok = try await b.post("/doi-mat-khau", ["current": DemoData.password, "new": "MatKhau2027", "confirm": "MatKhau2027"])
            XCTAssertEqual(ok.location, "/doi-mat-khau?luu=1")
            let v8 = try await b.get("/danh-muc/co-quan").status
            XCTAssertEqual(v8, .ok)
            var again = Browser(app)
            let v9 = try await again.login("canbo", DemoData.password).status
            XCTAssertEqual(v9, .unauthorized)
            let v10 = try await again.login("canbo", "MatKhau2027").status
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
