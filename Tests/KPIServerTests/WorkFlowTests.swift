import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Giao việc through the pages: every transition allowed and refused, bad input, double posts.
final class WorkFlowTests: XCTestCase {
    static let pdf = Data("%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n".utf8)

    /// A task the demo leader gives the demo staff member; returns its id.
    func assign(_ b: inout Browser, title: String = "Báo cáo thử nghiệm", due: String? = nil,
                token: String = UUID().uuidString) async throws -> UUID {
        try await b.get("/viec/moi")
        let res = try await b.post("/viec/moi", ["tieu_de": title, "nguon": "phat-sinh", "san_pham": "SP-CM-02", "so_luong": "2",
                                                 "muc_do": "Phức tạp", "bat_dau": TestEnv.today.display,
                                                 "han": due ?? TestEnv.today.adding(days: 10).display, "uu_tien": "binh-thuong",
                                                 "nguoi": "CB-BTCTU-P3-03", "token": token])
        XCTAssertEqual(res.status, .seeOther, res.text)
        let id = res.location.dropFirst("/viec/".count).prefix(36)
        return try XCTUnwrap(UUID(uuidString: String(id)))
    }

    func task(_ app: Application, _ id: UUID) async throws -> WorkTask {
        let found = try await WorkTask.find(id, on: app.db)
        return try XCTUnwrap(found)
    }

    /// Posts an action with the task's current version, as the page's form would.
    @discardableResult
    func act(_ b: inout Browser, _ app: Application, _ id: UUID, _ action: String, _ fields: [String: String] = [:],
             version: Int? = nil) async throws -> BrowserResponse {
        try await b.get("/viec/\(id)")
        let v = try await task(app, id).version
        return try await b.post("/viec/\(id)/\(action)", fields.merging(["phien_ban": String(version ?? v)]) { $1 })
    }

