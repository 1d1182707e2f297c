import Fluent
import Foundation
import KPICore
@testable import KPIServer
import SQLKit
import XCTVapor

/// The evaluation workflow of DOMAIN.md §7 through the pages: self-assessment, review with rubric
/// levels, approval with the quota and its ties, publication, the lock, and each refusal.
final class EvaluationWorkflowTests: XCTestCase {
    /// A month well after the demonstration's tasks, so only this test's tasks fall in it.
    let period = PeriodCode.containing(TestEnv.today.adding(days: 200), kind: .month)
    func day(_ n: Int) -> DateOnly { period.first.adding(days: n - 1) }

    /// Everyone but the unit heads in BTCTU gets one planned task done on time: they all score 100.
    func fullMonth(_ app: Application) async throws -> [Person] {
        let head = WorkService(store: app.store, principal: try await Browser.principal(app, "truongban"), actor: .system("test",
            at: app.clock.now), settings: app.settings)
        let people = try await Person.query(on: app.db).filter(\.$scopePath, .custom("LIKE"), try await agencyPath(app) + "%")
            .filter(\.$leadershipRank != "cap-truong").sort(\.$code).all()
        let positions = Dictionary(try await Position.query(on: app.db).all().map { ($0.id!, $0.code) }) { a, _ in a }
        // A product of each person's position catalog.
        let products = ["VT-PHO": "SP-LD-02", "VT-KETOAN": "SP-DC-01", "VT-VANTHU": "SP-DC-03"]
        for person in people {
            var d = TaskDraft(title: "Báo cáo tháng của \(person.code)", start: TestEnv.today.iso, due: day(10).iso)
            d.productCode = person.positionID.flatMap { positions[$0] }.flatMap { products[$0] } ?? "SP-CM-03"
            d.source = TaskSource.plan.rawValue
            let id = try await head.create(.init(draft: d, assigneeCodes: [person.code], token: UUID().uuidString))[0]
            // One account per person: a demo login's own account, or a new one.
            let user = try await User.query(on: app.db).filter(\.$personID == person.id).first() ?? User()
            if user.id == nil {
                user.id = UUID(); user.username = "u-\(person.code.lowercased())"; user.passwordHash = "x"; user.personID = person.id
                user.scopePath = person.scopePath; user.mustChangePassword = false; user.failedAttempts = 0; user.active = true
                try await user.create(on: app.db)
            }
            let me = Principal(userID: user.id!, username: user.username, displayName: person.fullName, personID: person.id,
                               scopePath: person.scopePath,
                               grants: [Grant(role: .staff, scopePath: person.scopePath)], mustChangePassword: false, sessionID: nil,
                               csrfToken: "")
            let mine = WorkService(store: app.store, principal: me, actor: .system("test", at: app.clock.now), settings: app.settings)
            try await mine.addReference(id, kind: "van-ban", text: "BC-\(person.code)")
            try await mine.act(id, version: try await WorkTask.find(id, on: app.db)!.version, .submit(evidence: 1, note: ""), today: day(5))
            try await head.act(id, version: try await WorkTask.find(id, on: app.db)!.version, .accept(.pass), today: day(6))
        }
        return people
    }

    func agencyPath(_ app: Application) async throws -> String {
        try await Organization.query(on: app.db).filter(\.$code == "BTCTU").first()!.path
    }

