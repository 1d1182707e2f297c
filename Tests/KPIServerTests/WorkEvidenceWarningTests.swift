import Fluent
import Foundation
import SQLKit
import KPICore
@testable import KPIServer
import XCTVapor

/// Minh chứng (kinds, limits, content-addressed storage, download rights) and cảnh báo hạn (exactly
/// one notice per warning, even with two runners at once).
final class WorkEvidenceWarningTests: XCTestCase {
    func newTask(_ app: Application, due: DateOnly, start: DateOnly? = nil, to person: String = "CB-BTCTU-P3-03") async throws -> UUID {
        let leader = try await Browser.principal(app, "lanhdao")
        let svc = WorkService(store: app.store, principal: leader, actor: .system("test", at: app.clock.now), settings: app.settings)
        var d = TaskDraft(title: "Nhiệm vụ hạn \(due.display)", start: (start ?? due.adding(days: -10)).iso, due: due.iso)
        d.productCode = "SP-CM-01"
        return try await svc.create(.init(draft: d, assigneeCodes: [person], token: UUID().uuidString))[0]
    }

    func testEvidenceKindsLimitsAndDownloadRights() async throws {
        try await withApp { app in
            app.settings.evidenceMaxMegabytes = 1
            let id = try await newTask(app, due: TestEnv.today.adding(days: 5), start: TestEnv.today)
            var staff = Browser(app)
            try await staff.login("canbo")
            try await staff.get("/viec/\(id)")
            func upload(_ name: String, _ data: Data) async throws -> BrowserResponse {
                try await staff.upload("/viec/\(id)/minh-chung", fields: ["loai": "tep"], fileField: "tep", fileName: name, data: data)
            }
            let exe = try await upload("chuong-trinh.exe", Data("MZ\u{90}\u{0}".utf8))
            XCTAssertEqual(exe.status, .unprocessableEntity)
            XCTAssertTrue(exe.text.contains("không thuộc loại được phép"))
            let disguised = try await upload("bao-cao.pdf", Data("MZ this is not a pdf".utf8))
            XCTAssertEqual(disguised.status, .unprocessableEntity)
            XCTAssertTrue(disguised.text.contains("không đúng định dạng PDF"))
            let big = try await upload("lon.pdf", Data("%PDF".utf8) + Data(count: 1_200_000))
            XCTAssertEqual(big.status, .unprocessableEntity)
            XCTAssertTrue(big.text.contains("vượt giới hạn 1 MB"))
            let badLink = try await staff.post("/viec/\(id)/minh-chung", ["loai": "lien-ket", "noi_dung": "javascript:alert(1)"])
            XCTAssertEqual(badLink.status, .unprocessableEntity)
            let count0 = try await Evidence.query(on: app.db).filter(\.$taskID == id).count()
            XCTAssertEqual(count0, 0)

            let content = Data("%PDF-1.7\nBáo cáo kết quả\n".utf8)
            let ok = try await upload("Báo cáo tháng.pdf", content)
            XCTAssertEqual(ok.status, .seeOther)
            let again = try await upload("Bản sao.pdf", content)
            XCTAssertEqual(again.status, .seeOther)
            let rows = try await Evidence.query(on: app.db).filter(\.$taskID == id).all()
            XCTAssertEqual(rows.count, 2)
            XCTAssertEqual(rows[0].sha256, EvidenceStore.sha256(content))
            let store = EvidenceStore(dataDirectory: app.settings.dataDirectory)
            XCTAssertEqual(try Data(contentsOf: URL(fileURLWithPath: store.path(rows[0].sha256))), content, "stored once by its hash")

            let path = "/viec/\(id)/minh-chung/\(rows[0].id!)"
            let mine = try await staff.get(path)
            XCTAssertEqual(mine.status, .ok)
            XCTAssertEqual(Data(buffer: mine.body), content)
            XCTAssertTrue(mine.headers.first(name: .contentDisposition)?.contains("filename*=UTF-8''B%C3%A1o") == true)
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let leaders = try await leader.get(path)
            XCTAssertEqual(leaders.status, .ok)
            var outsider = Browser(app)
            try await outsider.login("quantri.snv")
            let refused = try await outsider.get(path)
            XCTAssertEqual(refused.status, .notFound)
            let page = try await outsider.get("/viec/\(id)")
            XCTAssertEqual(page.status, .notFound)
            var colleague = Browser(app)
            try await colleague.login("kiemtra")
            // The inspector oversees the whole province: read-only access to the task and its evidence.
            let inspector = try await colleague.get(path)
            XCTAssertEqual(inspector.status, .ok)
            let inspectorAct = try await colleague.post("/viec/\(id)/minh-chung", ["loai": "van-ban", "noi_dung": "01/BC"])
            XCTAssertEqual(inspectorAct.status, .forbidden)

            // Removing a row keeps the stored file; after submission nothing can be added or removed.
            try await staff.get("/viec/\(id)")
            let removed = try await staff.post("\(path)/go", [:])
            XCTAssertEqual(removed.status, .seeOther)
            XCTAssertTrue(FileManager.default.fileExists(atPath: store.path(rows[0].sha256)))
            let t = try await WorkTask.find(id, on: app.db)!
            try await staff.get("/viec/\(id)")
            _ = try await staff.post("/viec/\(id)/gui-nghiem-thu", ["phien_ban": String(t.version)])
            do { let value = try await WorkTask.find(id, on: app.db)!.state; XCTAssertEqual(value, "cho-nghiem-thu") }
            let afterSubmit = try await upload("them.pdf", content)
            XCTAssertEqual(afterSubmit.status, .conflict)
        }
    }