    func testAssignWorkSubmitReturnAndAccept() async throws {
        try await withApp { app in
            var leader = Browser(app)
            try await leader.login("lanhdao")
            var staff = Browser(app)
            try await staff.login("canbo")
            let id = try await assign(&leader)
            var t = try await task(app, id)
            XCTAssertEqual(t.state, "da-giao")
            XCTAssertEqual(t.quantity, "2")
            XCTAssertEqual(t.complexityFactor, "1.5")
            XCTAssertTrue(t.code.hasPrefix("NV-"))

            // The leader cannot do the assignee's part, nor the assignee the leader's.
            let notMine = try await act(&leader, app, id, "bat-dau")
            XCTAssertEqual(notMine.status, .forbidden)
            XCTAssertTrue(notMine.text.contains("Chỉ người được giao nhiệm vụ"))
            let started = try await act(&staff, app, id, "bat-dau")
            XCTAssertEqual(started.status, .seeOther)
            let progress = try await act(&staff, app, id, "tien-do", ["phan_tram": "40", "ghi_chu": "Đã thu thập số liệu"])
            XCTAssertEqual(progress.status, .seeOther)
            let badPercent = try await act(&staff, app, id, "tien-do", ["phan_tram": "140"])
            XCTAssertEqual(badPercent.status, .conflict)
            XCTAssertTrue(badPercent.text.contains("Tiến độ phải từ 0 đến 100%"))
            let notNumber = try await act(&staff, app, id, "tien-do", ["phan_tram": "bốn mươi"])
            XCTAssertEqual(notNumber.status, .unprocessableEntity)
            t = try await task(app, id)
            XCTAssertEqual(t.percent, 40)

            // No submission without evidence.
            let empty = try await act(&staff, app, id, "gui-nghiem-thu")
            XCTAssertEqual(empty.status, .conflict)
            XCTAssertTrue(empty.text.contains("ít nhất một minh chứng"))
            try await staff.get("/viec/\(id)")
            let up = try await staff.upload("/viec/\(id)/minh-chung", fields: ["loai": "tep"], fileField: "tep", fileName: "bao-cao.pdf",
                                            data: Self.pdf)
            XCTAssertEqual(up.status, .seeOther, up.text)
            let acceptEarly = try await act(&leader, app, id, "nghiem-thu", ["ket_qua": "dat"])
            XCTAssertEqual(acceptEarly.status, .conflict)
            XCTAssertTrue(acceptEarly.text.contains("không thể nghiệm thu"))
            let submitted = try await act(&staff, app, id, "gui-nghiem-thu", ["ghi_chu": "Kính trình"])
            XCTAssertEqual(submitted.status, .seeOther)
            let acceptOwn = try await act(&staff, app, id, "nghiem-thu", ["ket_qua": "dat"])
            XCTAssertEqual(acceptOwn.status, .forbidden)
            XCTAssertTrue(acceptOwn.text.contains("Không ai tự quyết định trên nhiệm vụ do chính mình chủ trì"))

            // Returned once (a reason is required), then accepted.
            let noReason = try await act(&leader, app, id, "tra-lai", ["ly_do": "  "])
            XCTAssertEqual(noReason.status, .conflict)
            XCTAssertTrue(noReason.text.contains("lý do trả lại"))
            let returned = try await act(&leader, app, id, "tra-lai", ["ly_do": "Thiếu số liệu quý III"])
            XCTAssertEqual(returned.status, .seeOther)
            t = try await task(app, id)
            XCTAssertEqual(t.state, "dang-thuc-hien")
            XCTAssertEqual(t.majorErrors, 1)
            _ = try await act(&staff, app, id, "gui-nghiem-thu")
            let failZero = try await act(&leader, app, id, "nghiem-thu", ["ket_qua": "chua-dat", "so_loi": "0"])
            XCTAssertEqual(failZero.status, .conflict)
            let exemptNobody = try await act(&leader, app, id, "nghiem-thu", ["ket_qua": "mien-tru", "so_loi": "1", "nguoi_xac_nhan": ""])
            XCTAssertEqual(exemptNobody.status, .conflict)
            let accepted = try await act(&leader, app, id, "nghiem-thu", ["ket_qua": "dat"])
            XCTAssertEqual(accepted.status, .seeOther)
            t = try await task(app, id)
            XCTAssertEqual(t.state, "hoan-thanh")
            XCTAssertEqual(t.verdict, "dat")
            XCTAssertEqual(t.majorErrors, 1)
            XCTAssertEqual(t.delays, 0)
            XCTAssertEqual(t.completedOn, TestEnv.today.iso)

            // After the close: no extension, no evidence, no cancel.
            let late = try await act(&staff, app, id, "xin-gia-han", ["han_moi": TestEnv.today.adding(days: 30).display,
                                                                      "ly_do": "Thêm việc"])
            XCTAssertEqual(late.status, .conflict)
            XCTAssertTrue(late.text.contains("không thể xin gia hạn"))
            let cancel = try await act(&leader, app, id, "huy", ["ly_do": "Thử"])
            XCTAssertEqual(cancel.status, .conflict)

            // The timeline and the audit trail hold every step; the assigner was told of each submission.
            let page = try await staff.get("/viec/\(id)")
            for label in ["Giao nhiệm vụ", "Bắt đầu thực hiện", "Cập nhật tiến độ", "Thêm minh chứng",
                          "Gửi nghiệm thu", "Trả lại",
                          "Nghiệm thu"] {
                XCTAssertTrue(page.text.contains(label), label)
            }
            let audited = try await AuditEntry.query(on: app.db).filter(\.$entityID == id.uuidString).sort(\.$id).all().map(\.action)
            XCTAssertEqual(audited, ["task.create", "task.bat-dau", "task.tien-do", "task.evidence.add", "task.gui-nghiem-thu",
                                     "task.tra-lai",
                                     "task.gui-nghiem-thu", "task.nghiem-thu"])
            let leaderUser = try await Browser.principal(app, "lanhdao").userID
            let told = try await Notice.query(on: app.db).filter(\.$taskID == id).filter(\.$userID == leaderUser)
                .filter(\.$kind == "gui-nghiem-thu").count()
            XCTAssertEqual(told, 2)
        }
    }

