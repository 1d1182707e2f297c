import Fluent
import Foundation
@testable import KPIServer
import KPICore
import XCTVapor

/// Issue 16, hole 9: what leaked across scopes, each closed.
final class ScopeLeakTests: XCTestCase {
    /// Assigning to a code outside one's scope answered with that person's full name; participants
    /// from another agency could be added (and then rated, lowering that agency's scores).
    func testTaskFormsRevealNobodyOutsideAndTakeParticipantsFromTheAgency() async throws {
        try await withApp { app in
            let lead = WorkService(store: app.store, principal: try await Browser.principal(app, "lanhdao"),
                                   actor: .system("test", at: app.clock.now), settings: app.settings)
            let outsider = try await Person.query(on: app.db).filter(\.$code == "CB-SNV-P1-02").first()!
            var d = TaskDraft(title: "Báo cáo", start: TestEnv.today.iso, due: TestEnv.today.adding(days: 7).iso)
            d.productCode = "SP-CM-03"
            do {
                _ = try await lead.create(.init(draft: d, assigneeCodes: ["CB-SNV-P1-02"], token: UUID().uuidString))
                XCTFail("assigned outside the scope")
            } catch let e as WorkService.Invalid {
                XCTAssertEqual(e.problems.map(\.message),
                               ["Không có cán bộ mã «CB-SNV-P1-02» trong phạm vi bạn được giao việc."])
                XCTAssertFalse(e.problems.contains { $0.message.contains(outsider.fullName) })
            }
            do {
                _ = try await lead.create(.init(draft: d, assigneeCodes: ["CB-BTCTU-P3-03"], participantCodes: ["CB-SNV-P1-03"],
                                                token: UUID().uuidString))
                XCTFail("a participant from another agency was added")
            } catch let e as WorkService.Invalid {
                XCTAssertEqual(e.problems.map(\.message),
                               ["Không có cán bộ đang công tác mã «CB-SNV-P1-03» trong cơ quan của nhiệm vụ."])
            }
            // Within the agency, beyond the leader's own unit: accepted.
            let ok = try await lead.create(.init(draft: d, assigneeCodes: ["CB-BTCTU-P3-03"], participantCodes: ["CB-BTCTU-P1-03"],
                                                 token: UUID().uuidString))
            XCTAssertEqual(ok.count, 1)
        }
    }

    /// A task page listed the parent's and children's titles whatever the viewer could see.
    func testATaskPageShowsOnlyTheRelatedTasksTheViewerMaySee() async throws {
        try await withApp { app in
            let head = WorkService(store: app.store, principal: try await Browser.principal(app, "truongban"),
                                   actor: .system("test", at: app.clock.now), settings: app.settings)
            var d = TaskDraft(title: "Đề án mật của phòng khác", start: TestEnv.today.iso,
                              due: TestEnv.today.adding(days: 20).iso)
            d.productCode = "SP-CM-03"
            let parent = try await head.create(.init(draft: d, assigneeCodes: ["CB-BTCTU-P1-03"], token: UUID().uuidString))[0]
            d.title = "Phần việc của phòng 3"
            let child = try await head.create(.init(draft: d, assigneeCodes: ["CB-BTCTU-P3-03"], parentID: parent,
                                                    token: UUID().uuidString))[0]
            var staff = Browser(app)
            try await staff.login("canbo")
            let page = try await staff.get("/viec/\(child)")
            XCTAssertEqual(page.status, .ok)
            XCTAssertFalse(page.text.contains("Đề án mật của phòng khác"), "the parent is out of reach")
            var boss = Browser(app)
            try await boss.login("truongban")
            let full = try await boss.get("/viec/\(child)")
            XCTAssertTrue(full.text.contains("Đề án mật của phòng khác"), "the head of the agency sees it")
            let up = try await boss.get("/viec/\(parent)")
            XCTAssertTrue(up.text.contains("Phần việc của phòng 3"))
        }
    }

    /// The framework preview listed names and scores of the whole province to any leader.
    func testThePreviewCountsOnlyPeopleTheUserMaySee() async throws {
        try await withApp { app in
            let f = try await Framework.query(on: app.db).filter(\.$code == "cong-chuc").filter(\.$organizationID == nil)
                .filter(\.$status == "published").first()!
            let advisory = FrameworkService(store: app.store, principal: try await Browser.principal(app, "thammuu"),
                                            actor: .system("test", at: app.clock.now))
            let leader = try await Browser.principal(app, "lanhdao")
            let narrow = FrameworkService(store: app.store, principal: leader, actor: .system("test", at: app.clock.now))
            let all = try await advisory.preview(f.id!)
            let mine = try await narrow.preview(f.id!)
            let inputs = try await ScoreInput.query(on: app.db).filter(\.$period == all.period!).all()
            let expected = try inputs.filter { r in
                try JSONDecoder().decode(ScoreInputData.self, from: Data(r.data.utf8)).staffKind == "cong-chuc"
                    && leader.can(.viewEvaluations, at: r.scopePath)
            }.count
            XCTAssertGreaterThan(all.people, mine.people)
            XCTAssertEqual(mine.people, expected)
        }
    }

    /// Moving a unit left its tasks and people's records under the old branch: the old leaders kept
    /// access and the new ones had none. They move with the node now.
    func testAMovedUnitTakesItsRecordsAlong() async throws {
        try await withApp { app in
            let unit = try await Organization.query(on: app.db).filter(\.$code == "BTCTU-P3").first()!
            let canbo = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-03").first()!
            let found = try await WorkTask.query(on: app.db).filter(\.$assigneeID == canbo.id!).first()
            let task = try XCTUnwrap(found)
            var head = Browser(app)
            try await head.login("truongban")
            let before = try await head.get("/viec/\(task.id!)").status
            XCTAssertEqual(before, .ok, "the head of Ban Tổ chức sees the unit's task")
            var admin = Browser(app)
            try await admin.login("quantri")
            try await admin.get("/danh-muc/co-quan/\(unit.id!)/sua")
            let moved = try await admin.post("/danh-muc/co-quan/\(unit.id!)/sua",
                                             ["ma": "BTCTU-P3", "ten": unit.name, "khoi": unit.block, "cap": unit.level,
                                              "ma_cap_tren": "SNV"])
            XCTAssertEqual(moved.status, .seeOther, moved.text)
            let newPath = try await Organization.find(unit.id!, on: app.db)!.path
            let t = try await WorkTask.find(task.id!, on: app.db)!
            XCTAssertTrue(t.scopePath.hasPrefix(newPath), "the task moved with its unit")
            let stale = try await WorkTask.query(on: app.db).filter(\.$scopePath, .custom("LIKE"), unit.path + "%").count()
            XCTAssertEqual(stale, 0, "nothing is left under the old branch")
            let after = try await head.get("/viec/\(task.id!)").status
            XCTAssertEqual(after, .notFound, "the old branch's head no longer sees it")
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let own = try await leader.get("/viec/\(task.id!)").status
            XCTAssertEqual(own, .ok, "the unit's own leader still does")
        }
    }
}