    func testAMonthFromSelfAssessmentToTheLock() async throws {
        try await withApp { app in
            let people = try await fullMonth(app)
            var head = Browser(app)
            try await head.login("truongban")
            _ = try await head.post("/ky-danh-gia", ["co_quan": "BTCTU", "ky": period.text])
            let found = try await EvaluationPeriod.query(on: app.db).filter(\.$code == period.text).first()
            let p = try XCTUnwrap(found)
            let base = "/ky-danh-gia/\(p.id!.uuidString)"
            func current() async throws -> EvaluationPeriod { try await EvaluationPeriod.find(p.id, on: app.db)! }

            // Deadlines out of order are refused; then the step starts with a sheet for everyone.
            let today = TestEnv.today
            let bad = try await head.post(base + "/buoc", ["buoc": "mo", "phien_ban": "0", "han_tu_danh_gia": today.adding(days: 5).display,
                                                          "han_danh_gia": today.adding(days: 2).display,
                                                          "han_phe_duyet": today.adding(days: 9).display])
            XCTAssertEqual(bad.status, .conflict)
            XCTAssertTrue(bad.text.contains("Thời hạn không hợp lệ"))
            let started = try await head.post(base + "/buoc", ["buoc": "mo", "phien_ban": "0",
                                                               "han_tu_danh_gia": today.adding(days: 2).display,
                                                              "han_danh_gia": today.adding(days: 5).display,
                                                              "han_phe_duyet": today.adding(days: 9).display])
            XCTAssertEqual(started.status, .seeOther)
            let sheets = try await Evaluation.query(on: app.db).filter(\.$periodID == p.id!).count()
            let members = try await Person.query(on: app.db).filter(\.$scopePath, .custom("LIKE"),
                                                                    p.scopePath + "%").filter(\.$active == true).count()
            XCTAssertEqual(sheets, members)
            // Reminders before the deadline: once per person, whatever the number of job runs.
            let reminded = try await DeadlineJob.scan(app.db, today: today, soon: 2)
            let remindedAgain = try await DeadlineJob.scan(app.db, today: today, soon: 2)
            XCTAssertGreaterThan(reminded, 0)
            XCTAssertEqual(remindedAgain, 0)
            let canbo = try await User.query(on: app.db).filter(\.$username == "canbo").first()!
            let notice = try await Notice.query(on: app.db).filter(\.$userID == canbo.id!).filter(\.$kind == "ky-danh-gia").first()
            XCTAssertEqual(notice?.link, base + "/phieu/CB-BTCTU-P3-03")
            let progress = try await head.get(base)
            XCTAssertTrue(progress.text.contains("\(members) người chưa tự đánh giá"))

            // The person self-assesses; someone else cannot; not after the deadline.
            var staff = Browser(app)
            try await staff.login("canbo")
            let mine = try await staff.get("/danh-gia-cua-toi")
            XCTAssertTrue(mine.text.contains("cần tự đánh giá"))
            let sheet = base + "/phieu/CB-BTCTU-P3-03"
            let page = try await staff.get(sheet)
            XCTAssertTrue(page.text.contains("Gửi tự đánh giá"))
            XCTAssertTrue(page.text.contains("KL-02"))
            let wrongLevel = try await staff.post(sheet + "/tu-danh-gia", ["tu_nhan_xet": "Hoàn thành đủ việc",
                                                                           "de_xuat_KL-02": "Xuất chúng"])
            XCTAssertEqual(wrongLevel.status, .unprocessableEntity)
            XCTAssertTrue(wrongLevel.text.contains("Mức «Xuất chúng» không có"))
            let selfDone = try await staff.post(sheet + "/tu-danh-gia", ["tu_nhan_xet": "Hoàn thành đủ việc",
                                                                         "de_xuat_KL-02": "Tốt"])
            XCTAssertEqual(selfDone.status, .seeOther)
            let other = try await staff.post(base + "/phieu/CB-BTCTU-P3-04/tu-danh-gia", ["tu_nhan_xet": "Thay người khác"])
            XCTAssertTrue([.forbidden, .notFound].contains(other.status))
            let p4 = try await Evaluation.query(on: app.db).filter(\.$periodID == p.id!).filter(\.$personCode == "CB-BTCTU-P3-04").first()
            XCTAssertNil(p4?.selfAt)
            try await app.db.sql
                .raw("UPDATE evaluation_periods SET self_due = \(bind: today.adding(days: -1).iso) WHERE id = \(bind: p.id!)").run()
            let late = try await staff.post(sheet + "/tu-danh-gia", ["tu_nhan_xet": "Bổ sung muộn"])
            XCTAssertEqual(late.status, .unprocessableEntity)
            XCTAssertTrue(late.text.contains("Đã hết hạn tự đánh giá"))
            let kept = try await Evaluation.query(on: app.db).filter(\.$periodID == p.id!).filter(\.$personCode == "CB-BTCTU-P3-03").first()
            XCTAssertEqual(kept?.selfComment, "Hoàn thành đủ việc")
            XCTAssertEqual(kept?.selfRubric, "{\"KL-02\":\"Tốt\"}")

            // The unit's leader reviews; a rubric level lowers the score once recomputed.
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let reviewed = try await leader.post(sheet + "/danh-gia", ["nhan_xet": "Đạt yêu cầu", "muc_KL-02": "Khá"])
            XCTAssertEqual(reviewed.status, .seeOther)
            let selfReview = try await leader.post(base + "/phieu/CB-BTCTU-P3-01/danh-gia", ["nhan_xet": "Tự chấm"])
            XCTAssertEqual(selfReview.status, .forbidden)
            let step2 = try await head.post(base + "/buoc", ["buoc": "tu-danh-gia", "phien_ban": String(try await current().version)])
            XCTAssertEqual(step2.status, .seeOther)
            let step3 = try await head.post(base + "/buoc", ["buoc": "danh-gia", "phien_ban": String(try await current().version)])
            XCTAssertEqual(step3.status, .seeOther)
            let scores = ScoreService(store: app.store, principal: try await Browser.principal(app, "thammuu"))
            let rows = try await scores.results(period: period.text)
            // 100 − (5 − 3) for "Khá" on KL-02 (Tốt=5; Khá=3).
            XCTAssertEqual(rows.first { $0.input.personCode == "CB-BTCTU-P3-03" }?.result.yearHundredths, 9800)
            let s1 = try await current().state
            XCTAssertEqual(s1, EvaluationState.approval.rawValue)
            let lateReview = try await leader.post(sheet + "/danh-gia", ["nhan_xet": "Sửa lại"])
            XCTAssertEqual(lateReview.status, .unprocessableEntity)
            XCTAssertTrue(lateReview.text.contains("chờ phê duyệt"))

            // Approval: the quota by hand. Everyone else scored 100; the pool is everyone with a
            // level in the công chức framework, cap = floor(20% × pool) for the agency and per group.
            let batches = try await EvaluationFlow.batches(try await current(), on: app.db)
            let civil = try XCTUnwrap(batches.first { $0.framework.code == "cong-chuc" })
            let pool = civil.results.filter { $0.level != nil }
            var groups: [String: Int] = [:]
            for r in pool { groups[r.group, default: 0] += 1 }
            XCTAssertEqual(civil.caps.agency, pool.count / 5)
            XCTAssertEqual(civil.caps.groups, groups.mapValues { $0 / 5 })
            let proposed = civil.results.filter { $0.level == .excellent }
            XCTAssertEqual(proposed.count, min(civil.caps.agency, civil.caps.groups.values.reduce(0, +)))
            XCTAssertTrue(proposed.allSatisfy(\.tieAtQuotaEdge))
            let staffPeople = Set(people.map(\.code))
            XCTAssertTrue(proposed.allSatisfy { staffPeople.contains($0.id) })
            var form = ["phien_ban": String(try await current().version), "ngay_cong_khai": "5"]
            for r in proposed { form["xs_\(r.id)"] = "1" }
            let approvalPage = try await head.get(base + "/phe-duyet")
            XCTAssertTrue(approvalPage.text.contains("đồng điểm"))
            // Ties not looked at: refused.
            let untied = try await head.post(base + "/phe-duyet", form)
            XCTAssertEqual(untied.status, .unprocessableEntity)
            XCTAssertTrue(untied.text.contains("đồng điểm ở ranh giới"))
            // One more than a group's cap, without a decision: refused, nothing written.
            let (group, _) = try XCTUnwrap(civil.caps.groups.first { $0.value > 0 })
            let extra = try XCTUnwrap(civil.results.first { $0.group == group && $0.level == .good && $0.tieAtQuotaEdge })
            var over = form
            over["xs_\(extra.id)"] = "1"
            over["dong_diem"] = "1"
            let refused = try await head.post(base + "/phe-duyet", over)
            XCTAssertEqual(refused.status, .unprocessableEntity)
            XCTAssertTrue(refused.text.contains("Vượt hạn mức xuất sắc"))
            let written = try await Evaluation.query(on: app.db).filter(\.$periodID == p.id!).filter(\.$level != "").count()
            XCTAssertEqual(written, 0)
            let s2 = try await current().state
            XCTAssertEqual(s2, EvaluationState.approval.rawValue)
            // Nobody ticks their own name for the excellent quota (issue 16).
            var own = over
            own["xs_CB-BTCTU-P1-01"] = "1"
            let ownChoice = try await head.post(base + "/phe-duyet", own)
            XCTAssertEqual(ownChoice.status, .unprocessableEntity)
            XCTAssertTrue(ownChoice.text.contains("không tự chọn mình"), ownChoice.text)
            // The approver swaps one tied person for another in the same group: accepted.
            let swapped = try XCTUnwrap(proposed.first { $0.group == group })
            var swap = over
            swap["xs_\(swapped.id)"] = nil
            // Two approvers at once: one succeeds, the other is refused and changes nothing.
            let flow = EvaluationFlow(store: app.store, principal: try await Browser.principal(app, "truongban"), actor: .system("test",
                at: app.clock.now))
            let version = try await current().version
            let chosen = Set(swap.keys.filter { $0.hasPrefix("xs_") }.map { String($0.dropFirst(3)) })
            let periodID = p.id!
            @Sendable func attempt(_ choice: Set<String>) async -> (any Error)? {
                do {
                    try await flow.approve(periodID, version: version, chosen: choice, decision: "", tiesConfirmed: true, windowDays: 5)
                    return nil
                } catch { return error }
            }
            async let first = attempt(chosen)
            async let second = attempt([])
            let errors = [await first, await second]
            XCTAssertEqual(errors.filter { $0 == nil }.count, 1, "one approval succeeds")
            for case let e? in errors { XCTAssertTrue(e is EvaluationFlow.Refused, "the other is refused by the workflow: \(e)") }
            let firstWon = errors[0] == nil
            let approvals = try await AuditEntry.query(on: app.db).filter(\.$action == "evaluation.approve").count()
            XCTAssertEqual(approvals, 1)
            let approved = try await current()
            XCTAssertEqual(approved.state, EvaluationState.published.rawValue)
            XCTAssertFalse(approved.objectionUntil.isEmpty)
            let official = try await Evaluation.query(on: app.db).filter(\.$periodID == p.id!).all()
            let excellent = Set(official.filter { $0.level == Level.excellent.rawValue }.map(\.personCode))
            // The approval that won is applied whole: its choice of the excellent, nothing of the other.
            XCTAssertEqual(excellent, firstWon ? chosen : [])
            let p3 = try XCTUnwrap(official.first { $0.personCode == "CB-BTCTU-P3-03" })
            XCTAssertEqual(p3.hundredths, 9800)
            // What reports read is the approved results, summed per unit when approved.
            try await StoredFigures.assertStoredMatch(app, period: period.text)
            let resultsPage = try await staff.get("/ket-qua?ky=\(period.text)")
            XCTAssertTrue(resultsPage.text.contains("đã phê duyệt"))

            // Approval wrote revision 1 for everyone: the inputs as scored, the framework version, the result.
            let revisions = try await EvaluationRevision.query(on: app.db).filter(\.$periodID == p.id!).all()
            XCTAssertEqual(revisions.count, official.count)
            let rev = try XCTUnwrap(revisions.first { $0.personID == p3.personID })
            XCTAssertEqual(rev.number, 1)
            XCTAssertEqual(rev.hundredths, 9800)
            XCTAssertEqual(rev.frameworkVersion, civil.framework.version)
            XCTAssertTrue(rev.inputs.contains("\"KL-02\":\"Khá\""))
            await assertRefusedByDatabase("evaluation_revisions is immutable", "changing a revision") {
                try await app.db.sql.raw("UPDATE evaluation_revisions SET hundredths = 10000 WHERE id = \(bind: rev.id!)")
                    .run()
            }

            // The lock closes the workflow; a later change of the work moves nothing.
            let locked = try await head.post(base + "/buoc", ["buoc": "cong-khai", "phien_ban": String(approved.version)])
            XCTAssertEqual(locked.status, .seeOther)
            let afterLock = try await leader.post(sheet + "/danh-gia", ["nhan_xet": "Sau khi chốt"])
            XCTAssertEqual(afterLock.status, .unprocessableEntity)
            XCTAssertTrue(afterLock.text.contains("Kỳ đã chốt điểm"))
            let relock = try await head.post(base + "/buoc", ["buoc": "cong-khai", "phien_ban": String(approved.version)])
            XCTAssertEqual(relock.status, .conflict)
            // A task of the period reopened by a late error report: the locked score stays.
            let lead = WorkService(store: app.store, principal: try await Browser.principal(app, "lanhdao"), actor: .system("test",
                at: app.clock.now), settings: app.settings)
            var d = TaskDraft(title: "Việc phát sinh sau khi chốt", start: TestEnv.today.iso, due: day(12).iso)
            d.productCode = "SP-CM-03"
            _ = try await lead.create(.init(draft: d, assigneeCodes: ["CB-BTCTU-P3-03"], token: UUID().uuidString))
            let s3 = try await current().dirty
            XCTAssertEqual(s3, false)
            let stillOfficial = try await scores.results(period: period.text).first { $0.input.personCode == "CB-BTCTU-P3-03" }
            XCTAssertEqual(stillOfficial?.hundredths, 9800)
            let again = try await EvaluationRevision.query(on: app.db).filter(\.$periodID == p.id!).count()
            XCTAssertEqual(again, revisions.count)

            // Kiến nghị: only the person, one pending at a time; the head accepts it with a corrected
            // rubric level: revision 2, revision 1 intact. 100 reaches "xuất sắc" but the quota was
            // approved, so without a decision the level stays "tốt", and the page says why.
            let byOther = try await leader.post(sheet + "/kien-nghi", ["ly_do": "Thay mặt đồng chí"])
            XCTAssertEqual(byOther.status, .forbidden)
            let filed = try await staff.post(sheet + "/kien-nghi", ["ly_do": "Chỉ số KL-02 nên ở mức Tốt",
                                                                    "minh_chung": "Biên bản họp chi bộ số 5"])
            XCTAssertEqual(filed.status, .seeOther)
            let twice = try await staff.post(sheet + "/kien-nghi", ["ly_do": "Nhắc lại"])
            XCTAssertEqual(twice.status, .unprocessableEntity)
            XCTAssertTrue(twice.text.contains("đang chờ trả lời"))
            let complaintFound = try await Complaint.query(on: app.db).filter(\.$personID == p3.personID).first()
            let complaint = try XCTUnwrap(complaintFound)
            // The head is reminded to answer: once near the deadline, once after it, never twice.
            let answerDue = try XCTUnwrap(DateOnly(parsing: complaint.answerDue))
            func answerReminders() async throws -> [Notice] {
                try await Notice.query(on: app.db).filter(\.$dedupeKey, .custom("LIKE"), "kien-nghi-han:%").all()
            }
            _ = try await DeadlineJob.scan(app.db, today: answerDue.adding(days: -30), soon: 2)
            let early = try await answerReminders()
            XCTAssertTrue(early.isEmpty)
            _ = try await DeadlineJob.scan(app.db, today: answerDue, soon: 2)
            _ = try await DeadlineJob.scan(app.db, today: answerDue, soon: 2)
            let near = try await answerReminders()
            let headUser = try await User.query(on: app.db).filter(\.$username == "truongban").first()
            XCTAssertEqual(near.map(\.userID), [try XCTUnwrap(headUser?.id)])
            XCTAssertTrue(near[0].title.contains("Nhắc trả lời kiến nghị của CB-BTCTU-P3-03"), near[0].title)
            _ = try await DeadlineJob.scan(app.db, today: answerDue.adding(days: 1), soon: 2)
            _ = try await DeadlineJob.scan(app.db, today: answerDue.adding(days: 2), soon: 2)
            let overdue = try await answerReminders()
            XCTAssertEqual(overdue.count, 2)
            XCTAssertTrue(overdue.contains { $0.title.contains("Quá hạn trả lời kiến nghị") })
            let answerPage = try await head.get(sheet)
            XCTAssertTrue(answerPage.text.contains("Gửi trả lời"))
            let answered = try await head.post(base + "/kien-nghi/\(complaint.id!)",
                                               ["tra_loi": "Chấp nhận: chi bộ đánh giá mức Tốt",
                                                                                      "ket_qua": "chap-nhan",
                                                                                    "sua_KL-02": "Tốt"])
            XCTAssertEqual(answered.status, .seeOther)
            let revs = try await EvaluationRevision.query(on: app.db).filter(\.$personID == p3.personID).sort(\.$number).all()
            XCTAssertEqual(revs.map(\.number), [1, 2])
            XCTAssertEqual(revs[0].hundredths, 9800)
            XCTAssertEqual(revs[1].hundredths, 10000)
            XCTAssertEqual(revs[1].kind, "kien-nghi")
            XCTAssertEqual(revs[1].level, Level.good.rawValue)
            // The correction reaches the stored figures in the same transaction.
            try await StoredFigures.assertStoredMatch(app, period: period.text)
            let unitScores = try await StoredFigures.stored(app, period: period.text)[p3.scopePath]?.scores ?? []
            XCTAssertTrue(unitScores.contains(10000), "\(unitScores)")
            XCTAssertTrue(revs[1].reasons.contains("hạn mức xuất sắc đã được phê duyệt"))
            let sheetNow = try await staff.get(sheet)
            XCTAssertTrue(sheetNow.text.contains("100,00"))
            XCTAssertTrue(sheetNow.text.contains("hiện hành"))
            XCTAssertTrue(sheetNow.text.contains("Chấp nhận"))
            _ = try await DeadlineJob.scan(app.db, today: answerDue.adding(days: 3), soon: 2)
            let afterAnswer = try await answerReminders()
            XCTAssertEqual(afterAnswer.count, 2, "an answered complaint is not reminded")
            let reanswer = try await head.post(base + "/kien-nghi/\(complaint.id!)", ["tra_loi": "Lần nữa", "ket_qua": "chap-nhan"])
            XCTAssertEqual(reanswer.status, .unprocessableEntity)
            // After the window: refused.
            try await app.db.sql
                .raw("UPDATE evaluation_periods SET objection_until = \(bind: today.adding(days: -1).iso) WHERE id = \(bind: p.id!)").run()
            let tooLate = try await staff.post(sheet + "/kien-nghi", ["ly_do": "Bổ sung"])
            XCTAssertEqual(tooLate.status, .unprocessableEntity)
            XCTAssertTrue(tooLate.text.contains("Đã hết thời hạn kiến nghị"))

            // Phúc tra: not the agency's own head nor a unit leader; the advisory body opens a chosen
            // case and two sampled ones, corrects the chosen one from the work records as they are now
            // (the task added after the lock counts): revision 3, revision 2 intact.
            let notHead = try await head.post(base + "/phuc-tra", ["ma": "CB-BTCTU-P3-03", "mau": "0"])
            XCTAssertEqual(notHead.status, .forbidden)
            let notLeader = try await leader.post(base + "/phuc-tra", ["ma": "CB-BTCTU-P3-03", "mau": "0"])
            XCTAssertTrue([.forbidden, .notFound].contains(notLeader.status))
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            let opened = try await advisory.post(base + "/phuc-tra", ["ma": "CB-BTCTU-P3-03", "mau": "2"])
            XCTAssertEqual(opened.status, .seeOther)
            let cases = try await ReReview.query(on: app.db).filter(\.$periodID == p.id!).all()
            XCTAssertEqual(cases.map(\.how).sorted(), ["chon", "mau", "mau"])
            let chosenCase = try XCTUnwrap(cases.first { $0.how == "chon" })
            let concluded = try await advisory.post(base + "/phuc-tra/\(chosenCase.id!)",
                                                    ["ket_luan": "Tính lại theo nhiệm vụ phát sinh",
                "ket_qua": "dieu-chinh",
                                                                                          "lam_moi": "1"])
            XCTAssertEqual(concluded.status, .seeOther)
            let sampled = try XCTUnwrap(cases.first { $0.how == "mau" })
            let kept3 = try await advisory.post(base + "/phuc-tra/\(sampled.id!)", ["ket_luan": "Đúng quy định",
                                                                                    "ket_qua": "giu-nguyen"])
            XCTAssertEqual(kept3.status, .seeOther)
            let all = try await EvaluationRevision.query(on: app.db).filter(\.$personID == p3.personID).sort(\.$number).all()
            XCTAssertEqual(all.map(\.number), [1, 2, 3])
            XCTAssertEqual(all[1].hundredths, 10000)
            XCTAssertLessThan(try XCTUnwrap(all[2].hundredths), 10000)
            XCTAssertTrue(all[2].inputs.contains("Việc phát sinh sau khi chốt"))
            XCTAssertTrue(all[2].inputs.contains("\"KL-02\":\"Tốt\""))
            let sheetAfter = try await Evaluation.query(on: app.db).filter(\.$periodID == p.id!).filter(\.$personID == p3.personID).first()
            XCTAssertEqual(sheetAfter?.revision, 3)
            XCTAssertEqual(sheetAfter?.hundredths, all[2].hundredths)
            let sampledRevisions = try await EvaluationRevision.query(on: app.db).filter(\.$personID == sampled.personID)
                .filter(\.$periodID == p.id!).count()
            XCTAssertEqual(sampledRevisions, 1)
            let actions = Set(try await AuditEntry.query(on: app.db).all().map(\.action))
            XCTAssertTrue(actions.isSuperset(of: ["complaint.file", "complaint.answer", "evaluation.revise", "rereview.open",
                                                  "rereview.conclude"]))
            let audited = Set(try await AuditEntry.query(on: app.db).filter(\.$entityID == p.id!.uuidString).all().map(\.action))
            XCTAssertTrue(audited.isSuperset(of: ["evaluation.open", "evaluation.self-start", "evaluation.review-start",
                                                  "evaluation.submit",
                                                  "evaluation.approve", "evaluation.lock"]))
        }
    }
}
