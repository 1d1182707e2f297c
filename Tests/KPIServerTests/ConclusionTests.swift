import Fluent
import Foundation
import KPICore
@testable import KPIServer
import SQLKit
import XCTVapor

/// Kết luận suy thoái, tham nhũng (issue 18, item 5): entered by the advisory body or the inspection
/// role with the decision's number and date; the year is ranked "không hoàn thành nhiệm vụ" — while
/// it is evaluated by recomputing it, once approved only by a new revision (and back when voided).
final class ConclusionTests: XCTestCase {
    /// The year before today's: no demonstration data in it, and a conclusion dated today may apply to it.
    let year = PeriodCode(year: TestEnv.today.year - 1, kind: .year, index: 0)!

    func testRecordedByTheAdvisoryBodyRanksTheYearAndRevisesAnApprovedOne() async throws {
        try await withApp { app in
            let person = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-03").first()!
            let y = year.year
            _ = try await YearRollupTests.period(app, "\(y)-01", agency: "BTCTU", state: .locked, person: person, revisions: [8000])
            let head = try await Browser.principal(app, "truongban")
            let svc = EvaluationService(store: app.store, principal: head, actor: .system("test", at: app.clock.now))
            let yp = try await svc.open(agencyCode: "BTCTU", period: year.text)
            try await svc.recompute(yp.id!)
            let scores = ScoreService(store: app.store, principal: head)
            func mine() async throws -> ScoreService.Row {
                let rows = try await scores.results(period: year.text)
                return try XCTUnwrap(rows.first { $0.input.personCode == person.code })
            }
            do { let row = try await mine(); XCTAssertEqual(row.result.level, .good) }

            // Only the advisory body and the inspection role enter conclusions.
            var leader = Browser(app)
            try await leader.login("lanhdao")
            do { let s = try await leader.get("/ky-luat/ket-luan/moi").status; XCTAssertEqual(s, .forbidden) }
            var adviser = Browser(app)
            adviser.peer = "127.0.9.5"
            try await adviser.login("thammuu")
            try await adviser.get("/ky-luat/ket-luan/moi")
            let base = ["nguoi": person.code, "loai": "degradation", "so_quyet_dinh": "25-KL/UBKTTU",
                "ngay_quyet_dinh": TestEnv.today.display,
                        "co_quan": "Ủy ban Kiểm tra Tỉnh ủy", "nam": String(y),
                            "ghi_chu": "Vi phạm quy định về lối sống"]
            let cases: [([String: String], String)] = [
                (["nguoi": "KHONG-CO"], "trong phạm vi bạn được ghi nhận"),
                (["nguoi": String(repeating: "A", count: 3_000)], "trong phạm vi bạn được ghi nhận"),
                (["loai": "discipline"], "Vui lòng chọn loại kết luận"),
                (["loai": "unit-corruption"], "chỉ áp dụng với người giữ chức vụ lãnh đạo"),
                (["so_quyet_dinh": " "], "Vui lòng ghi số văn bản kết luận"),
                (["ngay_quyet_dinh": TestEnv.today.adding(days: 1).display], "sau hôm nay"),
                (["ngay_quyet_dinh": "hôm qua"], "Ngày văn bản không đọc được"),
                (["nam": String(y - 1)], "Năm áp dụng là năm của văn bản"),
                (["nam": "99999999999999999999"], "Vui lòng ghi năm đánh giá áp dụng"),
                (["co_quan": ""], "Vui lòng ghi cơ quan kết luận"),
            ]
            for (change, message) in cases {
                let res = try await adviser.post("/ky-luat/ket-luan/moi", base.merging(change) { $1 })
                XCTAssertEqual(res.status, .unprocessableEntity, "\(change)")
                XCTAssertTrue(res.text.contains(message), "\(change): \(message)")
                XCTAssertTrue(res.text.contains("Vi phạm quy định về lối sống"), "what was typed is kept")
            }
            do { let n = try await ConclusionRecord.query(on: app.db).count(); XCTAssertEqual(n, 0) }

            // While the year is evaluated: recorded, the year recomputed as "không hoàn thành".
            let made = try await adviser.post("/ky-luat/ket-luan/moi", base)
            XCTAssertEqual(made.status, .seeOther, made.text)
            let twice = try await adviser.post("/ky-luat/ket-luan/moi", base)
            XCTAssertEqual(twice.status, .unprocessableEntity)
            XCTAssertTrue(twice.text.contains("Đã có kết luận loại này cho năm \(y)"))
            let stale = try await EvaluationPeriod.find(yp.id, on: app.db)!.dirty
            XCTAssertTrue(stale)
            try await svc.recompute(yp.id!)
            do {
                let row = try await mine()
                XCTAssertEqual(row.result.level, .fail)
                XCTAssertTrue(row.reasons.joined(separator: " ").contains("suy thoái"), "\(row.reasons)")
            }
            // Seen by the person and their leaders, with search, filters and export.
            var staff = Browser(app)
            staff.peer = "127.0.9.6"
            try await staff.login("canbo")
            do { let t = try await staff.get("/ky-luat/ket-luan").text; XCTAssertTrue(t.contains("1 kết luận"), t) }
            do { let t = try await leader.get("/ky-luat/ket-luan?loai=unit-corruption").text; XCTAssertTrue(t.contains("0 kết luận")) }
            do { let t = try await leader.get("/ky-luat/ket-luan?nam=\(y)&q=P3-03").text; XCTAssertTrue(t.contains("1 kết luận")) }
            let csv = try await adviser.get("/ky-luat/ket-luan?dinh_dang=csv")
            XCTAssertTrue(csv.text.contains("25-KL/UBKTTU"))
            XCTAssertTrue(csv.text.contains("Áp dụng khi tính kết quả năm \(y)"))
            let record = try await ConclusionRecord.query(on: app.db).first()!

            // Waiting for approval: left alone, with what to do.
            let flow = EvaluationFlow(store: app.store, principal: head, actor: .system("test", at: app.clock.now))
            func version() async throws -> Int { try await EvaluationPeriod.find(yp.id, on: app.db)!.version }
            let today = TestEnv.today
            try await flow.startSelfAssessment(yp.id!, version: try await version(), selfDue: today, reviewDue: today, approveDue: today)
            try await flow.startReview(yp.id!, version: try await version())
            try await flow.submitForApproval(yp.id!, version: try await version())
            try await adviser.get("/ky-luat/ket-luan")
            let waiting = try await adviser.post("/ky-luat/ket-luan/\(record.id!)/huy", ["ly_do": "Văn bản bị thu hồi"])
            XCTAssertEqual(waiting.status, .conflict)
            XCTAssertTrue(waiting.text.contains("đang chờ phê duyệt"), waiting.text)
            try await flow.approve(yp.id!, version: try await version(), chosen: [], decision: "", tiesConfirmed: true, windowDays: 5)
            func sheet() async throws -> Evaluation {
                try await Evaluation.query(on: app.db).filter(\.$periodID == yp.id!).filter(\.$personID == person.id!).first()!
            }
            do { let e = try await sheet(); XCTAssertEqual(e.level, Level.fail.rawValue); XCTAssertEqual(e.revision, 1) }

            // Approved: voiding revises the year back; recording again revises it to "không hoàn thành".
            let voided = try await adviser.post("/ky-luat/ket-luan/\(record.id!)/huy", ["ly_do": "Văn bản bị thu hồi"])
            XCTAssertEqual(voided.status, .seeOther, voided.text)
            do { let e = try await sheet(); XCTAssertEqual(e.level, Level.good.rawValue); XCTAssertEqual(e.revision, 2) }
            let again = try await adviser.post("/ky-luat/ket-luan/moi", base.merging(["so_quyet_dinh": "31-KL/UBKTTU"]) { $1 })
            XCTAssertEqual(again.status, .seeOther, again.text)
            do { let e = try await sheet(); XCTAssertEqual(e.level, Level.fail.rawValue); XCTAssertEqual(e.revision, 3) }
            let second = try await ConclusionRecord.query(on: app.db).filter(\.$decisionNumber == "31-KL/UBKTTU").first()
            XCTAssertEqual(second?.effect, "phien-ban-3")
            let revisions = try await EvaluationRevision.query(on: app.db).filter(\.$periodID == yp.id!).filter(\.$personID == person.id!)
                .sort(\.$number).all()
            XCTAssertEqual(revisions.map(\.kind), ["phe-duyet", "ket-luan", "ket-luan"])
            XCTAssertTrue(revisions.last?.note.contains("văn bản số 31-KL/UBKTTU") == true)
            let audited = try await AuditEntry.query(on: app.db).filter(\.$entityType == ConclusionService.auditType).sort(\.$id).all()
            XCTAssertEqual(audited.map(\.action), ["conclusion.record", "conclusion.void", "conclusion.record"])
            XCTAssertTrue(audited.last?.after.contains("\"phien_ban_nam\":\"3\"") == true)
        }
    }
}
