import Fluent
import Foundation
@testable import KPIServer
import KPICore
import SQLKit
import XCTVapor

/// Issue 16, hole 3: nobody decides on their own record, and where nobody stands above the person
/// (a leader of the province's top unit) a decision about their work takes a second leader with the
/// same authority. Also: a deputy does not decide on the head's work (the evaluator chain).
final class SecondPersonTests: XCTestCase {
    /// Three leaders of the top unit (one the task's lead, two who may decide) and a task of the
    /// first awaiting acceptance.
    func topLeaders(_ app: Application) async throws -> (task: UUID, root: Organization) {
        let root = try await Organization.query(on: app.db).filter(\.$parentID == nil).first()!
        let sql = app.db as! any SQLDatabase
        let codes = ["CB-VPTU-P1-01", "CB-VPTU-P1-02", "CB-VPTU-P1-03"]
        try await sql.raw("""
            UPDATE people SET organization_id = \(bind: root.id!), scope_path = \(bind: root.path), leadership_rank = 'cap-truong'
            WHERE code IN (\(binds: codes))
            """).run()
        for (name, code) in zip(["bithu", "phobithu1", "phobithu2"], codes) {
            let person = try await Person.query(on: app.db).filter(\.$code == code).first()!
            let ids = try await PermissionMatrixTests.account(name, person: person, role: .leader, app: app, password: DemoData.password)
            try await RoleGrant.query(on: app.db).filter(\.$id == ids.grant).set(\.$scopePath, to: root.path)
                .set(\.$organizationID, to: root.id).update()
        }
        let lead = try await Person.query(on: app.db).filter(\.$code == codes[0]).first()!
        let task = try await WorkTask.query(on: app.db).filter(\.$state == TaskState.awaitingAcceptance.rawValue).sort(\.$code).first()!
        try await sql.raw("""
            UPDATE tasks SET assignee_id = \(bind: lead.id!), organization_id = \(bind: root.id!), scope_path = \(bind: root.path)
            WHERE id = \(bind: task.id!)
            """).run()
        return (task.id!, root)
    }

    /// CB-BTCTU-P3-05 made deputy head of the room (cấp phó), with a leader account `phophong`.
    func makeDeputy(_ app: Application) async throws {
        let deputy = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-05").first()!
        try await (app.db as! any SQLDatabase).raw("UPDATE people SET leadership_rank = 'cap-pho' WHERE id = \(bind: deputy.id!)").run()
        _ = try await PermissionMatrixTests.account("phophong", person: deputy, role: .leader, app: app, password: DemoData.password)
    }

    func post(_ b: inout Browser, _ app: Application, _ task: UUID, _ action: String,
              _ form: [String: String] = [:]) async throws -> BrowserResponse {
        try await b.get("/viec/\(task)")
        let version = try await WorkTask.find(task, on: app.db)!.version
        return try await b.post("/viec/\(task)/\(action)", form.merging(["phien_ban": String(version)]) { $1 })
    }

