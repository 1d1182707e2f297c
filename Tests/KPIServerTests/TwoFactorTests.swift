import Fluent
import Foundation
@testable import KPIServer
import KPICore
import SQLKit
import XCTVapor

/// Xác thực hai bước (issue 16): TOTP as RFC 6238 computes it, the second step of signing in, set-up
/// with recovery codes, forced set-up for the roles that require it, an administrator's reset, and
/// the secret sealed at rest. Time moves on the application's clock.
final class TwoFactorTests: XCTestCase {
    /// RFC 6238, appendix B (SHA-1, the secret "12345678901234567890"), last six digits.
    func testCodesMatchTheRFCVectors() {
        let secret = Array("12345678901234567890".utf8)
        XCTAssertEqual(Base32.encode(secret), "GEZDGNBVGY3TQOJQGEZDGNBVGY3TQOJQ")
        XCTAssertEqual(Base32.decode("gezd gnbv-gy3tqojqgezdgnbvgy3tqojq"), secret)
        let vectors: [(TimeInterval, String)] = [(59, "287082"), (1_111_111_109, "081804"), (1_111_111_111, "050471"),
                                                 (1_234_567_890, "005924"), (2_000_000_000, "279037"), (20_000_000_000, "353130")]
        for (t, code) in vectors {
            XCTAssertEqual(TOTP.code(secret: secret, step: TOTPRules.step(at: Date(timeIntervalSince1970: t))), code, "at \(t)")
        }
        let at = Date(timeIntervalSince1970: 59)
        XCTAssertEqual(TOTP.matchingStep(secret: secret, typed: "287 082", at: at, lastUsed: nil), 1)
        XCTAssertNil(TOTP.matchingStep(secret: secret, typed: "287082", at: at, lastUsed: 1), "a code works once")
        XCTAssertNil(TOTP.matchingStep(secret: secret, typed: "287083", at: at, lastUsed: nil))
        // One step late still works (a phone clock 30 s behind), two steps do not.
        XCTAssertEqual(TOTP.matchingStep(secret: secret, typed: "287082", at: at.addingTimeInterval(30), lastUsed: nil), 1)
        XCTAssertNil(TOTP.matchingStep(secret: secret, typed: "287082", at: at.addingTimeInterval(61), lastUsed: nil))
    }

