import Fluent
import Foundation
import KPICore
@testable import KPIServer
import SQLKit
import XCTVapor

/// Ủy quyền (issue 18, item 8): a head hands acceptance and approval in their room to a deputy for
/// some days; the deputy acts as the head there, audited «thay mặt», told so on every page; never on
/// their own record; taken back or run out, the powers are gone.
final class DelegationTests: XCTestCase {
    /// A task of the room given by lanhdao to `person`, worked and sent for acceptance by `worker`.
    func submittedTask(_ app: Application, leader: inout Browser, worker: inout Browser, person: String,
        title: String) async throws -> UUID {
        try await leader.get("/viec/moi")
        let res = try await leader.post("/viec/moi", ["tieu_de": title, "nguon": "phat-sinh", "san_pham": "SP-CM-02", "so_luong": "1",
                                                      "muc_do": "Trung bình", "bat_dau": TestEnv.today.display,
                                                      "han": TestEnv.today.adding(days: 10).display, "uu_tien": "binh-thuong",
                                                      "nguoi": person, "token": UUID().uuidString])
        XCTAssertEqual(res.status, .seeOther, res.text)
        let id = try XCTUnwrap(UUID(uuidString: String(res.location.dropFirst("/viec/".count).prefix(36))))
        try await act(&worker, app, id, "bat-dau")
        try await worker.get("/viec/\(id)")
        let up = try await worker.upload("/viec/\(id)/minh-chung", fields: ["loai": "tep"], fileField: "tep", fileName: "bao-cao.pdf",
                                         data: WorkFlowTests.pdf)
        XCTAssertEqual(up.status, .seeOther, up.text)
        let sent = try await act(&worker, app, id, "gui-nghiem-thu", ["ghi_chu": "Kính trình"])
        XCTAssertEqual(sent.status, .seeOther, sent.text)
        return id
    }

    @discardableResult
    func act(_ b: inout Browser, _ app: Application, _ id: UUID, _ action: String, _ fields: [String: String] = [:]) async throws
        -> BrowserResponse {
        try await b.get("/viec/\(id)")
        let v = try await WorkTask.find(id, on: app.db)!.version
        return try await b.post("/viec/\(id)/\(action)", fields.merging(["phien_ban": String(v)]) { $1 })
    }