    /// Nghị định 335 Điều 14: a late completion confirmed as due to an objective cause is recorded
    /// with who confirmed it and why, counted as a delay, not penalized; the score's inputs carry it.
    func testALateCompletionExemptedAsAnObjectiveCause() async throws {
        try await withApp { app in
            var leader = Browser(app)
            try await leader.login("lanhdao")
            var staff = Browser(app)
            try await staff.login("canbo")
            let due = TestEnv.today.adding(days: 1)
            let id = try await assign(&leader, title: "Báo cáo chậm do lũ", due: due.display)
            try await staff.get("/viec/\(id)")
            _ = try await staff.upload("/viec/\(id)/minh-chung", fields: ["loai": "tep"], fileField: "tep", fileName: "bc.pdf",
                                       data: Self.pdf)
            app.clock.advance(by: 3 * 86_400)
            // Three days later: signed in again (sessions end after hours without use).
            leader = Browser(app)
            try await leader.login("lanhdao")
            staff = Browser(app)
            try await staff.login("canbo")
            let submitted = try await act(&staff, app, id, "gui-nghiem-thu")
            XCTAssertEqual(submitted.status, .seeOther, submitted.text)
            let page = try await leader.get("/viec/\(id)")
            XCTAssertTrue(page.text.contains("Chậm do nguyên nhân khách quan (miễn trừ)"), "offered on a late submission")

            let nobody = try await act(&leader, app, id, "nghiem-thu", ["ket_qua": "dat", "cham_khach_quan": "1",
                                                                         "ly_do_cham": "Mưa lũ"])
            XCTAssertEqual(nobody.status, .conflict)
            XCTAssertTrue(nobody.text.contains("người có thẩm quyền xác nhận chậm tiến độ"), nobody.text)
            let unchanged = try await task(app, id).state
            XCTAssertEqual(unchanged, "cho-nghiem-thu", "nothing changed")
            let accepted = try await act(&leader, app, id, "nghiem-thu", [
                "ket_qua": "dat", "cham_khach_quan": "1", "xac_nhan_cham": "Giám đốc Sở Nội vụ",
                "ly_do_cham": "Mưa lũ, cơ quan sơ tán ba ngày"])
            XCTAssertEqual(accepted.status, .seeOther, accepted.text)
            let t = try await task(app, id)
            XCTAssertEqual([t.delays, t.exemptDelays], [1, 1])
            XCTAssertEqual(t.delayExemptBy, "Giám đốc Sở Nội vụ")
            let shown = try await leader.get("/viec/\(id)")
            XCTAssertTrue(shown.text.contains("Xác nhận: Giám đốc Sở Nội vụ — nguyên nhân: Mưa lũ, cơ quan sơ tán ba "
                                              + "ngày"))
            let audit = try await AuditEntry.query(on: app.db).filter(\.$entityID == id.uuidString)
                .filter(\.$action == "task.nghiem-thu").first()
            XCTAssertTrue(audit?.after.contains("\"cham_han_mien\":\"1\"") == true, audit?.after ?? "")

            // The period's inputs carry the exemption, listed and grouped alike.
            let person = try XCTUnwrap(t.assigneeID)
            let period = PeriodCode(year: due.year, kind: .month, index: due.month)!
            let listed = try await ScoreGathering(db: app.db).tasks(period: period, scope: .person(person))[person] ?? []
            let line = try XCTUnwrap(listed.first { $0.title == "Báo cáo chậm do lũ" })
            XCTAssertEqual([line.delays, line.exemptDelays], [1, 1])
            let scope = try await Person.find(person, on: app.db)!.scopePath
            let grouping = try await ScoreGathering(db: app.db).groups(period: period, agencyPaths: [scope])[person]
            XCTAssertTrue(try XCTUnwrap(grouping).groups.contains { $0.delays == 1 && $0.exemptDelays == 1 })
        }
    }