    func testAPrivilegedDemoAccountSignsInWithACodeAfterItsPassword() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.get("/dang-nhap")
            let first = try await b.post("/dang-nhap", ["username": "quantri", "password": DemoData.password])
            XCTAssertEqual(first.status, .seeOther)
            XCTAssertTrue(first.location.hasPrefix("/dang-nhap/ma-xac-thuc"))
            // A right password alone opens nothing.
            let before = try await b.get("/viec")
            XCTAssertEqual(before.status, .seeOther)
            XCTAssertTrue(before.location.hasPrefix("/dang-nhap?"))
            let wrong = try await b.secondStep("/dang-nhap/ma-xac-thuc?next=%2F", code: "000000")
            XCTAssertEqual(wrong.status, .unauthorized)
            XCTAssertTrue(wrong.text.contains("Mã xác thực không đúng"))
            let code = try await b.totpNow("quantri")
            let ok = try await b.post("/dang-nhap/ma-xac-thuc?next=%2Fviec", ["code": code])
            XCTAssertEqual(ok.location, "/viec")
            let page = try await b.get("/viec").status
            XCTAssertEqual(page, .ok)
            let login = try await AuditEntry.query(on: app.db).filter(\.$action == "login").filter(\.$actor == "quantri").first()
            XCTAssertTrue(login?.after.contains("totp") == true)
            // The same code again (same 30 seconds) is refused: a code works once.
            var again = Browser(app)
            try await again.get("/dang-nhap")
            let second = try await again.post("/dang-nhap", ["username": "quantri", "password": DemoData.password])
            let replay = try await again.secondStep(second.location, code: code)
            XCTAssertEqual(replay.status, .unauthorized)
            // The next step's code works.
            let next = TOTP.code(secret: DemoData.totpSecret("quantri"), step: TOTPRules.step(at: app.clock.now) + 1)
            let later = try await again.post(second.location, ["code": next])
            XCTAssertEqual(later.status, .seeOther)
        }
    }

    func testWrongCodesLockTheAccountAndTheStepExpires() async throws {
        try await withApp { app in
            var b = Browser(app)
            try await b.get("/dang-nhap")
            let first = try await b.post("/dang-nhap", ["username": "thammuu", "password": DemoData.password])
            try await b.get(first.location)
            for _ in 0..<4 {
                let r = try await b.post(first.location, ["code": "111111"])
                XCTAssertEqual(r.status, .unauthorized)
            }
            let fifth = try await b.post(first.location, ["code": "111111"])
            XCTAssertTrue(fifth.text.contains("Phiên xác thực hai bước đã hết hạn"), "five wrong codes end the step")
            let user = try await User.query(on: app.db).filter(\.$username == "thammuu").first()!
            XCTAssertNotNil(user.heldUntil, "wrong codes count as failed sign-ins: the account is held")
            let found1 = try await AuditEntry.query(on: app.db).filter(\.$action == "login.failed").count()
            XCTAssertEqual(found1, 5)

            // Another account: five minutes without a code and the step is gone.
            var c = Browser(app)
            try await c.get("/dang-nhap")
            let step = try await c.post("/dang-nhap", ["username": "quantri", "password": DemoData.password])
            app.clock.advance(by: 301)
            let late = try await c.secondStep(step.location, code: try await c.totpNow("quantri"))
            XCTAssertEqual(late.status, .unauthorized)
            XCTAssertTrue(late.text.contains("đã hết hạn"))
        }
    }

    /// A unit administrator without two-step sign-in (after a reset) can only set it up; set-up shows
    /// a QR code and the key, takes a code, and gives ten recovery codes once; a recovery code signs
    /// in once.
    func testForcedSetUpRecoveryCodesAndAnAdministratorsReset() async throws {
        try await withApp { app in
            let snv = try await User.query(on: app.db).filter(\.$username == "quantri.snv").first()!
            var admin = Browser(app)
            try await admin.login("quantri")
            try await admin.get("/danh-muc/nguoi-dung/\(snv.id!.uuidString)")
            let reset = try await admin.post("/nguoi-dung/\(snv.id!.uuidString)/dat-lai-xac-thuc", [:])
            XCTAssertEqual(reset.status, .seeOther)
            let found2 = try await AuditEntry.query(on: app.db).filter(\.$action == "mfa.reset").count()
            XCTAssertEqual(found2, 1)
            let found3 = try await Notice.query(on: app.db).filter(\.$userID == snv.id!).filter(\.$kind == "tai-khoan").count()
            XCTAssertEqual(found3, 1)
            // Nobody resets their own, nor an account beyond their reach.
            let quantri = try await User.query(on: app.db).filter(\.$username == "quantri").first()!
            let own = try await admin.post("/nguoi-dung/\(quantri.id!.uuidString)/dat-lai-xac-thuc", [:]).status
            XCTAssertEqual(own, .forbidden)

            var b = Browser(app)
            let signIn = try await b.login("quantri.snv")
            XCTAssertEqual(signIn.location, "/", "no second step: it is not set up")
            let blocked = try await b.get("/danh-muc/nguoi-dung")
            XCTAssertEqual(blocked.location, "/xac-thuc-hai-buoc")
            let intro = try await b.get("/xac-thuc-hai-buoc")
            XCTAssertTrue(intro.text.contains("bắt buộc xác thực hai bước"))
            let beyond = try await b.post("/nguoi-dung/\(quantri.id!.uuidString)/dat-lai-xac-thuc", [:])
            XCTAssertEqual(beyond.location, "/xac-thuc-hai-buoc", "nothing else opens before set-up")
            try await b.post("/xac-thuc-hai-buoc/bat-dau", [:])
            let setUp = try await b.get("/xac-thuc-hai-buoc")
            XCTAssertTrue(setUp.text.contains("<svg"), "the QR code is drawn on the page")
            let secretText = try XCTUnwrap(setUp.text.range(of: "data-secret=\"").map { r in
                String(setUp.text[r.upperBound...].prefix { $0 != "\"" })
            })
            let secret = try XCTUnwrap(Base32.decode(secretText))
            XCTAssertEqual(secret.count, 20)
            // The secret is sealed in the database, not written as it is.
            let stored = try await User.find(snv.id, on: app.db)!
            XCTAssertFalse((stored.mfaPendingSecret ?? "").contains(secretText))
            let bad = try await b.post("/xac-thuc-hai-buoc/xac-nhan", ["code": "12345"])
            XCTAssertEqual(bad.status, .unprocessableEntity)
            let done = try await b.post("/xac-thuc-hai-buoc/xac-nhan", ["code": try await b.totpNow("quantri.snv", secret: secret)])
            XCTAssertEqual(done.status, .ok)
            let codes = done.text.components(separatedBy: "<li><code>").dropFirst().map { String($0.prefix(11)) }
            XCTAssertEqual(codes.count, 10)
            XCTAssertTrue(codes.allSatisfy { RecoveryCodes.normalized($0) != nil })
            let open = try await b.get("/danh-muc/nguoi-dung").status
            XCTAssertEqual(open, .ok)
            // A required role cannot turn it off.
            let off = try await b.post("/xac-thuc-hai-buoc/tat", ["code": try await b.totpNow("quantri.snv", secret: secret)])
            XCTAssertEqual(off.status, .unprocessableEntity)
            XCTAssertTrue(off.text.contains("không thể tắt"))

            // A lost phone: a recovery code signs in, once.
            for attempt in 0..<2 {
                var lost = Browser(app)
                try await lost.get("/dang-nhap")
                let step = try await lost.post("/dang-nhap", ["username": "quantri.snv", "password": DemoData.password])
                let r = try await lost.secondStep(step.location, code: codes[3].uppercased())
                XCTAssertEqual(r.status, attempt == 0 ? .seeOther : .unauthorized)
            }
            let status = try await b.get("/xac-thuc-hai-buoc")
            XCTAssertTrue(status.text.contains("<strong>9</strong> mã khôi phục"))
        }
    }

    func testTheSecretIsBoundToItsAccountAndKey() async throws {
        try await withApp { app in
            let box = app.secretBox
            let a = UUID(), b = UUID()
            let sealed = try box.seal([1, 2, 3], for: a)
            XCTAssertEqual(box.open(sealed, for: a), [1, 2, 3])
            XCTAssertNil(box.open(sealed, for: b), "moved to another account, it does not open")
            XCTAssertNil(SecretBox(key: .init(size: .bits256)).open(sealed, for: a), "another key does not open it")
            // Swapping two accounts' sealed secrets in the database breaks both sign-ins.
            let quantri = try await User.query(on: app.db).filter(\.$username == "quantri").first()!
            let thammuu = try await User.query(on: app.db).filter(\.$username == "thammuu").first()!
            try await User.query(on: app.db).filter(\.$id == quantri.id!).set(\.$mfaSecret, to: thammuu.mfaSecret).update()
            var c = Browser(app)
            try await c.get("/dang-nhap")
            let step = try await c.post("/dang-nhap", ["username": "quantri", "password": DemoData.password])
            let r = try await c.secondStep(step.location, code: try await c.totpNow("thammuu"))
            XCTAssertEqual(r.status, .unauthorized)
        }
    }

    func testOptionalForOthersAndTheRequiredRolesAreConfigured() async throws {
        XCTAssertEqual(Settings.from(environment: [:]).mfaRequiredRoles, [.systemAdmin, .unitAdmin, .advisory])
        XCTAssertEqual(Settings.from(environment: ["KPI_MFA_REQUIRED_ROLES": "none"]).mfaRequiredRoles, [])
        XCTAssertEqual(Settings.from(environment: ["KPI_MFA_REQUIRED_ROLES": "lanh-dao, quan-tri-he-thong"]).mfaRequiredRoles,
                       [.leader, .systemAdmin])
        try await withApp { app in
            // A staff member signs in with the password only, may set it up, and may turn it off.
            var b = Browser(app)
            let first = try await b.login("canbo")
            XCTAssertEqual(first.location, "/")
            let page = try await b.get("/xac-thuc-hai-buoc")
            XCTAssertTrue(page.text.contains("Bắt đầu thiết lập"))
            try await b.post("/xac-thuc-hai-buoc/bat-dau", [:])
            let setUp = try await b.get("/xac-thuc-hai-buoc")
            let secretText = String(setUp.text[setUp.text.range(of: "data-secret=\"")!.upperBound...].prefix { $0 != "\"" })
            let secret = Base32.decode(secretText)!
            try await b.post("/xac-thuc-hai-buoc/xac-nhan", ["code": try await b.totpNow("canbo", secret: secret)])
            var again = Browser(app)
            try await again.get("/dang-nhap")
            let step = try await again.post("/dang-nhap", ["username": "canbo", "password": DemoData.password])
            XCTAssertTrue(step.location.hasPrefix("/dang-nhap/ma-xac-thuc"), "once on, every sign-in asks for the code")
            let off = try await b.post("/xac-thuc-hai-buoc/tat", ["code": try await b.totpNow("canbo", secret: secret)])
            XCTAssertEqual(off.location, "/xac-thuc-hai-buoc")
            let actions = try await AuditEntry.query(on: app.db).filter(\.$actor == "canbo").sort(\.$id).all().map(\.action)
            XCTAssertEqual(actions.filter { $0.hasPrefix("mfa.") }, ["mfa.begin", "mfa.enable", "mfa.disable"])
        }
    }
}
