import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Nhiệm vụ thường xuyên: checked like a task form, one task per period however many runs.
final class WorkRecurringTests: XCTestCase {
    func testRecurringTasksAreMadeOncePerPeriod() async throws {
        try await withApp { app in
            var leader = Browser(app)
            try await leader.login("lanhdao")
            try await leader.get("/viec/thuong-xuyen")
            let form = ["tieu_de": "Báo cáo tháng công tác tổ chức", "nguoi": "CB-BTCTU-P3-03", "san_pham": "SP-CM-02",
                        "so_luong": "1",
                        "chu_ky": "hang-tuan", "ngay_den_han": "6"]
            let badDay = try await leader.post("/viec/thuong-xuyen", form)
            XCTAssertEqual(badDay.status, .unprocessableEntity)
            XCTAssertTrue(badDay.text.contains("từ thứ Hai (1) đến thứ Sáu (5)"))
            let badProduct = try await leader.post("/viec/thuong-xuyen", form.merging(["chu_ky": "hang-thang", "ngay_den_han": "0",
                                                                                       "san_pham": "SP-PV-01"]) { $1 })
            XCTAssertEqual(badProduct.status, .unprocessableEntity)
            XCTAssertTrue(badProduct.text.contains("không thuộc danh mục sản phẩm"))
            let noTitle = try await leader.post("/viec/thuong-xuyen", form.merging(["chu_ky": "hang-thang", "ngay_den_han": "0",
                                                                                    "tieu_de": "  "]) { $1 })
            XCTAssertEqual(noTitle.status, .unprocessableEntity)
            XCTAssertTrue(noTitle.text.contains("Tên nhiệm vụ không được để trống"))
            do { let n = try await RecurringTask.query(on: app.db).count(); XCTAssertEqual(n, 0) }

            let ok = try await leader.post("/viec/thuong-xuyen", form.merging(["chu_ky": "hang-thang", "ngay_den_han": "0"]) { $1 })
            XCTAssertEqual(ok.status, .seeOther, ok.text)
            let first = try await RecurringTask.query(on: app.db).first()
            let rule = try XCTUnwrap(first)
            let today = TestEnv.today
            let monthKey = String(format: "%04d-%02d", today.year, today.month)
            var made = try await WorkTask.query(on: app.db).filter(\.$recurrenceKey != nil).all()
            XCTAssertEqual(made.count, 1)
            XCTAssertEqual(made.first?.recurrenceKey, "\(rule.id!.uuidString):\(monthKey)")
            XCTAssertEqual(made.first?.source, "thuong-xuyen")
            XCTAssertEqual(made.first?.assignerName, "Cao Hữu Nam")
            XCTAssertTrue(made.first?.title.contains("(\(monthKey))") == true)

            // Again, and two runners at once (two server processes on PostgreSQL): still one.
            let second: Application? = TestEnv.postgresURL == nil ? nil : try await TestEnv.attach()
            async let a = RecurringJob.generate(store: app.store, settings: app.settings, today: today)
            async let b = RecurringJob.generate(store: (second ?? app).store, settings: app.settings, today: today)
            let counts = try await [a, b]
            if let second { try await second.asyncShutdown() }
            XCTAssertEqual(counts.reduce(0, +), 0)
            // Next month: the next one, due on its last working day.
            let nextMonth = today.adding(days: 40 - today.day)
            let firstOfNext = DateOnly(year: nextMonth.year, month: nextMonth.month, day: 1)!
            let run = try await DeadlineJob.run(app, today: firstOfNext)
            XCTAssertEqual(run.generated, 1)
            let rerun = try await DeadlineJob.run(app, today: firstOfNext)
            XCTAssertEqual(rerun.generated, 0)
            made = try await WorkTask.query(on: app.db).filter(\.$recurrenceKey != nil).sort(\.$due).all()
            XCTAssertEqual(made.count, 2)
            let lastDue = try XCTUnwrap(DateOnly(parsing: made[1].due))
            XCTAssertEqual(lastDue.month, firstOfNext.month)
            // The month's last working day by the application's calendar: counted back from its last day.
            let calendar = try await DeadlineJob.calendar(on: app.db)
            var expected = DateOnly(year: firstOfNext.year, month: firstOfNext.month, day: 1)!.adding(days: 40)
            expected = expected.adding(days: -expected.day)
            while !calendar.isWorkingDay(expected) { expected = expected.adding(days: -1) }
            XCTAssertEqual(lastDue, expected)

            // Stopped: nothing more. Staff cannot set rules up.
            try await leader.get("/viec/thuong-xuyen")
            let stop = try await leader.post("/viec/thuong-xuyen/\(rule.id!.uuidString)/ngung", [:])
            XCTAssertEqual(stop.status, .seeOther)
            let later = try await DeadlineJob.run(app, today: firstOfNext.adding(days: 40))
            XCTAssertEqual(later.generated, 0)
            var staff = Browser(app)
            try await staff.login("canbo")
            let refused = try await staff.get("/viec/thuong-xuyen")
            XCTAssertEqual(refused.status, .forbidden)
            let refusedStop = try await staff.post("/viec/thuong-xuyen/\(rule.id!.uuidString)/ngung", [:])
            XCTAssertEqual(refusedStop.status, .notFound)
        }
    }
}