    func testATopLeadersWorkTakesTwoLeaders() async throws {
        try await withApp { app in
            let (task, _) = try await topLeaders(app)
            var first = Browser(app), second = Browser(app), lead = Browser(app)
            try await first.login("phobithu1")
            try await second.login("phobithu2")
            try await lead.login("bithu")
            // The lead cannot accept their own work; a colleague's acceptance only proposes it.
            let own = try await post(&lead, app, task, "nghiem-thu", ["ket_qua": "dat"])
            XCTAssertEqual(own.status, .forbidden)
            let proposed = try await post(&first, app, task, "nghiem-thu", ["ket_qua": "dat"])
            XCTAssertEqual(proposed.location, "/viec/\(task)?tb=de-nghi")
            let still = try await WorkTask.find(task, on: app.db)!.state
            XCTAssertEqual(still, TaskState.awaitingAcceptance.rawValue, "nothing decided yet")
            let told = try await Notice.query(on: app.db).filter(\.$kind == "xac-nhan").all()
            let phobithu2 = try await User.query(on: app.db).filter(\.$username == "phobithu2").first()!.id!
            XCTAssertEqual(told.map(\.userID), [phobithu2], "the other leader is asked; not the lead, not the proposer")
            let page = try await second.get("/viec/\(task)")
            XCTAssertTrue(page.text.contains("Quyết định chờ xác nhận") && page.text.contains("Nghiệm thu: Đạt"))
            // A second proposal waits for the first; the proposer cannot confirm; nor can the lead.
            let another = try await post(&second, app, task, "tra-lai", ["ly_do": "Bổ sung"])
            XCTAssertEqual(another.status, .conflict)
            let selfConfirm = try await post(&first, app, task, "xac-nhan-de-nghi")
            XCTAssertEqual(selfConfirm.status, .forbidden)
            let leadConfirm = try await post(&lead, app, task, "xac-nhan-de-nghi")
            XCTAssertEqual(leadConfirm.status, .forbidden)
            // The second leader confirms: it takes effect, both names in the trail.
            let confirmed = try await post(&second, app, task, "xac-nhan-de-nghi")
            XCTAssertEqual(confirmed.location, "/viec/\(task)?tb=xac-nhan-de-nghi")
            let done = try await WorkTask.find(task, on: app.db)!
            XCTAssertEqual(done.state, TaskState.completed.rawValue)
            XCTAssertEqual(done.verdict, "dat")
            let audit = try await AuditEntry.query(on: app.db).filter(\.$action == "task.decision.confirm").first()
            XCTAssertEqual(audit?.actor, "phobithu2")
            XCTAssertTrue(audit?.after.contains("nguoi_de_nghi") == true)
            let left = try await PendingDecision.query(on: app.db).count()
            XCTAssertEqual(left, 0)
        }
    }

    func testAProposalCanBeRefusedWithAReasonOrWithdrawn() async throws {
        try await withApp { app in
            let (task, _) = try await topLeaders(app)
            var first = Browser(app), second = Browser(app)
            try await first.login("phobithu1")
            try await second.login("phobithu2")
            _ = try await post(&first, app, task, "tra-lai", ["ly_do": "Thiếu số liệu quý"])
            let noReason = try await post(&second, app, task, "bac-de-nghi", ["ly_do": " "])
            XCTAssertEqual(noReason.status, .unprocessableEntity)
            let refused = try await post(&second, app, task, "bac-de-nghi", ["ly_do": "Số liệu đã đủ"])
            XCTAssertEqual(refused.location, "/viec/\(task)?tb=bac-de-nghi")
            let state = try await WorkTask.find(task, on: app.db)!.state
            XCTAssertEqual(state, TaskState.awaitingAcceptance.rawValue)
            let phobithu1 = try await User.query(on: app.db).filter(\.$username == "phobithu1").first()!.id!
            let notice = try await Notice.query(on: app.db).filter(\.$userID == phobithu1).filter(\.$kind == "xac-nhan").first()
            XCTAssertTrue(notice?.title.contains("Số liệu đã đủ") == true)
            // The proposer may withdraw their own proposal without a reason.
            _ = try await post(&first, app, task, "nghiem-thu", ["ket_qua": "dat"])
            let withdrawn = try await post(&first, app, task, "bac-de-nghi")
            XCTAssertEqual(withdrawn.location, "/viec/\(task)?tb=bac-de-nghi")
            let kinds = ["task.decision.propose", "task.decision.reject", "task.decision.withdraw"]
            let actions = try await AuditEntry.query(on: app.db).filter(\.$action ~~ kinds).sort(\.$id).all().map(\.action)
            XCTAssertEqual(actions, ["task.decision.propose", "task.decision.reject", "task.decision.propose", "task.decision.withdraw"])
        }
    }

    /// The evaluator chain: a deputy of a room does not accept the work of the room's head; the
    /// leader above does.
    func testADeputyDoesNotDecideOnTheHeadsWork() {
        let d = SeparationOfDuties.taskDeciders(isAssigner: true, leadsTaskUnit: true, assigneeIsLeader: true, leadsAboveAssignee: false)
        XCTAssertFalse(d.isAssigner || d.leadsScope)
        let above = SeparationOfDuties.taskDeciders(isAssigner: false, leadsTaskUnit: true, assigneeIsLeader: true,
                                                    leadsAboveAssignee: true)
        XCTAssertTrue(above.leadsScope)
        let staff = SeparationOfDuties.taskDeciders(isAssigner: false, leadsTaskUnit: true, assigneeIsLeader: false,
                                                    leadsAboveAssignee: false)
        XCTAssertTrue(staff.leadsScope, "a staff member's work: the unit's leaders")
        XCTAssertTrue(SeparationOfDuties.needsSecondPerson(assigneeUnitPath: "/a/", assigneeIsLeader: true))
        XCTAssertFalse(SeparationOfDuties.needsSecondPerson(assigneeUnitPath: "/a/b/", assigneeIsLeader: true))
        XCTAssertFalse(SeparationOfDuties.needsSecondPerson(assigneeUnitPath: "/a/", assigneeIsLeader: false))
    }

