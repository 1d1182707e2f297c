import Fluent
import Foundation
import KPICore
@testable import KPIServer
import SQLKit
import XCTVapor

/// Nghỉ theo chế độ (DOMAIN.md §5): who may record leave, bad input, overlaps, voiding; a period
/// spent on leave is not evaluated, owes no self-assessment or review, and is left out of the year.
final class LeaveTests: XCTestCase {
    /// A month well after the demonstration's tasks and leave, so only this test's records fall in it.
    let period = PeriodCode.containing(TestEnv.today.adding(days: 200), kind: .month)

    func testRecordRefuseVoidAndVisibility() async throws {
        try await withApp { app in
            let demo = try await LeaveRecord.query(on: app.db).count()
            var leader = Browser(app)
            try await leader.login("lanhdao")
            try await leader.get("/nghi-che-do/moi")
            let base = ["nguoi": "CB-BTCTU-P3-05", "loai": "om-dau", "tu_ngay": period.first.display, "den_ngay": period.last.display,
                        "can_cu": "Giấy chứng nhận nghỉ việc số 15/2026", "ghi_chu": "Điều trị dài ngày"]
            let cases: [([String: String], String)] = [
                (["nguoi": "CB-SNV-P1-02"], "trong phạm vi bạn được ghi nhận"),
                (["nguoi": ""], "Vui lòng ghi mã cán bộ"),
                (["loai": "nghi-phep"], "Vui lòng chọn loại nghỉ"),
                (["tu_ngay": "đầu tháng"], "Ngày bắt đầu không đọc được"),
                (["den_ngay": period.first.adding(days: -1).display], "trước ngày bắt đầu"),
                (["den_ngay": period.first.adding(days: 2000).display], "dài quá 5 năm"),
                (["can_cu": "  "], "Vui lòng ghi căn cứ"),
            ]
            for (change, message) in cases {
                let res = try await leader.post("/nghi-che-do/moi", base.merging(change) { $1 })
                XCTAssertEqual(res.status, .unprocessableEntity, "\(change)")
                XCTAssertTrue(res.text.contains(message), "\(change): \(message)")
                XCTAssertTrue(res.text.contains("Điều trị dài ngày"), "what was typed is kept")
            }
            do { let n = try await LeaveRecord.query(on: app.db).count(); XCTAssertEqual(n, demo) }

            let ok = try await leader.post("/nghi-che-do/moi", base)
            XCTAssertEqual(ok.status, .seeOther)
            // Overlapping leave of the same person is refused (a double click, or a second tab).
            let overlap = try await leader.post("/nghi-che-do/moi", base.merging(["loai": "khong-luong", "tu_ngay": period.last.display,
                                                                                 "den_ngay": period.last.adding(days: 30).display]) { $1 })
            XCTAssertEqual(overlap.status, .unprocessableEntity)
            XCTAssertTrue(overlap.text.contains("""
                Trùng với thời gian nghỉ đã ghi nhận: Nghỉ ốm đau dài \
                ngày \(period.first.display)–\(period.last.display)
                """))
            let records = try await LeaveRecord.query(on: app.db).filter(\.$voided == false).all().filter { $0.basis.contains("15/2026") }
            XCTAssertEqual(records.count, 1)
            let record = records[0]
            XCTAssertEqual(record.startsOn, period.first.iso)
            XCTAssertFalse(record.enteredBy.isEmpty)
            let list = try await leader.get("/nghi-che-do?q=P3-05")
            XCTAssertTrue(list.text.contains("Nghỉ ốm đau dài ngày từ \(period.first.display) đến \(period.last.display)"),
                          list.text)
            XCTAssertTrue(list.text.contains("1 ghi nhận"))
            let filtered = try await leader.get("/nghi-che-do?loai=thai-san&q=P3-05")
            XCTAssertTrue(filtered.text.contains("0 ghi nhận"))
            let csv = try await leader.get("/nghi-che-do?dinh_dang=csv&q=P3-05")
            XCTAssertTrue(csv.text.contains("Loại nghỉ"))
            XCTAssertTrue(csv.text.contains("Giấy chứng nhận nghỉ việc số 15/2026"))

            // Staff see their own leave only, cannot record or void.
            var staff = Browser(app)
            try await staff.login("canbo")
            let own = try await staff.get("/nghi-che-do")
            XCTAssertTrue(own.text.contains("0 ghi nhận"), own.text)
            XCTAssertTrue(own.text.contains("<a href=\"/nghi-che-do\""), "in the menu")
            do { let v = try await staff.get("/nghi-che-do/moi").status; XCTAssertEqual(v, .forbidden) }
            do { let v = try await staff.post("/nghi-che-do/moi", base).status; XCTAssertEqual(v, .forbidden) }
            do { let v = try await staff.post("/nghi-che-do/\(record.id!)/huy", ["ly_do": "Sai"]).status; XCTAssertEqual(v, .notFound) }

            // Voiding needs a reason, happens once, and frees the dates.
            try await leader.get("/nghi-che-do")
            do { let v = try await leader.post("/nghi-che-do/\(record.id!)/huy", ["ly_do": " "]).status; XCTAssertEqual(v,
                .unprocessableEntity) }
            do { let v = try await leader.post("/nghi-che-do/\(record.id!)/huy", ["ly_do": "Ghi nhầm người"]).status; XCTAssertEqual(v,
                .seeOther) }
            do { let v = try await leader.post("/nghi-che-do/\(record.id!)/huy", ["ly_do": "Lần nữa"]).status; XCTAssertEqual(v,
                .conflict) }
            let after = try await leader.get("/nghi-che-do?q=P3-05")
            XCTAssertTrue(after.text.contains("Đã hủy: Ghi nhầm người"))
            do { let v = try await leader.post("/nghi-che-do/moi", base).status; XCTAssertEqual(v, .seeOther) }
            let actions = try await AuditEntry.query(on: app.db).filter(\.$entityType == "leave").sort(\.$id).all().map(\.action)
            XCTAssertEqual(actions.suffix(3), ["leave.record", "leave.void", "leave.record"])

            // The advisory body (Ban Tổ chức) may record anywhere in its scope; so may unit administrators.
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            try await advisory.get("/nghi-che-do/moi")
            do { let v = try await advisory.post("/nghi-che-do/moi",
                                                 base.merging(["nguoi": "CB-SNV-P1-02"]) { $1 }).status; XCTAssertEqual(v, .seeOther) }
        }
    }

