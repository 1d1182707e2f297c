import Fluent
import Foundation
@testable import KPIServer
import KPICore
import XCTVapor

/// Level-3 controls of issue 16 around an account's life: the session list, inactive accounts,
/// people who leave. Time moves on the application's clock.
final class AccountLifecycleTests: XCTestCase {
    func testUsersSeeAndEndTheirSessionsAndAdminsEndOthers() async throws {
        try await withApp { app in
            var office = Browser(app)
            office.peer = "127.0.0.21"
            try await office.login("canbo")
            var phone = Browser(app)
            phone.peer = "127.0.0.22"
            try await phone.login("canbo")
            let list = try await office.get("/phien-dang-nhap")
            XCTAssertEqual(list.status, .ok)
            XCTAssertTrue(list.text.contains("127.0.0.21") && list.text.contains("127.0.0.22"))
            XCTAssertTrue(list.text.contains("Phiên này"))
            XCTAssertTrue(list.text.contains("2 phiên"))
            // Someone else's session cannot be ended from here: 404, nothing changes.
            var other = Browser(app)
            try await other.login("lanhdao")
            let theirs = try await WebSession.query(on: app.db).all()
            let canbo = try await User.query(on: app.db).filter(\.$username == "canbo").first()!
            let foreign = theirs.first { $0.userID != canbo.id }!
            let refused = try await office.post("/phien-dang-nhap/\(foreign.id!.uuidString)/ket-thuc", [:])
            XCTAssertEqual(refused.status, .notFound)
            let phoneSession = theirs.first { $0.userID == canbo.id && $0.ip == "127.0.0.22" }!
            let ended = try await office.post("/phien-dang-nhap/\(phoneSession.id!.uuidString)/ket-thuc", [:])
            XCTAssertEqual(ended.location, "/phien-dang-nhap?tb=ket-thuc")
            let out = try await phone.get("/viec").status
            XCTAssertEqual(out, .seeOther, "the ended session signs in again")
            let still = try await office.get("/viec").status
            XCTAssertEqual(still, .ok)
            let xlsx = try await office.get("/phien-dang-nhap?dinh_dang=xlsx")
            XCTAssertEqual(xlsx.headers.contentType?.subType, "vnd.openxmlformats-officedocument.spreadsheetml.sheet")

            // A system administrator ends every session of canbo.
            var admin = Browser(app)
            try await admin.login("quantri")
            try await admin.get("/danh-muc/nguoi-dung/\(canbo.id!.uuidString)")
            let all = try await admin.post("/nguoi-dung/\(canbo.id!.uuidString)/ket-thuc-phien", [:])
            XCTAssertEqual(all.location, "/danh-muc/nguoi-dung/\(canbo.id!.uuidString)?phien=1")
            let gone = try await office.get("/viec").status
            XCTAssertEqual(gone, .seeOther)
            let actions = try await AuditEntry.query(on: app.db).filter(\.$entityID == canbo.id!.uuidString).all().map(\.action)
            XCTAssertTrue(actions.contains("session.end") && actions.contains("session.end-all"))
            // A unit administrator cannot end a system administrator's sessions.
            var snv = Browser(app)
            try await snv.login("quantri.snv")
            let quantri = try await User.query(on: app.db).filter(\.$username == "quantri").first()!
            let v = try await snv.post("/nguoi-dung/\(quantri.id!.uuidString)/ket-thuc-phien", [:]).status
            XCTAssertEqual(v, .notFound)
        }
    }

    /// Accounts not signed in to for 45 days are disabled by the daily job, audited and listed to the
    /// administrators; the last system administrator is kept.
    func testInactiveAccountsAreDisabledButNeverTheLastAdministrator() async throws {
        try await withApp { app in
            var lead = Browser(app)
            try await lead.login("lanhdao")
            app.clock.advance(by: 44 * 86_400)
            try await lead.login("lanhdao")
            _ = try await DeadlineJob.run(app)
            let early = try await User.query(on: app.db).filter(\.$active == false).count()
            XCTAssertEqual(early, 0, "44 days: nobody yet")
            app.clock.advance(by: 2 * 86_400)
            _ = try await DeadlineJob.run(app)
            let off = try await User.query(on: app.db).filter(\.$active == false).all().map(\.username).sorted()
            XCTAssertEqual(off, ["canbo", "kiemtra", "quantri.snv", "thammuu", "truongban"],
                           "the demo accounts idle since they were made, except lanhdao (signed in) and quantri (the last administrator)")
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "user.inactive").count()
            XCTAssertEqual(audit, 5)
            let quantri = try await User.query(on: app.db).filter(\.$username == "quantri").first()!
            let listed = try await Notice.query(on: app.db).filter(\.$userID == quantri.id!).filter(\.$kind == "tai-khoan").count()
            XCTAssertEqual(listed, 5)
            _ = try await DeadlineJob.run(app)
            let again = try await AuditEntry.query(on: app.db).filter(\.$action == "user.inactive").count()
            XCTAssertEqual(again, 5, "once each")
            var b = Browser(app)
            let v = try await b.login("canbo").status
            XCTAssertEqual(v, .unauthorized)
        }
    }

    /// A person who stops working here loses their sign-in at once.
    func testDeactivatingAPersonDisablesTheirAccount() async throws {
        try await withApp { app in
            var staff = Browser(app)
            try await staff.login("canbo")
            var admin = Browser(app)
            try await admin.login("quantri")
            let person = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-03").first()!
            try await admin.get("/danh-muc/can-bo/\(person.id!.uuidString)/ngung")
            let res = try await admin.post("/danh-muc/can-bo/\(person.id!.uuidString)/ngung", [:])
            XCTAssertEqual(res.status, .seeOther, res.text)
            let user = try await User.query(on: app.db).filter(\.$username == "canbo").first()!
            XCTAssertFalse(user.active)
            let v = try await staff.get("/viec").status
            XCTAssertEqual(v, .seeOther, "the open session ended too")
        }
    }
}