    func testExtensionsProposalsUnitsAndCancellation() async throws {
        try await withApp { app in
            var leader = Browser(app)
            try await leader.login("lanhdao")
            var staff = Browser(app)
            try await staff.login("canbo")
            // Extension: the new date must be later; the leader approves, the due date moves.
            let id = try await assign(&leader)
            let before = try await task(app, id).due
            let earlier = try await act(&staff, app, id, "xin-gia-han", ["han_moi": TestEnv.today.display, "ly_do": "Chờ số liệu"])
            XCTAssertEqual(earlier.status, .conflict)
            let badDate = try await act(&staff, app, id, "xin-gia-han", ["han_moi": "31/02/2026", "ly_do": "Chờ số liệu"])
            XCTAssertEqual(badDate.status, .unprocessableEntity)
            let newDue = TestEnv.today.adding(days: 20)
            _ = try await act(&staff, app, id, "xin-gia-han", ["han_moi": newDue.display, "ly_do": "Chờ số liệu của Sở"])
            do { let value = try await task(app, id).state; XCTAssertEqual(value, "xin-gia-han") }
            let selfApprove = try await act(&staff, app, id, "dong-y-gia-han")
            XCTAssertEqual(selfApprove.status, .forbidden)
            _ = try await act(&leader, app, id, "dong-y-gia-han")
            var t = try await task(app, id)
            XCTAssertEqual(t.due, newDue.iso)
            XCTAssertNotEqual(t.due, before)
            // Refused extension keeps the date.
            _ = try await act(&staff, app, id, "xin-gia-han", ["han_moi": newDue.adding(days: 5).display, "ly_do": "Thêm"])
            let refuseNoReason = try await act(&leader, app, id, "tu-choi-gia-han", ["ly_do": ""])
            XCTAssertEqual(refuseNoReason.status, .conflict)
            _ = try await act(&leader, app, id, "tu-choi-gia-han", ["ly_do": "Cần hoàn thành đúng hạn"])
            t = try await task(app, id)
            XCTAssertEqual(t.due, newDue.iso)
            XCTAssertEqual(t.state, "dang-thuc-hien")
            // Cancel needs a reason and a decider.
            let staffCancel = try await act(&staff, app, id, "huy", ["ly_do": "Không làm"])
            XCTAssertEqual(staffCancel.status, .forbidden)
            let noReason = try await act(&leader, app, id, "huy", ["ly_do": ""])
            XCTAssertEqual(noReason.status, .conflict)
            _ = try await act(&leader, app, id, "huy", ["ly_do": "Nhiệm vụ không còn phù hợp"])
            do { let value = try await task(app, id).state; XCTAssertEqual(value, "da-huy") }

            // A proposal: the proposer cannot approve it; the leader does and becomes the assigner.
            try await staff.get("/viec/moi?de_xuat=1")
            let proposed = try await staff.post("/viec/moi", ["tieu_de": "Sổ tay nghiệp vụ", "de_xuat": "1", "san_pham": "SP-CM-03",
                                                              "so_luong": "1",
                                                             "bat_dau": TestEnv.today.display, "han": TestEnv.today.adding(days: 9).display,
                                                             "uu_tien": "cao", "token": UUID().uuidString])
            XCTAssertEqual(proposed.status, .seeOther, proposed.text)
            let pid = UUID(uuidString: String(proposed.location.dropFirst(6).prefix(36)))!
            do { let value = try await task(app, pid).state; XCTAssertEqual(value, "cho-duyet") }
            do { let value = try await task(app, pid).source; XCTAssertEqual(value, "tu-de-xuat") }
            // The leader of the unit hears of it (the grant on the proposer's unit, found among its ancestors).
            let leaderID = try await Browser.principal(app, "lanhdao").userID
            do { let n = try await Notice.query(on: app.db).filter(\.$taskID == pid).filter(\.$kind == "de-xuat")
                .filter(\.$userID == leaderID).count(); XCTAssertEqual(n, 1) }
            let own = try await act(&staff, app, pid, "duyet-de-xuat")
            XCTAssertEqual(own.status, .forbidden)
            _ = try await act(&leader, app, pid, "duyet-de-xuat")
            t = try await task(app, pid)
            XCTAssertEqual(t.state, "da-giao")
            XCTAssertEqual(t.assignerName, "Cao Hữu Nam")

            // To a unit: waits for its head, who distributes it to someone of the unit only.
            try await leader.get("/viec/moi")
            let unitTask = try await leader.post("/viec/moi", ["tieu_de": "Rà soát hồ sơ", "san_pham": "SP-CM-01", "so_luong": "3",
                                                               "don_vi": "BTCTU-P3",
                                                              "bat_dau": TestEnv.today.display,
                                                              "han": TestEnv.today.adding(days: 9).display,
                                                              "nguon": "ke-hoach", "uu_tien": "binh-thuong", "token": UUID().uuidString])
            XCTAssertEqual(unitTask.status, .seeOther, unitTask.text)
            let uid = UUID(uuidString: String(unitTask.location.dropFirst(6).prefix(36)))!
            do { let value = try await task(app, uid).assigneeID; XCTAssertNil(value) }
            let outsider = try await act(&leader, app, uid, "phan-cong", ["nguoi": "CB-SNV-P1-02"])
            XCTAssertEqual(outsider.status, .unprocessableEntity)
            let wrongCatalog = try await act(&leader, app, uid, "phan-cong", ["nguoi": "CB-BTCTU-P3-04"])
            XCTAssertEqual(wrongCatalog.status, .unprocessableEntity)
            XCTAssertTrue(wrongCatalog.text.contains("không thuộc danh mục sản phẩm"))
            _ = try await act(&leader, app, uid, "phan-cong", ["nguoi": "CB-BTCTU-P3-05"])
            do { let value = try await task(app, uid).assigneeID; XCTAssertNotNil(value) }
        }
    }

