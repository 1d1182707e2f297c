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
        let sql = app.db.sql
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
        try await app.db.sql.raw("UPDATE people SET leadership_rank = 'cap-pho' WHERE id = \(bind: deputy.id!)").run()
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
        let agencies = AgencyMap([.init(path: "/a/b/", code: "B", name: "B", block: "dang")])
        XCTAssertTrue(agencies.needsSecondPerson(unitPath: "/a/", isLeader: true))
        XCTAssertFalse(agencies.needsSecondPerson(unitPath: "/a/b/", isLeader: true))
        XCTAssertFalse(agencies.needsSecondPerson(unitPath: "/a/", isLeader: false))
    }

    func testADeputyIsRefusedOnTheHeadsTaskThroughThePages() async throws {
        try await withApp { app in
            // A deputy head of BTCTU-P3 (leader grant on the room), and a task of the room's head.
            let head = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-01").first()!
            try await makeDeputy(app)
            let task = try await WorkTask.query(on: app.db).filter(\.$state == TaskState.awaitingAcceptance.rawValue).sort(\.$code).first()!
            try await app.db.sql.raw("""
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

    /// Leave about the top unit's head: one leader proposes, the head takes no part, the proposer
    /// cannot confirm, another leader confirms and the record takes effect; voiding it goes the same
    /// way and may be refused with a reason.
    func testLeaveAboutATopLeaderTakesTwoPeople() async throws {
        try await withApp { app in
            _ = try await topLeaders(app)
            var first = Browser(app), second = Browser(app), lead = Browser(app)
            try await first.login("phobithu1")
            try await second.login("phobithu2")
            try await lead.login("bithu")
            let bithu = try await Person.query(on: app.db).filter(\.$code == "CB-VPTU-P1-01").first()!
            try await first.get("/nghi-che-do/moi")
            let leave = ["nguoi": bithu.code, "loai": "om-dau", "tu_ngay": TestEnv.today.adding(days: -9).display,
                         "den_ngay": TestEnv.today.adding(days: -8).display, "can_cu": "Giấy nghỉ ốm số 3"]
            let proposed = try await first.post("/nghi-che-do/moi", leave)
            XCTAssertEqual(proposed.location, "/nghi-che-do?tb=de-nghi")
            let none = try await LeaveRecord.query(on: app.db).filter(\.$personID == bithu.id!).count()
            XCTAssertEqual(none, 0, "nothing recorded before a second person confirms")
            let proposal = try await PendingRecordDecision.query(on: app.db).first()!
            let phobithu2 = try await User.query(on: app.db).filter(\.$username == "phobithu2").first()!.id!
            let told = try await Notice.query(on: app.db).filter(\.$kind == "xac-nhan").all().map(\.userID)
            XCTAssertTrue(told.contains(phobithu2))
            let bithuAccount = try await User.query(on: app.db).filter(\.$username == "bithu").first()!.id!
            XCTAssertFalse(told.contains(bithuAccount))
            let page = try await second.get("/nghi-che-do")
            XCTAssertTrue(page.text.contains("Đề nghị chờ xác nhận") && page.text.contains(proposal.summary))
            XCTAssertTrue(page.text.contains("/nghi-che-do/de-nghi/\(proposal.id!)/xac-nhan"))
            let leadPage = try await lead.get("/nghi-che-do")
            XCTAssertFalse(leadPage.text.contains("/de-nghi/\(proposal.id!)/xac-nhan"), "the person concerned has no button")
            let byLead = try await lead.post("/nghi-che-do/de-nghi/\(proposal.id!)/xac-nhan", [:])
            XCTAssertEqual(byLead.status, .forbidden)
            let byProposer = try await first.post("/nghi-che-do/de-nghi/\(proposal.id!)/xac-nhan", [:])
            XCTAssertEqual(byProposer.status, .forbidden)
            let confirmed = try await second.post("/nghi-che-do/de-nghi/\(proposal.id!)/xac-nhan", [:])
            XCTAssertEqual(confirmed.location, "/nghi-che-do?tb=xac-nhan")
            let record = try await LeaveRecord.query(on: app.db).filter(\.$personID == bithu.id!).first()
            XCTAssertEqual(record?.basis, "Giấy nghỉ ốm số 3")
            let again = try await second.post("/nghi-che-do/de-nghi/\(proposal.id!)/xac-nhan", [:])
            XCTAssertEqual(again.status, .notFound, "confirmed once")
            // Voiding: proposed, refused with a reason (kept), proposed again, confirmed.
            let voidProposal = try await first.post("/nghi-che-do/\(record!.id!)/huy", ["ly_do": "Ghi nhầm ngày"])
            XCTAssertEqual(voidProposal.location, "/nghi-che-do?tb=de-nghi")
            let twice = try await second.post("/nghi-che-do/\(record!.id!)/huy", ["ly_do": "Ghi nhầm"])
            XCTAssertEqual(twice.status, .conflict, "one voiding proposal per record at a time")
            let pendingVoid = try await PendingRecordDecision.query(on: app.db).first()!
            let noReason = try await second.post("/nghi-che-do/de-nghi/\(pendingVoid.id!)/bac", ["ly_do": ""])
            XCTAssertEqual(noReason.status, .unprocessableEntity)
            let refused = try await second.post("/nghi-che-do/de-nghi/\(pendingVoid.id!)/bac", ["ly_do": "Ngày đúng theo giấy"])
            XCTAssertEqual(refused.location, "/nghi-che-do?tb=bac")
            let kept = try await LeaveRecord.find(record!.id!, on: app.db)!
            XCTAssertFalse(kept.voided)
            _ = try await first.post("/nghi-che-do/\(record!.id!)/huy", ["ly_do": "Ghi nhầm ngày"])
            let next = try await PendingRecordDecision.query(on: app.db).first()!
            _ = try await second.post("/nghi-che-do/de-nghi/\(next.id!)/xac-nhan", [:])
            let voided = try await LeaveRecord.find(record!.id!, on: app.db)!
            XCTAssertTrue(voided.voided)
            let actions = try await AuditEntry.query(on: app.db).filter(\.$entityType == "leave")
                .filter(\.$actor ~~ ["phobithu1", "phobithu2"]).sort(\.$id).all().map(\.action)
            XCTAssertEqual(actions, ["leave.propose", "leave.record", "leave.confirm", "leave.propose", "leave.reject",
                                     "leave.propose", "leave.void", "leave.confirm"])
            let confirm = try await AuditEntry.query(on: app.db).filter(\.$action == "leave.confirm").first()!
            XCTAssertEqual(confirm.actor, "phobithu2")
            XCTAssertTrue(confirm.after.contains("nguoi_de_nghi"))
        }
    }

    /// A discipline record about the top unit's head, and a proposal its author withdraws.
    func testDisciplineAboutATopLeaderTakesTwoPeople() async throws {
        try await withApp { app in
            _ = try await topLeaders(app)
            var first = Browser(app), second = Browser(app)
            try await first.login("phobithu1")
            try await second.login("phobithu2")
            try await first.get("/ky-luat/moi")
            let entry = ["nguoi": "CB-VPTU-P1-01", "loai": "vi-pham", "loai_vi_pham": "VP-01",
                         "ngay": TestEnv.today.adding(days: -2).display, "ghi_chu": "Đến muộn họp"]
            let proposed = try await first.post("/ky-luat/moi", entry)
            XCTAssertEqual(proposed.location, "/ky-luat?tb=de-nghi")
            let mine = try await PendingRecordDecision.query(on: app.db).first()!.id!
            let withdrawn = try await first.post("/ky-luat/de-nghi/\(mine)/bac", [:])
            XCTAssertEqual(withdrawn.location, "/ky-luat?tb=bac")
            _ = try await first.post("/ky-luat/moi", entry)
            let proposal = try await PendingRecordDecision.query(on: app.db).first()!
            let wrongKind = try await second.post("/nghi-che-do/de-nghi/\(proposal.id!)/xac-nhan", [:])
            XCTAssertEqual(wrongKind.status, .notFound)
            try await second.get("/ky-luat")
            let confirmed = try await second.post("/ky-luat/de-nghi/\(proposal.id!)/xac-nhan", [:])
            XCTAssertEqual(confirmed.location, "/ky-luat?tb=xac-nhan")
            let records = try await DisciplineRecord.query(on: app.db).filter(\.$note == "Đến muộn họp").all()
            let confirmer = try await Person.query(on: app.db).filter(\.$code == "CB-VPTU-P1-03").first()!
            XCTAssertEqual(records.map(\.enteredBy), [confirmer.fullName], "the record is the confirming person's act")
            let actions = try await AuditEntry.query(on: app.db).filter(\.$entityType == "discipline").sort(\.$id).all().map(\.action)
            XCTAssertEqual(actions, ["discipline.propose", "discipline.withdraw", "discipline.propose", "discipline.record",
                                     "discipline.confirm"])
        }
    }
}