    /// The inputs stored for `code` in the period, decoded.
    func inputs(_ app: Application, _ code: String, _ periodText: String) async throws -> ScoreInputData {
        let person = try await Person.query(on: app.db).filter(\.$code == code).first()!
        let row = try await ScoreInput.query(on: app.db).filter(\.$period == periodText).filter(\.$personID == person.id!).first()
        return try JSONDecoder().decode(ScoreInputData.self, from: Data(try XCTUnwrap(row).data.utf8))
    }

    func testAPeriodOnLeaveIsNotEvaluatedAndLeftOutOfTheYear() async throws {
        try await withApp { app in
            let head = try await Browser.principal(app, "truongban")
            let work = WorkService(store: app.store, principal: head, actor: .system("test", at: app.clock.now), settings: app.settings)
            let leave = LeaveService(store: app.store, principal: head, actor: .system("test", at: app.clock.now))
            // Three people with a task due in the month: one away all month, one half of it, one not at all.
            let positions = Dictionary(try await Position.query(on: app.db).all().map { ($0.id!, $0.code) }) { a, _ in a }
            let products = ["VT-PHO": "SP-LD-02", "VT-KETOAN": "SP-DC-01", "VT-VANTHU": "SP-DC-03"]
            for code in ["CB-BTCTU-P3-03", "CB-BTCTU-P3-04", "CB-BTCTU-P3-05"] {
                let person = try await Person.query(on: app.db).filter(\.$code == code).first()!
                var d = TaskDraft(title: "Báo cáo tháng của \(code)", start: TestEnv.today.iso, due: period.first.adding(days: 9).iso)
                d.productCode = person.positionID.flatMap { positions[$0] }.flatMap { products[$0] } ?? "SP-CM-03"
                _ = try await work.create(.init(draft: d, assigneeCodes: [code], token: UUID().uuidString))
            }
            let away = try await leave.record(personCode: "CB-BTCTU-P3-05", LeaveDraft(
                kind: "thai-san", from: period.first.adding(days: -20).iso, to: period.last.adding(days: 40).iso,
                basis: "QĐ 7/QĐ-BTCTU")).id!
            _ = try await leave.record(personCode: "CB-BTCTU-P3-04", LeaveDraft(
                kind: "om-dau", from: period.first.iso, to: period.first.adding(days: 13).iso, basis: "Giấy ra viện"))
            let svc = EvaluationService(store: app.store, principal: head, actor: .system("test", at: app.clock.now))
            let p = try await svc.open(agencyCode: "BTCTU", period: period.text)
            try await svc.recompute(p.id!)
            let scores = ScoreService(store: app.store, principal: head)

            // Away all month: the task is there, but no score, said why; half a month: scored, the leave shown.
            let p5 = try await inputs(app, "CB-BTCTU-P3-05", period.text)
            XCTAssertEqual(p5.leave?.wholePeriod, true)
            XCTAssertEqual(p5.taskCounts.counted, 1)
            let p4 = try await inputs(app, "CB-BTCTU-P3-04", period.text)
            XCTAssertEqual(p4.leave?.wholePeriod, false)
            XCTAssertGreaterThan(p4.leave?.daysOnLeave ?? 0, 0)
            do { let v = try await inputs(app, "CB-BTCTU-P3-03", period.text).leave; XCTAssertNil(v) }
            var live = try await scores.live(p)
            XCTAssertNil(live["CB-BTCTU-P3-05"]?.hundredths)
            XCTAssertNotNil(live["CB-BTCTU-P3-04"]?.hundredths)
            XCTAssertNotNil(live["CB-BTCTU-P3-03"]?.hundredths)
            var browser = Browser(app)
            try await browser.login("truongban")
            let explained = try await browser.get("/ket-qua/\(period.text)/CB-BTCTU-P3-05")
            XCTAssertTrue(explained.text.contains("Nghỉ theo chế độ cả kỳ: Nghỉ thai sản"), explained.text)
            XCTAssertTrue(explained.text.contains("Tổng điểm kỳ: không đánh giá (nghỉ theo chế độ cả kỳ)"))
            XCTAssertFalse(explained.text.contains("Tiêu chí chung:"), "no points to explain")
            let half = try await browser.get("/ket-qua/\(period.text)/CB-BTCTU-P3-04")
            XCTAssertTrue(half.text.contains("Điểm tính trên các nhiệm vụ đến hạn trong kỳ"))

            // Voiding the leave makes the period stale and the score comes back; recording it again takes it away.
            try await leave.void(away, reason: "Ghi nhầm ngày")
            do { let v = try await EvaluationPeriod.find(p.id, on: app.db)!.dirty; XCTAssertTrue(v) }
            _ = try await EvaluationService.recomputeStale(app.store)
            live = try await scores.live(p)
            XCTAssertNotNil(live["CB-BTCTU-P3-05"]?.hundredths)
            _ = try await leave.record(personCode: "CB-BTCTU-P3-05", LeaveDraft(
                kind: "thai-san", from: period.first.adding(days: -20).iso, to: period.last.adding(days: 40).iso, basis: "QĐ 8/QĐ-BTCTU"))
            _ = try await EvaluationService.recomputeStale(app.store)
            live = try await scores.live(p)
            XCTAssertNil(live["CB-BTCTU-P3-05"]?.hundredths)

            // The workflow: nothing owed by the person away, no reminder to them; the head sees why.
            let flow = EvaluationFlow(store: app.store, principal: head, actor: .system("test", at: app.clock.now))
            let today = TestEnv.today
            try await flow.startSelfAssessment(p.id!, version: 0, selfDue: today.adding(days: 1), reviewDue: today.adding(days: 3),
                                               approveDue: today.adding(days: 5))
            let p5id = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-05").first()!.id!
            var current = try await EvaluationPeriod.find(p.id, on: app.db)!
            let progress = try await flow.progress(current)
            XCTAssertEqual(progress.onLeave, [p5id])
            XCTAssertTrue(progress.sheets.contains { $0.personID == p5id })
            XCTAssertFalse(progress.selfPending.contains { $0.personID == p5id })
            XCTAssertEqual(progress.selfPending.count, progress.sheets.count - 1)
            let user = User()
            user.id = UUID(); user.username = "nghi-thai-san"; user.passwordHash = "x"; user.personID = p5id; user.scopePath = "/"
            user.mustChangePassword = false; user.failedAttempts = 0; user.active = true
            try await user.create(on: app.db)
            _ = try await DeadlineJob.scan(app.db, today: today, soon: 2)
            let toAway = try await Notice.query(on: app.db).filter(\.$userID == user.id!).filter(\.$kind == "ky-danh-gia").count()
            XCTAssertEqual(toAway, 0)
            let canbo = try await User.query(on: app.db).filter(\.$username == "canbo").first()!
            let toWorker = try await Notice.query(on: app.db).filter(\.$userID == canbo.id!).filter(\.$kind == "ky-danh-gia").count()
            XCTAssertEqual(toWorker, 1)
            // Nothing to self-assess or review: refused by the service, and the sheet offers neither.
            let me = Principal(userID: user.id!, username: user.username, displayName: "Người nghỉ", personID: p5id, scopePath: "/",
                               grants: [Grant(role: .staff, scopePath: "/")], mustChangePassword: false, sessionID: nil, csrfToken: "")
            let mine = EvaluationFlow(store: app.store, principal: me, actor: .system("test", at: app.clock.now))
            do {
                try await mine.selfAssess(p.id!, comment: "Tự đánh giá", rubric: [:])
                XCTFail("self-assessment of a period on leave")
            } catch let e as EvaluationFlow.Refused { XCTAssertTrue(e.message.contains("nghỉ theo chế độ cả kỳ")) }
            do {
                try await flow.review(p.id!, personCode: "CB-BTCTU-P3-05", comment: "Tốt", rubric: [:], taskScore: "")
                XCTFail("review of a period on leave")
            } catch let e as EvaluationFlow.Refused { XCTAssertTrue(e.message.contains("nghỉ theo chế độ cả kỳ")) }
            let untouched = try await Evaluation.query(on: app.db).filter(\.$periodID == p.id!).filter(\.$personID == p5id).first()!
            XCTAssertNil(untouched.selfAt)
            XCTAssertNil(untouched.reviewedAt)
            let awaySheet = try await browser.get("/ky-danh-gia/\(p.id!.uuidString)/phieu/CB-BTCTU-P3-05")
            XCTAssertTrue(awaySheet.text.contains("không đánh giá</strong> (nghỉ theo chế độ cả kỳ)"))
            XCTAssertFalse(awaySheet.text.contains("Lưu đánh giá"))
            let printed = try await browser.get("/ky-danh-gia/\(p.id!.uuidString)/phieu/CB-BTCTU-P3-05/in")
            XCTAssertTrue(printed.text.contains("KHÔNG ĐÁNH GIÁ (nghỉ theo chế độ cả kỳ)"))
            let page = try await browser.get("/ky-danh-gia/\(p.id!.uuidString)")
            XCTAssertTrue(page.text.contains("1 người nghỉ theo chế độ cả kỳ"), page.text)
            let onlyAway = try await browser.get("/ky-danh-gia/\(p.id!.uuidString)?loc=nghi")
            XCTAssertTrue(onlyAway.text.contains("1 phiếu"))
            XCTAssertTrue(onlyAway.text.contains("CB-BTCTU-P3-05"))

            // Approved: no level for the person away, and the reason said.
            try await flow.startReview(p.id!, version: current.version)
            current = try await EvaluationPeriod.find(p.id, on: app.db)!
            try await flow.submitForApproval(p.id!, version: current.version)
            current = try await EvaluationPeriod.find(p.id, on: app.db)!
            try await flow.approve(p.id!, version: current.version, chosen: [], decision: "", tiesConfirmed: true, windowDays: 5)
            let sheet = try await Evaluation.query(on: app.db).filter(\.$periodID == p.id!).filter(\.$personID == p5id).first()!
            XCTAssertEqual(sheet.level, "")
            XCTAssertNil(sheet.hundredths)
            XCTAssertEqual(sheet.revision, 1)
            XCTAssertEqual(EvaluationFlow.reasons(sheet.reasons),
                           ["Nghỉ theo chế độ cả kỳ: không đánh giá, không xếp loại kỳ này."])

            // The year: the month is listed as leave and not counted.
            let yearCode = "\(period.first.year)"
            let year = try await svc.open(agencyCode: "BTCTU", period: yearCode)
            try await svc.recompute(year.id!)
            let y5 = try await inputs(app, "CB-BTCTU-P3-05", yearCode)
            XCTAssertEqual(y5.year?.periods.map(\.code), [period.text])
            XCTAssertEqual(y5.year?.periods.map(\.leave), [true])
            let rows = try await scores.results(period: yearCode)
            let r5 = try XCTUnwrap(rows.first { $0.input.personCode == "CB-BTCTU-P3-05" })
            XCTAssertNil(r5.result.level)
            XCTAssertEqual(r5.reasons, ["Nghỉ theo chế độ cả kỳ: không đánh giá, không xếp loại kỳ này."])
            let yearPage = try await browser.get("/ket-qua/\(yearCode)/CB-BTCTU-P3-05")
            XCTAssertTrue(yearPage.text.contains("Không (nghỉ theo chế độ cả kỳ)"))
            let r3 = try XCTUnwrap(rows.first { $0.input.personCode == "CB-BTCTU-P3-03" })
            XCTAssertNotNil(r3.result.yearHundredths)
        }
    }
}
