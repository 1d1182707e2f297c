import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Đánh giá phối hợp: only the lead, only once the shared task is completed, 1–5.
final class WorkCoordinationTests: XCTestCase {
    func testTheLeadRatesParticipantsWhenTheTaskCloses() async throws {
        try await withApp { app in
            let leaderP = try await Browser.principal(app, "lanhdao")
            let staffP = try await Browser.principal(app, "canbo")
            let lead = WorkService(store: app.store, principal: leaderP, actor: .system("test", at: app.clock.now), settings: app.settings)
            let mine = WorkService(store: app.store, principal: staffP, actor: .system("test", at: app.clock.now), settings: app.settings)
            var d = TaskDraft(title: "Báo cáo liên ngành", start: TestEnv.today.iso, due: TestEnv.today.adding(days: 7).iso)
            d.productCode = "SP-CM-03"
            let id = try await lead.create(.init(draft: d, assigneeCodes: ["CB-BTCTU-P3-03"], participantCodes: ["CB-BTCTU-P3-05"],
                                                 token: UUID().uuidString))[0]
            let found = try await TaskParticipant.query(on: app.db).filter(\.$taskID == id).first()
            let part = try XCTUnwrap(found)
            func version() async throws -> Int { try await WorkTask.find(id, on: app.db)!.version }

            var staff = Browser(app)
            try await staff.login("canbo")
            try await staff.get("/viec/\(id)")
            let early = try await staff.post("/viec/\(id)/danh-gia-phoi-hop", ["nguoi[]": part.id!.uuidString, "diem[]": "5",
                                                                               "nhan_xet[]": ""])
            XCTAssertEqual(early.status, .conflict)
            XCTAssertTrue(early.text.contains("khi nhiệm vụ đã hoàn thành"))

            try await mine.addReference(id, kind: "van-ban", text: "15-BC/BTCTU")
            try await mine.act(id, version: try await version(), .submit(evidence: 1, note: ""))
            try await lead.act(id, version: try await version(), .accept(.pass))

            let page = try await staff.get("/viec/\(id)")
            XCTAssertTrue(page.text.contains("Đánh giá người phối hợp"))
            let bad = try await staff.post("/viec/\(id)/danh-gia-phoi-hop", ["nguoi[]": part.id!.uuidString, "diem[]": "7",
                                                                             "nhan_xet[]": ""])
            XCTAssertEqual(bad.status, .unprocessableEntity)
            XCTAssertTrue(bad.text.contains("từ 1 đến 5"))
            let stranger = try await staff.post("/viec/\(id)/danh-gia-phoi-hop", ["nguoi[]": UUID().uuidString, "diem[]": "4",
                                                                                  "nhan_xet[]": ""])
            XCTAssertEqual(stranger.status, .unprocessableEntity)
            let ok = try await staff.post("/viec/\(id)/danh-gia-phoi-hop", ["nguoi[]": part.id!.uuidString, "diem[]": "4",
                                                                            "nhan_xet[]": "Cung cấp số liệu đúng hạn"])
            XCTAssertEqual(ok.status, .seeOther)
            let saved = try await TaskParticipant.find(part.id, on: app.db)
            XCTAssertEqual(saved?.rating, 4)
            XCTAssertEqual(saved?.ratingNote, "Cung cấp số liệu đúng hạn")

            // The leader sees the rating but cannot give it; the audit trail has it.
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let seen = try await leader.get("/viec/\(id)")
            XCTAssertTrue(seen.text.contains("4/5 — Cung cấp số liệu đúng hạn"))
            let notLead = try await leader.post("/viec/\(id)/danh-gia-phoi-hop", ["nguoi[]": part.id!.uuidString, "diem[]": "1",
                                                                                  "nhan_xet[]": ""])
            XCTAssertEqual(notLead.status, .forbidden)
            let audited = try await AuditEntry.query(on: app.db).filter(\.$action == "task.coordination").count()
            XCTAssertEqual(audited, 1)
        }
    }
}