    /// A task due tomorrow and one overdue give one notice each to each person concerned, however
    /// many runs see them, and two runners started together write them once.
    func testWarningsAreSentExactlyOnce() async throws {
        try await withApp { app in
            let today = DateOnly(year: 2026, month: 12, day: 8)!   // a Tuesday
            let soon = try await newTask(app, due: today.adding(days: 1))
            let late = try await newTask(app, due: today.adding(days: -3))
            let later = try await newTask(app, due: today.adding(days: 20))
            let second: Application? = TestEnv.postgresURL == nil ? nil : try await TestEnv.attach()
            async let a = DeadlineJob.run(app, today: today, holder: "a")
            async let b = DeadlineJob.run(second ?? app, today: today, holder: "b")
            let outcomes = try await [a, b]
            if let second { try await second.asyncShutdown() }
            XCTAssertTrue(outcomes.contains { $0.ran })
            let rerun = try await DeadlineJob.run(app, today: today)
            XCTAssertEqual(rerun.notices, 0, "nothing new on a second run")

            let staff = try await Browser.principal(app, "canbo").userID
            let leader = try await Browser.principal(app, "lanhdao").userID
            for (task, kind) in [(soon, "sap-den-han"), (late, "qua-han")] {
                let notices = try await Notice.query(on: app.db).filter(\.$taskID == task).filter(\.$kind == kind).all()
                XCTAssertEqual(notices.filter { $0.userID == staff }.count, 1, kind)
                XCTAssertEqual(notices.filter { $0.userID == leader }.count, 1, kind)
                XCTAssertEqual(Set(notices.map(\.userID)).count, notices.count, "one per person")
            }
            let none = try await Notice.query(on: app.db).filter(\.$taskID == later).filter(\.$kind ~~ ["sap-den-han", "qua-han",
                "den-han"]).count()
            XCTAssertEqual(none, 0)

            // The next day the soon one is due today: a new warning; the overdue one is not repeated.
            let next = try await DeadlineJob.run(app, today: today.adding(days: 1))
            XCTAssertTrue(next.ran)
            let dueToday = try await Notice.query(on: app.db).filter(\.$taskID == soon).filter(\.$kind == "den-han").count()
            XCTAssertEqual(dueToday, 2)
            let overdue = try await Notice.query(on: app.db).filter(\.$taskID == late).filter(\.$kind == "qua-han").count()
            XCTAssertEqual(overdue, 2)

            // The staff member sees the warning in the notification centre, with the unread count.
            var browser = Browser(app)
            try await browser.login("canbo")
            let centre = try await browser.get("/thong-bao")
            XCTAssertTrue(centre.text.contains("Quá hạn (05/12/2026)"), centre.text)
            XCTAssertTrue(centre.text.contains("count-badge"))
            let digest = try await browser.get("/thong-bao/tong-hop")
            XCTAssertEqual(digest.status, .ok)
            _ = try await browser.post("/thong-bao/da-doc", [:])
            let unread = try await Notices.unread(staff, on: app.db)
            XCTAssertEqual(unread, 0)
        }
    }

    /// While one runner holds the job (SQLite: its lease row; PostgreSQL: the advisory lock, held by
    /// another connection's transaction), a second one does not run; once released, it does.
    func testASecondRunnerWaitsItsTurn() async throws {
        try await withApp { app in
            if app.db.isPostgres {
                try await app.db.transaction { db in
                    try await db.sql.raw("SELECT pg_advisory_xact_lock(\(bind: DeadlineJob.lockKey))").run()
                    let blocked = try await DeadlineJob.run(app, holder: "second")
                    XCTAssertFalse(blocked.ran)
                }
            } else {
                let value = try await DeadlineJob.acquireLease(app.store, holder: "first")
                XCTAssertTrue(value)
                let blocked = try await DeadlineJob.run(app, holder: "second")
                XCTAssertFalse(blocked.ran)
                try await DeadlineJob.releaseLease(app.store, holder: "first")
            }
            let free = try await DeadlineJob.run(app, holder: "second")
            XCTAssertTrue(free.ran)
        }
    }
}