    func testBadInputChangesNothing() async throws {
        try await withApp { app in
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let before = try await WorkTask.query(on: app.db).count()
            func post(_ changes: [String: String]) async throws -> BrowserResponse {
                try await leader.get("/viec/moi")
                let base = ["tieu_de": "Việc hợp lệ", "nguon": "phat-sinh", "san_pham": "SP-CM-02", "so_luong": "1",
                            "bat_dau": "10/12/2026",
                            "han": "20/12/2026", "uu_tien": "binh-thuong", "nguoi": "CB-BTCTU-P3-03", "token": UUID().uuidString]
                return try await leader.post("/viec/moi", base.merging(changes) { $1 })
            }
            let cases: [([String: String], String)] = [
                (["tieu_de": "   "], "Tên nhiệm vụ không được để trống"),
                (["han": "01/12/2026"], "không được trước ngày bắt đầu"),
                (["so_luong": "0"], "Số lượng phải lớn hơn 0"),
                (["so_luong": "-2"], "Số lượng phải lớn hơn 0"),
                (["san_pham": "SP-PV-01"], "không thuộc danh mục sản phẩm"),
                (["san_pham": "KHONG-CO"], "Không có sản phẩm mã"),
                (["muc_do": "Siêu khó"], "không có trong sản phẩm"),
                (["nguon": "van-ban-chi-dao", "so_van_ban": ""], "cần số, ký hiệu văn bản"),
                (["nguoi": "CB-SNV-P1-02"], "Không có cán bộ mã «CB-SNV-P1-02» trong phạm vi bạn được giao việc"),
                (["nguoi": ""], "Vui lòng chọn người chủ trì"),
                (["han": "32/13/2026"], "Hạn hoàn thành không đọc được"),
            ]
            for (changes, message) in cases {
                let res = try await post(changes)
                XCTAssertEqual(res.status, .unprocessableEntity, "\(changes)")
                XCTAssertTrue(res.text.contains(message), "\(changes): \(message)")
                // What was typed is still there.
                XCTAssertTrue(res.text.contains("value=\"\(changes["tieu_de"] ?? "Việc hợp lệ")\""), "\(changes)")
            }
            let after = try await WorkTask.query(on: app.db).count()
            XCTAssertEqual(before, after)

            // The same form twice (double click, two tabs): one task.
            let token = UUID().uuidString
            let first = try await assign(&leader, token: token)
            let second = try await assign(&leader, token: token)
            XCTAssertEqual(first, second)
            let made = try await WorkTask.query(on: app.db).count()
            XCTAssertEqual(made, before + 1)

            // A stale form (the task moved on since the page was loaded) is refused.
            var staff = Browser(app)
            try await staff.login("canbo")
            let old = try await task(app, first).version
            _ = try await act(&staff, app, first, "tien-do", ["phan_tram": "10"], version: old)
            let again = try await act(&staff, app, first, "tien-do", ["phan_tram": "90"], version: old)
            XCTAssertEqual(again.status, .conflict)
            XCTAssertTrue(again.text.contains("vừa được cập nhật ở nơi khác"))
            do { let value = try await task(app, first).percent; XCTAssertEqual(value, 10) }

            // Several people at once: one task each.
            try await leader.get("/viec/moi")
            let many = try await leader.post("/viec/moi", ["tieu_de": "Báo cáo tuần", "nguon": "phat-sinh", "san_pham": "SP-CM-02",
                                                           "so_luong": "1",
                                                          "bat_dau": "10/12/2026", "han": "20/12/2026", "uu_tien": "binh-thuong",
                                                          "nguoi": "CB-BTCTU-P3-03, CB-BTCTU-P3-05", "token": UUID().uuidString])
            XCTAssertEqual(many.status, .seeOther)
            do { let value = try await WorkTask.query(on: app.db).filter(\.$title == "Báo cáo tuần").count(); XCTAssertEqual(value, 2) }
        }
    }