    func testDeputyActsAsHeadAuditedShownNeverOnOwnRecordAndNotAfterRevoking() async throws {
        try await withApp { app in
            let p3 = try await Organization.query(on: app.db).filter(\.$code == "BTCTU-P3").first()!.path
            let board = try await Organization.query(on: app.db).filter(\.$code == "BTCTU").first()!.path
            let deputyPerson = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-05").first()!
            let deputyID = try await PermissionMatrixTests.account("phophong", person: deputyPerson, role: .staff, app: app,
                                                                     password: DemoData.password).user
            var head = Browser(app)
            try await head.login("lanhdao")
            var deputy = Browser(app)
            deputy.peer = "127.0.9.2"
            try await deputy.login("phophong")
            var staff = Browser(app)
            staff.peer = "127.0.9.3"
            try await staff.login("canbo")
            let first = try await submittedTask(app, leader: &head, worker: &staff, person: "CB-BTCTU-P3-03", title: "Báo cáo một")
            let second = try await submittedTask(app, leader: &head, worker: &staff, person: "CB-BTCTU-P3-03", title: "Báo cáo hai")
            let own = try await submittedTask(app, leader: &head, worker: &deputy, person: "CB-BTCTU-P3-05", title: "Việc của phó")

            // Not a head yet: the deputy may not accept (another's task is not even theirs to see).
            do { let s = try await act(&deputy, app, first, "nghiem-thu", ["ket_qua": "dat"]).status; XCTAssertEqual(s, .notFound) }
            do { let s = try await deputy.get("/uy-quyen/moi").status; XCTAssertEqual(s, .forbidden) }

            // Bad input: a clear message each, what was typed kept, nothing saved.
            try await head.get("/uy-quyen/moi")
            let base = ["pham_vi": p3, "nguoi_duoc_uy_quyen": "phophong", "tu_ngay": TestEnv.today.display,
                        "den_ngay": TestEnv.today.adding(days: 6).display, "ly_do": "Đi công tác Hà Nội"]
            let cases: [([String: String], String)] = [
                (["pham_vi": board], "Vui lòng chọn đơn vị bạn là lãnh đạo"),
                (["nguoi_duoc_uy_quyen": "lanhdao"], "Không tự ủy quyền cho chính mình"),
                (["nguoi_duoc_uy_quyen": "quantri.snv"], "phải là cán bộ của đơn vị đó"),
                (["nguoi_duoc_uy_quyen": String(repeating: "x", count: 5_000)], "phải là cán bộ của đơn vị đó"),
                (["nguoi_duoc_uy_quyen": " "], "Vui lòng chọn người được ủy quyền"),
                (["tu_ngay": TestEnv.today.adding(days: -1).display], "không bắt đầu trong quá khứ"),
                (["tu_ngay": "mai"], "Ngày bắt đầu không đọc được"),
                (["den_ngay": TestEnv.today.adding(days: -1).display], "trước ngày bắt đầu"),
                (["den_ngay": TestEnv.today.adding(days: 90).display], "nhiều nhất 90 ngày"),
                (["ly_do": ""], "Vui lòng ghi lý do ủy quyền"),
            ]
            for (change, message) in cases {
                let res = try await head.post("/uy-quyen/moi", base.merging(change) { $1 })
                XCTAssertEqual(res.status, .unprocessableEntity, "\(change)")
                XCTAssertTrue(res.text.contains(message), "\(change): \(message)")
                if change["ly_do"] == nil { XCTAssertTrue(res.text.contains("Đi công tác Hà Nội"), "what was typed is kept") }
            }
            do { let n = try await DelegationRecord.query(on: app.db).count(); XCTAssertEqual(n, 0) }

            let made = try await head.post("/uy-quyen/moi", base)
            XCTAssertEqual(made.status, .seeOther, made.text)
            // One deputy at a time for a unit: an overlapping one to someone else is refused.
            let twice = try await head.post("/uy-quyen/moi", base.merging(["nguoi_duoc_uy_quyen": "CB-BTCTU-P3-03",
                                                                           "tu_ngay": TestEnv.today.adding(days: 3).display]) { $1 })
            XCTAssertEqual(twice.status, .unprocessableEntity)
            XCTAssertTrue(twice.text.contains("mỗi lúc chỉ một người được ủy quyền"), twice.text)
            let record = try await DelegationRecord.query(on: app.db).first()!

            // Every page says who acts for whom, to the deputy and to the head.
            let deputyHome = try await deputy.get("/")
            XCTAssertTrue(deputyHome.text.contains("Đang thay mặt."), deputyHome.text)
            XCTAssertTrue(deputyHome.text.contains("ủy quyền phê duyệt, nghiệm thu"), deputyHome.text)
            XCTAssertTrue(deputyHome.text.contains("href=\"/uy-quyen\""), "the menu shows delegations to the deputy")
            let headHome = try await head.get("/viec")
            XCTAssertTrue(headHome.text.contains("Bạn đã ủy quyền cho"), headHome.text)
            let staffHome = try await staff.get("/")
            XCTAssertFalse(staffHome.text.contains("thay mặt"))

            // The deputy accepts for the head; the audit trail says on whose behalf.
            let accepted = try await act(&deputy, app, first, "nghiem-thu", ["ket_qua": "dat"])
            XCTAssertEqual(accepted.status, .seeOther, accepted.text)
            let entry = try await AuditEntry.query(on: app.db).filter(\.$entityID == first.uuidString)
                .filter(\.$action == "task.nghiem-thu").first()
            XCTAssertEqual(entry?.actor, "phophong")
            XCTAssertTrue(entry?.after.contains("\"thay_mat\":\"lanhdao") == true, entry?.after ?? "")
            let event = try await TaskEventRecord.query(on: app.db).filter(\.$taskID == first).filter(\.$kind == "nghiem-thu").first()
            XCTAssertTrue(event?.actorName.contains("(thay mặt ") == true, "the task's history too: \(event?.actorName ?? "")")
            // Their own work stays their own: starting a task they lead is not done on the head's behalf.
            try await head.get("/viec/moi")
            let mine = try await head.post("/viec/moi", ["tieu_de": "Việc của phó", "nguon": "phat-sinh", "san_pham": "SP-CM-02",
                                                         "so_luong": "1", "muc_do": "Trung bình", "bat_dau": TestEnv.today.display,
                                                         "han": TestEnv.today.adding(days: 10).display, "uu_tien": "binh-thuong",
                                                         "nguoi": "CB-BTCTU-P3-05", "token": UUID().uuidString])
            let mineID = try XCTUnwrap(UUID(uuidString: String(mine.location.dropFirst("/viec/".count).prefix(36))))
            do { let s = try await act(&deputy, app, mineID, "bat-dau").status; XCTAssertEqual(s, .seeOther) }
            let started = try await AuditEntry.query(on: app.db).filter(\.$entityID == mineID.uuidString)
                .filter(\.$action == "task.bat-dau").first()
            XCTAssertEqual(started?.after.contains("thay_mat"), false, started?.after ?? "")
            let startedEvent = try await TaskEventRecord.query(on: app.db).filter(\.$taskID == mineID)
                .filter(\.$kind == "bat-dau").first()
            XCTAssertEqual(startedEvent?.actorName.contains("thay mặt"), false)
            // Never on their own record, and never passed on.
            let ownAccept = try await act(&deputy, app, own, "nghiem-thu", ["ket_qua": "dat"])
            XCTAssertEqual(ownAccept.status, .forbidden, ownAccept.text)
            do { let s = try await deputy.get("/uy-quyen/moi").status; XCTAssertEqual(s, .forbidden) }
            // The deputy hears what waits for the head while standing in.
            let heads = try await Notices.leaderGrants(covering: p3 + "x/", on: app.db, at: app.clock.now)
            XCTAssertTrue(heads.contains { $0.1 == deputyID && $0.0 == p3 })
            let later = try await Notices.leaderGrants(covering: p3, on: app.db, at: app.clock.now.addingTimeInterval(8 * 86_400))
            XCTAssertFalse(later.contains { $0.1 == deputyID })

            // The list: search, state filter, export.
            let list = try await deputy.get("/uy-quyen?trang_thai=hieu-luc")
            XCTAssertTrue(list.text.contains("1 ủy quyền"), list.text)
            XCTAssertTrue(list.text.contains("Đi công tác Hà Nội"))
            do { let t = try await staff.get("/uy-quyen").text; XCTAssertTrue(t.contains("0 ủy quyền"), "canbo is neither side") }
            let csv = try await head.get("/uy-quyen?dinh_dang=csv")
            XCTAssertTrue(csv.text.contains("Người được ủy quyền"))
            XCTAssertTrue(csv.text.contains("Đang hiệu lực"))
            do { let t = try await head.get("/uy-quyen?q=phophong").text; XCTAssertTrue(t.contains("1 ủy quyền"), "by username") }
            do { let t = try await head.get("/uy-quyen?q=\(Browser.encode(deputyPerson.fullName))").text
                XCTAssertTrue(t.contains("1 ủy quyền"), "by name, diacritics and all") }
            do { let t = try await head.get("/uy-quyen?q=khong-ai").text; XCTAssertTrue(t.contains("0 ủy quyền")) }

            // Taken back: only by its head (or an administrator), once; the powers end at once.
            do { let s = try await deputy.post("/uy-quyen/\(record.id!)/thu-hoi", [:]).status; XCTAssertEqual(s, .forbidden) }
            try await head.get("/uy-quyen")
            do { let s = try await head.post("/uy-quyen/\(record.id!)/thu-hoi", [:]).status; XCTAssertEqual(s, .seeOther) }
            do { let s = try await head.post("/uy-quyen/\(record.id!)/thu-hoi", [:]).status; XCTAssertEqual(s, .conflict) }
            let refused = try await act(&deputy, app, second, "nghiem-thu", ["ket_qua": "dat"])
            XCTAssertEqual(refused.status, .notFound)
            do { let t = try await deputy.get("/").text; XCTAssertFalse(t.contains("Đang thay mặt.")) }
            let actions = try await AuditEntry.query(on: app.db).filter(\.$entityType == "delegation").sort(\.$id).all().map(\.action)
            XCTAssertEqual(actions, ["delegation.create", "delegation.revoke"])
            do { let t = try await head.get("/uy-quyen?trang_thai=thu-hoi").text; XCTAssertTrue(t.contains("1 ủy quyền"), t) }
        }
    }

