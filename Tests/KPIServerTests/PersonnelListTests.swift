import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Danh sách phục vụ công tác cán bộ (issue 19, item 5): from the stored year results, by the rules
/// the advisory body keeps as data; in the viewer's scope only.
final class PersonnelListTests: XCTestCase {
    func testListsFollowTheRulesAndTheScope() async throws {
        try await withApp { app in
            let y = TestEnv.today.year - 1
            let star = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-03").first()!
            let weak = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-04").first()!
            _ = try await YearRollupTests.period(app, "\(y - 1)", agency: "BTCTU", state: .locked, person: star, revisions: [9_300])
            _ = try await YearRollupTests.period(app, "\(y)", agency: "BTCTU", state: .published, person: star, revisions: [9_100])
            // The same year periods hold the other specialist's sheet: "không hoàn thành" in the last year only.
            for (code, level) in [("\(y - 1)", Level.good), ("\(y)", Level.fail)] {
                let p = try await EvaluationPeriod.query(on: app.db).filter(\.$code == code).first()!
                let e = Evaluation()
                e.id = UUID(); e.periodID = p.id!; e.personID = weak.id!; e.personCode = weak.code; e.isLeader = false
                e.scopePath = weak.scopePath; e.selfComment = ""; e.selfRubric = "{}"; e.reviewComment = ""; e.reviewRubric = "{}"
                e.reviewTaskScore = ""; e.reviewedBy = ""; e.level = level.rawValue; e.hundredths = 4_000; e.reasons = "[]"
                e.revision = 1
                try await e.create(on: app.db)
            }

            var adviser = Browser(app)
            try await adviser.login("thammuu")
            let page = try await adviser.get("/bao-cao/cong-tac-can-bo?nam=\(y)")
            XCTAssertEqual(page.status, .ok)
            func section(_ text: String, _ name: String) -> String {
                text.components(separatedBy: name).dropFirst().first?.components(separatedBy: "</section>").first ?? ""
            }
            let reward = section(page.text, "Hoàn thành xuất sắc nhiệm vụ 2 năm liên tiếp")
            XCTAssertTrue(reward.contains(star.fullName) && reward.contains("1 người"), reward)
            XCTAssertFalse(reward.contains(weak.fullName))
            let once = section(page.text, "Không hoàn thành nhiệm vụ trong năm")
            XCTAssertTrue(once.contains(weak.fullName) && once.contains("1 người"))
            let twice = section(page.text, "Không hoàn thành nhiệm vụ 2 năm liên tiếp")
            XCTAssertTrue(twice.contains("0 người"))
            // A year before: nobody has two years yet.
            do { let t = try await adviser.get("/bao-cao/cong-tac-can-bo?nam=\(y - 1)").text
                XCTAssertTrue(section(t, "Hoàn thành xuất sắc nhiệm vụ 2 năm liên tiếp").contains("0 người")) }
            let csv = try await adviser.get("/bao-cao/cong-tac-can-bo?nam=\(y)&dinh_dang=csv")
            XCTAssertTrue(csv.text.contains("Hoàn thành xuất sắc nhiệm vụ 2 năm liên tiếp") && csv.text.contains(star.code))
            XCTAssertEqual(csv.text.split(whereSeparator: \.isNewline).count, 3, "the header and one line per person listed")

            // Scope: the room's head sees them; a specialist and another agency's administrator do not.
            var leader = Browser(app)
            try await leader.login("lanhdao")
            do { let t = try await leader.get("/bao-cao/cong-tac-can-bo?nam=\(y)").text; XCTAssertTrue(t.contains(star.fullName)) }
            var staff = Browser(app)
            try await staff.login("canbo")
            do { let s = try await staff.get("/bao-cao/cong-tac-can-bo").status; XCTAssertEqual(s, .forbidden) }
            do { let s = try await leader.get("/bao-cao/cong-tac-can-bo/quy-tac").status; XCTAssertEqual(s, .forbidden) }

            // The rules are data: the advisory body changes them, refused when malformed, audited.
            try await adviser.get("/bao-cao/cong-tac-can-bo/quy-tac")
            let bad = try await adviser.post("/bao-cao/cong-tac-can-bo/quy-tac", ["ten_0": "Hoàn thành nhiệm vụ",
                                                                                 "muc_dich_0": "xem-xet",
                                                                                 "xep_loai_0": "HTNV", "so_nam_0": "9"])
            XCTAssertEqual(bad.status, .unprocessableEntity)
            XCTAssertTrue(bad.text.contains("số năm liên tiếp từ 1 đến 5"))
            let saved = try await adviser.post("/bao-cao/cong-tac-can-bo/quy-tac", [
                "ten_0": "Hoàn thành tốt nhiệm vụ năm trước", "muc_dich_0": "khen-thuong", "xep_loai_0": "HTTNV",
                "so_nam_0": "1",
                "ten_1": "", "muc_dich_1": "xem-xet", "xep_loai_1": "KHTNV", "so_nam_1": ""])
            XCTAssertEqual(saved.status, .seeOther)
            let after = try await adviser.get("/bao-cao/cong-tac-can-bo?nam=\(y - 1)")
            XCTAssertTrue(section(after.text, "Hoàn thành tốt nhiệm vụ năm trước").contains(weak.fullName))
            XCTAssertFalse(after.text.contains("Không hoàn thành nhiệm vụ trong năm"), "the old rules are gone")
            let audit = try await AuditEntry.query(on: app.db).filter(\.$entityID == PersonnelListService.key).count()
            XCTAssertEqual(audit, 1)
        }
    }
}