    func testBatchFromAPlanIsAllOrNothing() async throws {
        try await withApp { app in
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let before = try await WorkTask.query(on: app.db).count()
            let token = UUID().uuidString
            let bad = """
                Tên nhiệm vụ\tMã người được giao\tMã sản phẩm\tSố lượng\tHạn
                Báo cáo tuần 49\tCB-BTCTU-P3-03\tSP-CM-02\t1\t04/12/2026
                Công văn trả lời\tCB-BTCTU-P3-05\tSP-CM-01\t0\t10/12/2026
                Phục vụ hội nghị\tCB-BTCTU-P3-03\tSP-PV-01\t1\t10/12/2026
                """
            try await leader.get("/viec/hang-loat")
            let checked = try await leader.post("/viec/hang-loat", ["dong": bad, "bat_dau": "01/12/2026", "nguon": "ke-hoach",
                                                                   "so_van_ban": "12-KH/BTCTU", "uu_tien": "binh-thuong", "token": token,
                                                                   "kiem_tra": "1"])
            XCTAssertEqual(checked.status, .unprocessableEntity)
            XCTAssertTrue(checked.text.contains("Dòng 3: Số lượng phải lớn hơn 0."), checked.text)
            XCTAssertTrue(checked.text.contains("Dòng 4: Sản phẩm «SP-PV-01» không thuộc danh mục sản phẩm"))
            XCTAssertFalse(checked.text.contains("Giao tất cả"))
            // Asking to assign anyway writes nothing.
            let forced = try await leader.post("/viec/hang-loat", ["dong": bad, "bat_dau": "01/12/2026", "nguon": "ke-hoach",
                                                                   "token": token, "giao": "1"])
            XCTAssertEqual(forced.status, .unprocessableEntity)
            do { let n = try await WorkTask.query(on: app.db).count(); XCTAssertEqual(n, before) }

            let good = bad.replacingOccurrences(of: "SP-CM-01\t0", with: "SP-CM-01\t2")
                .replacingOccurrences(of: "Phục vụ hội nghị\tCB-BTCTU-P3-03\tSP-PV-01",
                                      with: "Dự thảo kế hoạch\tCB-BTCTU-P3-03\tSP-CM-05")
            let ok = try await leader.post("/viec/hang-loat", ["dong": good, "bat_dau": "01/12/2026", "nguon": "ke-hoach",
                                                              "so_van_ban": "12-KH/BTCTU", "uu_tien": "binh-thuong", "token": token,
                                                              "kiem_tra": "1"])
            XCTAssertEqual(ok.status, .ok)
            XCTAssertTrue(ok.text.contains("3 dòng hợp lệ"))
            XCTAssertTrue(ok.text.contains("Giao tất cả"))
            do { let n = try await WorkTask.query(on: app.db).count(); XCTAssertEqual(n, before, "a check writes nothing") }
            let done = try await leader.post("/viec/hang-loat", ["dong": good, "bat_dau": "01/12/2026", "nguon": "ke-hoach",
                                                                "so_van_ban": "12-KH/BTCTU", "uu_tien": "binh-thuong", "token": token,
                                                                "giao": "1"])
            XCTAssertEqual(done.status, .seeOther)
            XCTAssertEqual(done.location, "/viec?xem=da-giao&tb=tao-nhieu&so=3")
            let again = try await leader.post("/viec/hang-loat", ["dong": good, "bat_dau": "01/12/2026", "nguon": "ke-hoach",
                                                                 "so_van_ban": "12-KH/BTCTU", "uu_tien": "binh-thuong", "token": token,
                                                                 "giao": "1"])
            XCTAssertEqual(again.status, .seeOther, "the same form twice assigns once")
            let made = try await WorkTask.query(on: app.db).filter(\.$documentNumber == "12-KH/BTCTU").all()
            XCTAssertEqual(made.count, 3)
            XCTAssertEqual(Set(made.map(\.source)), ["ke-hoach"])
            XCTAssertEqual(Set(made.compactMap(\.batchID)).count, 1)
            var staff = Browser(app)
            try await staff.login("canbo")
            let forbidden = try await staff.get("/viec/hang-loat")
            XCTAssertEqual(forbidden.status, .forbidden)
        }
    }
}