    func testADelegationRunsOutAndDiesWithTheHeadsGrant() async throws {
        try await withApp { app in
            let p3 = try await Organization.query(on: app.db).filter(\.$code == "BTCTU-P3").first()!.path
            var head = Browser(app)
            try await head.login("lanhdao")
            var deputy = Browser(app)
            deputy.peer = "127.0.9.4"
            try await deputy.login("canbo")
            try await head.get("/uy-quyen/moi")
            let made = try await head.post("/uy-quyen/moi", ["pham_vi": p3, "nguoi_duoc_uy_quyen": "canbo",
                                                             "tu_ngay": TestEnv.today.adding(days: 1).display,
                                                             "den_ngay": TestEnv.today.adding(days: 2).display, "ly_do": "Nghỉ phép"])
            XCTAssertEqual(made.status, .seeOther, made.text)
            do { let t = try await deputy.get("/").text; XCTAssertFalse(t.contains("Đang thay mặt."), "not before its first day") }
            app.clock.advance(by: 86_400)
            // A day later the sessions have expired: both sign in again.
            try await deputy.login("canbo")
            try await head.login("lanhdao")
            do { let t = try await deputy.get("/").text; XCTAssertTrue(t.contains("Đang thay mặt."), "in force on its first day") }
            // The head loses the grant: the delegation ends with it.
            let headUser = try await User.query(on: app.db).filter(\.$username == "lanhdao").first()!
            let grant = try await RoleGrant.query(on: app.db).filter(\.$userID == headUser.id!).filter(\.$scopePath == p3).first()!
            let sql = app.db.sql
            try await sql.raw("DELETE FROM role_grants WHERE id = \(bind: grant.id!)").run()
            app.clock.advance(by: 61)
            do { let t = try await deputy.get("/").text; XCTAssertFalse(t.contains("Đang thay mặt."), "the head's grant is gone") }
            let again = RoleGrant()
            again.userID = grant.userID; again.role = grant.role; again.organizationID = grant.organizationID
            again.scopePath = grant.scopePath; again.grantedBy = "test"
            try await again.create(on: app.db)
            app.clock.advance(by: 61)
            do { let t = try await deputy.get("/").text; XCTAssertTrue(t.contains("Đang thay mặt.")) }
            // After its last day it is over.
            app.clock.advance(by: 2 * 86_400)
            try await deputy.login("canbo")
            try await head.login("lanhdao")
            do { let t = try await deputy.get("/").text; XCTAssertFalse(t.contains("Đang thay mặt."), "run out") }
            let list = try await head.get("/uy-quyen?trang_thai=het-han")
            XCTAssertTrue(list.text.contains("1 ủy quyền"), list.text)
        }
    }
}
