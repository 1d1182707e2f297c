import Fluent
import Foundation
import KPICore
import SQLKit
@testable import KPIServer
import XCTVapor

/// Cài đặt (issue 18, item 2): settings and the working-day calendar changed on a page — checked,
/// all or nothing, audited, in force at once, the environment still first.
final class SettingsTests: XCTestCase {
    func testSettingsAreCheckedSavedAuditedAndInForce() async throws {
        try await withApp { app in
            var admin = Browser(app)
            try await admin.login("quantri")
            let page = try await admin.get("/cai-dat")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains("Tự đăng xuất khi không thao tác (phút)"))
            XCTAssertTrue(page.text.contains("Cho phép: từ 5 đến 480."))
            XCTAssertEqual(app.settings.warnSoonDays, 2)

            // One value out of range: nothing is saved, the other values are shown again as typed.
            let bad = try await admin.post("/cai-dat", ["canh-bao-sap-den-han": "6", "phien-khong-thao-tac": "2",
                                                        "mat-khau-toi-thieu": "8"])
            XCTAssertEqual(bad.status, .unprocessableEntity)
            XCTAssertTrue(bad.text.contains("""
                «Tự đăng xuất khi không thao tác (phút)»: 2 ngoài khoảng cho phép, từ 5 đến 480.
                """), bad.text)
            XCTAssertTrue(bad.text.contains("«Độ dài mật khẩu tối thiểu (ký tự)»: 8 ngoài khoảng cho phép"))
            XCTAssertTrue(bad.text.contains("value=\"6\""), "what was typed is kept")
            let none = try await SystemSetting.query(on: app.db).count()
            XCTAssertEqual(none, 0)
            XCTAssertEqual(app.settings.warnSoonDays, 2)

            let ok = try await admin.post("/cai-dat", ["canh-bao-sap-den-han": "5", "dia-chi-cong-khai": "https://kpi.nghean.gov.vn/",
                                                       "phien-khong-thao-tac": "60"])
            XCTAssertEqual(ok.status, .seeOther)
            XCTAssertEqual(ok.location, "/cai-dat?tb=luu&n=2#thong-so")
            XCTAssertEqual(app.settings.warnSoonDays, 5, "in force at once")
            XCTAssertEqual(app.settings.publicURL, "https://kpi.nghean.gov.vn")
            let audited = try await AuditEntry.query(on: app.db).filter(\.$action == "settings.update").all()
            XCTAssertEqual(Set(audited.map(\.entityID)), ["canh-bao-sap-den-han", "dia-chi-cong-khai"])
            XCTAssertTrue(audited.contains { $0.before.contains("\"2\"") && $0.after.contains("\"5\"") })
            let again = try await admin.post("/cai-dat", ["canh-bao-sap-den-han": "5"])
            XCTAssertEqual(again.location, "/cai-dat?tb=luu&n=0#thong-so")

            // Another process saved a value: read within the minute (the refresh job's reload).
            let row = SystemSetting()
            row.key = "han-tra-loi-kien-nghi"; row.value = "15"; row.updatedBy = "khac"; row.updatedAt = app.clock.now
            try await row.create(on: app.db)
            try await SettingsService.reload(store: app.store, box: app.settingsBox!)
            XCTAssertEqual(app.settings.complaintAnswerDays, 15)

            // The environment comes first: its value stands and the page says where to change it.
            var fromEnv = app.settings
            fromEnv.setByEnvironment = ["KPI_WARN_SOON_DAYS"]
            fromEnv.warnSoonDays = 7
            app.settings = fromEnv
            XCTAssertEqual(app.settings.warnSoonDays, 7)
            XCTAssertEqual(app.settings.complaintAnswerDays, 15, "the saved values still apply to the rest")
            let shown = try await admin.get("/cai-dat")
            XCTAssertTrue(shown.text.contains("Đặt bởi biến môi trường <code>KPI_WARN_SOON_DAYS</code>"))
            _ = try await admin.post("/cai-dat", ["canh-bao-sap-den-han": "9"])
            XCTAssertEqual(app.settings.warnSoonDays, 7)

            // Nobody but a system administrator.
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            let refused = try await advisory.post("/cai-dat", ["canh-bao-sap-den-han": "1"])
            XCTAssertEqual(refused.status, .forbidden)
        }
    }

    func testTheCalendarMovesDeadlinesAndRefusesWhatCannotBe() async throws {
        try await withApp { app in
            var admin = Browser(app)
            try await admin.login("quantri")
            let year = TestEnv.today.year + 1
            // A Monday in that year and the Saturday before it.
            var monday = DateOnly(year: year, month: 3, day: 2)!
            while monday.weekday != 1 { monday = monday.adding(days: 1) }
            let friday = monday.adding(days: -3)
            let before = try await DeadlineJob.calendar(app.store).adding(workingDays: 1, to: friday)
            XCTAssertEqual(before, monday)

            let outside = try await admin.post("/cai-dat/lich", ["nam": String(year), "ngay": "01/03/\(year + 1)", "loai": "nghi",
                                                                 "ten": "Ngày thử"])
            XCTAssertEqual(outside.status, .unprocessableEntity)
            XCTAssertTrue(outside.text.contains("không thuộc năm \(year)"), outside.text)
            let added = try await admin.post("/cai-dat/lich", ["nam": String(year), "ngay": monday.display, "loai": "nghi",
                                                               "ten": "Nghỉ bù thử"])
            XCTAssertEqual(added.status, .seeOther, added.text)
            let after = try await DeadlineJob.calendar(app.store).adding(workingDays: 1, to: friday)
            XCTAssertEqual(after, monday.adding(days: 1), "the holiday moves a one-working-day deadline to Tuesday")
            let swapped = try await admin.post("/cai-dat/lich", ["nam": String(year), "ngay": monday.display, "loai": "lam-bu",
                                                                 "ten": "Làm bù"])
            XCTAssertEqual(swapped.status, .unprocessableEntity)
            XCTAssertTrue(swapped.text.contains("không thể vừa nghỉ vừa làm bù"), swapped.text)
            let weekday = try await admin.post("/cai-dat/lich", ["nam": String(year), "ngay": friday.display, "loai": "lam-bu",
                                                                 "ten": "Làm bù"])
            XCTAssertTrue(weekday.text.contains("phải là thứ Bảy hoặc Chủ nhật"))
            let days = try await CalendarDay.query(on: app.db).filter(\.$day == monday.iso).all()
            XCTAssertEqual(days.map(\.kind), ["nghi"], "nothing half-saved")
            let listed = try await admin.get("/cai-dat?nam=\(year)")
            XCTAssertTrue(listed.text.contains("Nghỉ bù thử"))
            let csv = try await admin.get("/cai-dat?nam=\(year)&dinh_dang=csv")
            XCTAssertTrue(csv.text.contains(monday.display))

            // Removed after a confirmation; both steps audited.
            let id = days[0].id!.uuidString
            let confirm = try await admin.get("/cai-dat/lich/\(id)/xoa")
            XCTAssertTrue(confirm.text.contains("Xóa khỏi lịch"))
            let removed = try await admin.post("/cai-dat/lich/\(id)/xoa", [:])
            XCTAssertEqual(removed.status, .seeOther)
            let restored = try await DeadlineJob.calendar(app.store).adding(workingDays: 1, to: friday)
            XCTAssertEqual(restored, monday)
            let actions = try await AuditEntry.query(on: app.db).filter(\.$entityID == monday.iso).all().map(\.action).sorted()
            XCTAssertEqual(actions, ["calendar.add", "calendar.remove"])
        }
    }

    /// A throwaway application leaves nothing behind: its SQLite file (when not on PostgreSQL) and its data directory
    /// are gone once it has shut down.
    func testAThrowawayApplicationRemovesItsFilesAtShutdown() async throws {
        let app = try await TestEnv.make(demo: false)
        let dataDirectory = app.settings.dataDirectory
        try FileManager.default.createDirectory(atPath: dataDirectory + "/minh-chung", withIntermediateDirectories: true)
        var database: String?
        if !app.db.isPostgres {
            let rows = try await app.db.sql.raw("PRAGMA database_list").all()
            database = try rows.first?.decode(column: "file", as: String.self)
            XCTAssertTrue(FileManager.default.fileExists(atPath: database ?? ""), "the database is a file: \(database ?? "")")
        }
        try await app.asyncShutdown()
        XCTAssertFalse(FileManager.default.fileExists(atPath: dataDirectory), dataDirectory)
        if let database { XCTAssertFalse(FileManager.default.fileExists(atPath: database), database) }
    }
}
