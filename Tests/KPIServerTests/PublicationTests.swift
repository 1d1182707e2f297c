import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Công khai kết quả (issue 18, item 2): an agency chooses to publish its approved results as a list or
/// as the count at each level; its people see that, their own line always; audited.
final class PublicationTests: XCTestCase {
    func testAnAgencyPublishesAListOrOnlyTheDistribution() async throws {
        try await withApp { app in
            let me = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-03").first()!
            let other = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-04").first()!
            let month = "\(TestEnv.today.year - 1)-06"
            let mine = try await YearRollupTests.period(app, month, agency: "BTCTU", state: .published, person: me, revisions: [9250])
            // A second sheet in the same period, for the other specialist.
            let e = Evaluation()
            e.id = UUID(); e.periodID = mine.periodID; e.personID = other.id!; e.personCode = other.code; e.isLeader = false
            e.scopePath = other.scopePath; e.selfComment = ""; e.selfRubric = "{}"; e.reviewComment = ""; e.reviewRubric = "{}"
            e.reviewTaskScore = ""; e.reviewedBy = ""; e.level = Level.pass.rawValue; e.hundredths = 6480; e.reasons = "[]"; e.revision = 1
            try await e.create(on: app.db)

            var staff = Browser(app)
            try await staff.login("canbo")
            let list = try await staff.get("/cong-khai")
            XCTAssertEqual(list.status, .ok)
            XCTAssertTrue(list.text.contains(other.fullName), "the list names everyone")
            XCTAssertTrue(list.text.contains("64,80"))
            XCTAssertTrue(list.text.contains("class=\"own\""), "one's own line stands out")
            XCTAssertTrue(list.text.contains("2 người"))
            XCTAssertFalse(list.text.contains("Đổi hình thức"), "a specialist does not choose")
            do { let t = try await staff.get("/cong-khai?ky=\(month)&xep_loai=HTNV").text; XCTAssertTrue(t.contains("1 người")) }
            do { let t = try await staff.get("/cong-khai?q=\(Browser.encode(other.code))").text; XCTAssertTrue(t.contains("1 người")) }
            let csv = try await staff.get("/cong-khai?dinh_dang=csv")
            XCTAssertTrue(csv.text.contains("Xếp loại") && csv.text.contains(other.fullName))
            // Only approved periods: the demonstration's open month of the agency is not there.
            let open = PeriodCode.containing(TestEnv.today, kind: .month).text
            XCTAssertFalse(list.text.contains("value=\"\(open)\""))

            // Who chooses: the agency's head (or its administrators), not a room's leader nor a specialist.
            do { let s = try await staff.get("/co-quan/cai-dat").status; XCTAssertEqual(s, .forbidden) }
            var roomLeader = Browser(app)
            try await roomLeader.login("lanhdao")
            do { let s = try await roomLeader.post("/co-quan/cai-dat", ["co_quan": "BTCTU", "cong_khai": "phan-bo"]).status
                XCTAssertEqual(s, .forbidden) }
            var head = Browser(app)
            try await head.login("truongban")
            let page = try await head.get("/co-quan/cai-dat")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains("value=\"BTCTU\""))
            do { let s = try await head.post("/co-quan/cai-dat", ["co_quan": "BTCTU", "cong_khai": "tat-ca"]).status
                XCTAssertEqual(s, .unprocessableEntity) }
            do { let s = try await head.post("/co-quan/cai-dat", ["co_quan": "SNV", "cong_khai": "phan-bo"]).status
                XCTAssertEqual(s, .notFound, "another agency") }
            let saved = try await head.post("/co-quan/cai-dat", ["co_quan": "BTCTU", "cong_khai": "phan-bo"])
            XCTAssertEqual(saved.status, .seeOther)
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "agency.setting").all()
            XCTAssertTrue(audit.contains { $0.after.contains("\"cong-khai.hinh-thuc\":\"phan-bo\"") })

            // The distribution: no names but one's own result, counts at each level.
            let counts = try await staff.get("/cong-khai")
            XCTAssertFalse(counts.text.contains(other.fullName), "nobody else is named")
            XCTAssertTrue(counts.text.contains("Kết quả của bạn"))
            XCTAssertTrue(counts.text.contains("92,50"))
            XCTAssertTrue(counts.text.contains("50,0%"), counts.text)
            let csv2 = try await staff.get("/cong-khai?dinh_dang=csv")
            XCTAssertTrue(csv2.text.contains("Số người"))
            XCTAssertFalse(csv2.text.contains(other.fullName))

            // An account that is nobody's: told where to look instead.
            let u = User()
            u.id = UUID(); u.username = "khongnguoi"; u.personID = nil
            u.passwordHash = try await app.password.async.hash(DemoData.password)
            u.scopePath = "/"; u.mustChangePassword = false; u.failedAttempts = 0; u.active = true; u.createdAt = app.clock.now
            try await u.create(on: app.db)
            var nobody = Browser(app)
            try await nobody.login("khongnguoi")
            let none = try await nobody.get("/cong-khai")
            XCTAssertEqual(none.status, .ok)
            XCTAssertTrue(none.text.contains("không gắn với cán bộ"), none.text)
        }
    }
}