    func testADeputyIsRefusedOnTheHeadsTaskThroughThePages() async throws {
        try await withApp { app in
            // A deputy head of BTCTU-P3 (leader grant on the room), and a task of the room's head.
            let head = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-01").first()!
            try await makeDeputy(app)
            let task = try await WorkTask.query(on: app.db).filter(\.$state == TaskState.awaitingAcceptance.rawValue).sort(\.$code).first()!
            try await (app.db as! any SQLDatabase).raw("""
                UPDATE tasks SET assignee_id = \(bind: head.id!), organization_id = \(bind: head.organizationID),
                scope_path = \(bind: head.scopePath)
                WHERE id = \(bind: task.id!)
                """).run()
            var deputy = Browser(app)
            try await deputy.login("phophong")
            let refused = try await post(&deputy, app, task.id!, "nghiem-thu", ["ket_qua": "dat"])
            XCTAssertEqual(refused.status, .forbidden)
            var board = Browser(app)
            try await board.login("truongban")
            let accepted = try await post(&board, app, task.id!, "nghiem-thu", ["ket_qua": "dat"])
            XCTAssertEqual(accepted.status, .seeOther)
        }
    }

    /// Leave and discipline about a leader: the leaders above them or the personnel function, not a
    /// deputy of the same room.
    func testALeadersRecordsAreForThoseAbove() async throws {
        try await withApp { app in
            try await makeDeputy(app)
            var deputy = Browser(app)
            try await deputy.login("phophong")
            try await deputy.get("/nghi-che-do/moi")
            let leave = ["nguoi": "CB-BTCTU-P3-01", "loai": "om-dau", "tu_ngay": TestEnv.today.adding(days: -9).display,
                         "den_ngay": TestEnv.today.adding(days: -8).display, "can_cu": "Giấy nghỉ ốm số 2"]
            let refused = try await deputy.post("/nghi-che-do/moi", leave)
            XCTAssertEqual(refused.status, .unprocessableEntity)
            XCTAssertTrue(refused.text.contains("lãnh đạo cấp trên của đơn vị họ"))
            // The head of the room still records a staff member's leave; the board's head the room head's.
            var head = Browser(app)
            try await head.login("truongban")
            try await head.get("/nghi-che-do/moi")
            let ok = try await head.post("/nghi-che-do/moi", leave)
            XCTAssertEqual(ok.status, .seeOther)
            let roomHead = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-01").first()!
            let record = try await LeaveRecord.query(on: app.db).filter(\.$personID == roomHead.id!).first()!
            try await deputy.get("/nghi-che-do")
            let void = try await deputy.post("/nghi-che-do/\(record.id!)/huy", ["ly_do": "Nhầm"])
            XCTAssertEqual(void.status, .forbidden)
            var room = Browser(app)
            try await room.login("lanhdao")
            try await room.get("/ky-luat/moi")
            let staff = try await room.post("/ky-luat/moi", ["nguoi": "CB-BTCTU-P3-05", "loai": "vi-pham", "loai_vi_pham": "VP-01",
                                                            "ngay": TestEnv.today.adding(days: -2).display, "ghi_chu": "Đến muộn"])
            XCTAssertEqual(staff.status, .unprocessableEntity, "the deputy is a leader now: their record is for those above the room")
            try await head.get("/ky-luat/moi")
            let above = try await head.post("/ky-luat/moi", ["nguoi": "CB-BTCTU-P3-05", "loai": "vi-pham", "loai_vi_pham": "VP-01",
                                                            "ngay": TestEnv.today.adding(days: -2).display, "ghi_chu": "Đến muộn"])
            XCTAssertEqual(above.status, .seeOther)
        }
    }
}
