import Fluent
import Foundation
import KPICore
import SQLKit
@testable import KPIServer
import XCTVapor

/// Kỳ đánh giá: opening periods, scores gathered from the real work records and computed again
/// when they change, identical on every run and equal to `kpi score` on the same inputs.
final class EvaluationPeriodTests: XCTestCase {
    /// A month well after the demonstration's tasks, so only this test's tasks fall in it.
    let period = PeriodCode.containing(TestEnv.today.adding(days: 150), kind: .month)
    func day(_ n: Int) -> DateOnly { period.first.adding(days: n - 1) }

    func testOpeningAPeriodIsAuthorizedCheckedAndAudited() async throws {
        try await withApp { app in
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            let page = try await advisory.get("/ky-danh-gia")
            XCTAssertEqual(page.status, .ok)
            XCTAssertTrue(page.text.contains("Mở kỳ đánh giá"))
            let bad = try await advisory.post("/ky-danh-gia", ["co_quan": "BTCTU", "ky": "2026-13"])
            XCTAssertEqual(bad.status, .unprocessableEntity)
            XCTAssertTrue(bad.text.contains("Kỳ «2026-13» không hợp lệ"))
            let unit = try await advisory.post("/ky-danh-gia", ["co_quan": "BTCTU-P3", "ky": period.text])
            XCTAssertEqual(unit.status, .unprocessableEntity)
            XCTAssertTrue(unit.text.contains("Không có cơ quan có thẩm quyền đánh giá mã «BTCTU-P3»"))
            let auditedBefore = try await AuditEntry.query(on: app.db).filter(\.$action == "evaluation.open").count()
            let ok = try await advisory.post("/ky-danh-gia", ["co_quan": "BTCTU", "ky": period.text])
            XCTAssertEqual(ok.status, .seeOther)
            let twice = try await advisory.post("/ky-danh-gia", ["co_quan": "BTCTU", "ky": period.text])
            XCTAssertEqual(twice.status, .unprocessableEntity)
            XCTAssertTrue(twice.text.contains("đã được mở"))
            let opened = try await EvaluationPeriod.query(on: app.db).filter(\.$code == period.text).count()
            XCTAssertEqual(opened, 1)
            let audited = try await AuditEntry.query(on: app.db).filter(\.$action == "evaluation.open").count()
            XCTAssertEqual(audited, auditedBefore + 1)
            let listed = try await advisory.get("/ky-danh-gia?q=ban+to+chuc")
            XCTAssertTrue(listed.text.contains(period.label))
            let csv = try await advisory.get("/ky-danh-gia?dinh_dang=csv")
            XCTAssertTrue(csv.text.contains("Ban Tổ chức Tỉnh ủy"))

            // A unit's leader may not open the agency's period; staff do not see the page.
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let refused = try await leader.post("/ky-danh-gia", ["co_quan": "BTCTU", "ky": PeriodCode.containing(day(40),
                kind: .month).text])
            XCTAssertEqual(refused.status, .forbidden)
            var staff = Browser(app)
            try await staff.login("canbo")
            let hidden = try await staff.get("/ky-danh-gia")
            XCTAssertEqual(hidden.status, .forbidden)
            let menuHasPeriods = try await staff.get("/").text.contains("href=\"/ky-danh-gia\"")
            XCTAssertFalse(menuHasPeriods)

            // On schedule: the next month opens once when it begins, whoever runs the job.
            let next = PeriodCode.containing(period.last.adding(days: 1), kind: .month)
            let first = try await EvaluationService.openScheduled(app.store, today: period.last.adding(days: 1))
            let again = try await EvaluationService.openScheduled(app.store, today: period.last.adding(days: 2))
            XCTAssertEqual(first, 1)
            XCTAssertEqual(again, 0)
            let scheduled = try await EvaluationPeriod.query(on: app.db).filter(\.$code == next.text).first()
            XCTAssertEqual(scheduled?.openedBy, "system:lich")
        }
    }

    func testScoresFollowTheWorkAndEqualKpiScore() async throws {
        try await withApp { app in
            let leaderP = try await Browser.principal(app, "lanhdao")
            let lead = WorkService(store: app.store, principal: leaderP, actor: .system("test", at: app.clock.now), settings: app.settings)
            let staffP = try await Browser.principal(app, "canbo")
            let mine = WorkService(store: app.store, principal: staffP, actor: .system("test", at: app.clock.now), settings: app.settings)
            func task(_ title: String, due: Int) async throws -> UUID {
                var d = TaskDraft(title: title, start: TestEnv.today.iso, due: day(due).iso)
                d.productCode = "SP-CM-03"
                d.source = TaskSource.plan.rawValue
                return try await lead.create(.init(draft: d, assigneeCodes: ["CB-BTCTU-P3-03"], token: UUID().uuidString))[0]
            }
            func version(_ id: UUID) async throws -> Int { try await WorkTask.find(id, on: app.db)!.version }
            // Done on time; done late with one major error; still open; cancelled.
            let onTime = try await task("Báo cáo đúng hạn", due: 10)
            let late = try await task("Báo cáo chậm, có sai sót", due: 15)
            let open = try await task("Báo cáo chưa xong", due: 20)
            let cancelled = try await task("Báo cáo đã hủy", due: 25)
            try await mine.addReference(onTime, kind: "van-ban", text: "1-BC")
            try await mine.act(onTime, version: try await version(onTime), .submit(evidence: 1, note: ""), today: day(8))
            try await lead.act(onTime, version: try await version(onTime), .accept(.pass), today: day(9))
            try await mine.addReference(late, kind: "van-ban", text: "2-BC")
            try await mine.act(late, version: try await version(late), .submit(evidence: 1, note: ""), today: day(18))
            try await lead.act(late, version: try await version(late), .accept(.fail(errors: 1)), today: day(19))
            try await lead.act(cancelled, version: try await version(cancelled), .cancel(reason: "Không còn cần"), today: day(2))
            let discipline = DisciplineService(store: app.store, principal: leaderP, actor: .system("test", at: app.clock.now))
            _ = try await discipline.record(.init(personCode: "CB-BTCTU-P3-03", kind: "vi-pham", violationCode: "VP-02",
                                                  occurredOn: day(12).iso),
                                            today: period.last)

            var advisory = Browser(app)
            try await advisory.login("thammuu")
            _ = try await advisory.post("/ky-danh-gia", ["co_quan": "BTCTU", "ky": period.text])
            let pFound = try await EvaluationPeriod.query(on: app.db).filter(\.$code == period.text).first()
            let p = try XCTUnwrap(pFound)
            let computed = try await advisory.post("/ky-danh-gia/\(p.id!)/tinh-lai", [:])
            XCTAssertEqual(computed.status, .seeOther)
            let agencyPeople = try await Person.query(on: app.db).filter(\.$scopePath, .custom("LIKE"),
                                                                         p.scopePath + "%").filter(\.$active == true).count()
            let counted = try await EvaluationPeriod.find(p.id, on: app.db)?.people
            XCTAssertEqual(counted, agencyPeople)

            // By hand: three counted tasks of the same weight u (the cancelled one is not counted),
            // two completed, one of them late with one major error.
            // a = 100 × 2/3; b = c = 100 × (1 + 0,75)/3; task score = 70 × (a + b + c)/300 = 42,777…;
            // general = 10 + 5 + (10 − 2) + 5 = 28; total 70,78.
            let scores = ScoreService(store: app.store, principal: try await Browser.principal(app, "thammuu"))
            let rows = try await scores.results(period: period.text)
            let me = try XCTUnwrap(rows.first { $0.input.personCode == "CB-BTCTU-P3-03" })
            let result = try XCTUnwrap(me.result.periods.first)
            XCTAssertEqual(result.a, try Rational(200, 3))
            XCTAssertEqual(result.b, try Rational(175, 3))
            XCTAssertEqual(result.c, try Rational(175, 3))
            XCTAssertEqual(result.generalScore, Rational(28))
            XCTAssertEqual(me.result.yearHundredths, 7078)
            XCTAssertEqual(me.result.level, .good)
            // Stored with the inputs: everyone's score and level as computed, and the task figures
            // (three counted, two completed, one of them on time, one not completed).
            let stored = try await ScoreInput.query(on: app.db).filter(\.$period == period.text).all()
            let storedMe = try XCTUnwrap(stored.first { $0.personID == staffP.personID })
            XCTAssertEqual(storedMe.hundredths, 7078)
            XCTAssertEqual(storedMe.level, Level.good.rawValue)
            XCTAssertEqual([storedMe.tasks, storedMe.completed, storedMe.onTime, storedMe.notCompleted], [3, 2, 1, 1])
            let byCode = Dictionary(uniqueKeysWithValues: rows.map { ($0.input.personCode, $0.result) })
            for row in stored {
                let code = try await Person.find(row.personID, on: app.db)!.code
                XCTAssertEqual(row.hundredths, byCode[code]?.yearHundredths, code)
                XCTAssertEqual(row.level, byCode[code]?.level?.rawValue ?? "", code)
            }
            try await StoredFigures.assertStoredMatch(app, period: period.text)
            // An open period keeps each person's tasks as groups (summed by the database): the
            // late one with its error on its own.
            XCTAssertTrue(me.input.tasks.isEmpty)
            let groups = try XCTUnwrap(me.input.groups)
            XCTAssertEqual(groups.map(\.status), ["cancelled", "completed", "completed", "open"])
            XCTAssertEqual(groups.map(\.count), [1, 1, 1, 1])
            XCTAssertEqual(groups[2].delays, 1)
            XCTAssertEqual(groups[2].majorErrors, 1)
            // Every task listed (as for approval) gives the same inputs once grouped, for everyone.
            let frameworks = try await Framework.query(on: app.db).filter(\.$status == "published").all()
            let gathering = ScoreGathering(db: app.db)
            let grouped = try await gathering.gather(period: period, scope: p.scope, frameworks: frameworks)
            let listed = try await gathering.gather(period: period, scope: p.scope, frameworks: frameworks, detail: true)
            XCTAssertEqual(listed.map(\.member.code), grouped.map(\.member.code))
            XCTAssertEqual(listed.first { $0.member.code == "CB-BTCTU-P3-03" }?.data.tasks.map(\.status), ["completed", "completed",
                "open", "cancelled"])
            for (l, g) in zip(listed, grouped) { XCTAssertEqual(try l.data.grouped(), g.data, l.member.code) }
            // The unit head: everyone managed reached "hoàn thành" (d = 100); the unit's planned
            // tasks were not all done on time with quality (đ = 50).
            let head = try XCTUnwrap(rows.first { $0.input.personCode == "CB-BTCTU-P3-01" })
            XCTAssertEqual(head.input.unitResult, "100")
            XCTAssertEqual(head.input.organizing, "50")

            var staff = Browser(app)
            try await staff.login("canbo")
            let explained = try await staff.get("/ket-qua/\(period.text)/CB-BTCTU-P3-03")
            XCTAssertEqual(explained.status, .ok)
            XCTAssertTrue(explained.text.contains("1 vi phạm, trừ 2 điểm"))
            XCTAssertTrue(explained.text.contains("chưa có lượt đánh giá: đủ điểm"))
            XCTAssertTrue(explained.text.contains("70,78"))
            // The tasks themselves, read from the work records.
            XCTAssertTrue(explained.text.contains("Báo cáo chậm, có sai sót"))
            XCTAssertTrue(explained.text.contains("Kỳ đang mở: danh sách nhiệm vụ"))

            // Twice: the same inputs and the same results.
            func snapshot() async throws -> [String] {
                try await ScoreInput.query(on: app.db).filter(\.$period == period.text).sort(\.$scopePath).all()
                    .map(\.data).sorted()
            }
            let before = try await snapshot()
            try await EvaluationService(store: app.store, principal: nil, actor: .system("test", at: app.clock.now)).recompute(p.id!)
            let again = try await snapshot()
            XCTAssertEqual(again, before)
            let rowsAgain = try await scores.results(period: period.text)
            XCTAssertEqual(rowsAgain.map(\.result), rows.map(\.result))

            // The stored scores equal `kpi score` on the same inputs (one agency, one framework).
            let same = rows.filter { $0.framework.code == "cong-chuc" && $0.framework.scopePath == "/" }
            XCTAssertGreaterThan(same.count, 5)
            let definition = FrameworkDefinition.seeded("cong-chuc")!
            XCTAssertEqual(FrameworkService.decode(same[0].framework), definition)
            let people: [[String: Any]] = try same.map { row in
                let general = try definition.general(try XCTUnwrap(row.input.metrics)).inputs
                var person: [String: Any] = [
                    "id": row.input.personCode, "group": row.input.groupCode,
                    "periods": [[
                        "tasks": try row.input.periodInput().tasks.map { t in
                            ["units": t.units.description, "status": t.status.rawValue, "majorErrors": t.majorErrors,
                             "exemptErrors": t.exemptErrors, "delays": t.delays, "count": t.count] as [String: Any]
                        },
                        "general": ["satisfaction": general.satisfaction!.description, "coordination": general.coordination!.description,
                                    "discipline": general.discipline!.description],
                    ]],
                ]
                if let l = row.input.leader { person["leader"] = ["unitResult": l.unitResult.description,
                                                                  "organizing": l.organizing.description] }
                return person
            }
            let out = try ScoreCase.run(try JSONSerialization.data(withJSONObject: ["framework": "cong-chuc", "people": people]))
            let cli = ((try JSONSerialization.jsonObject(with: out) as! [String: Any])["people"] as! [[String: Any]])
            XCTAssertEqual(cli.count, same.count)
            for (row, c) in zip(same, cli) {
                XCTAssertEqual(c["id"] as? String, row.input.personCode)
                let score = (c["yearScore"] as? NSNumber).map { Int(($0.doubleValue * 100).rounded()) }
                XCTAssertEqual(score, row.result.yearHundredths, row.input.personCode)
                XCTAssertEqual(c["level"] as? String, row.result.level?.rawValue, row.input.personCode)
            }

            // A change that feeds the scores marks the period; the job computes it again.
            let staleAfterCompute = try await EvaluationPeriod.find(p.id, on: app.db)?.dirty
            XCTAssertEqual(staleAfterCompute, false)
            try await mine.addReference(open, kind: "van-ban", text: "3-BC")
            try await mine.act(open, version: try await version(open), .submit(evidence: 1, note: ""), today: day(19))
            let staleAfterSubmit = try await EvaluationPeriod.find(p.id, on: app.db)?.dirty
            XCTAssertEqual(staleAfterSubmit, true)
            try await lead.act(open, version: try await version(open), .accept(.pass), today: day(20))
            let recomputed = try await EvaluationService.recomputeStale(app.store)
            XCTAssertGreaterThanOrEqual(recomputed, 1)
            let staleAfterJob = try await EvaluationPeriod.find(p.id, on: app.db)?.dirty
            XCTAssertEqual(staleAfterJob, false)
            let after = try await scores.results(period: period.text).first { $0.input.personCode == "CB-BTCTU-P3-03" }
            XCTAssertEqual(after?.input.groups?.map(\.status), ["cancelled", "completed", "completed"])
            XCTAssertEqual(after?.input.groups?.map(\.count), [1, 2, 1])

            // Rights: a unit leader cannot compute the agency's period.
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let refused = try await leader.post("/ky-danh-gia/\(p.id!)/tinh-lai", [:])
            XCTAssertTrue([.forbidden, .notFound].contains(refused.status))
        }
    }

    /// Each task stores its converted quantity (what a period's sums are taken over): written at
    /// creation, filled by the migration for tasks from before, the same either way.
    /// The printed ranking list of a period still open (no sheets yet) lists the agency's people as
    /// scored now, and says so; it never reads "Tổng số: 0 người" for an agency with people.
    func testThePrintedListOfAnOpenPeriodListsTheProvisionalScores() async throws {
        try await withApp { app in
            let board = try await Organization.query(on: app.db).filter(\.$code == "BTCTU").first()!
            let month = PeriodCode.containing(TestEnv.today, kind: .month).text
            let p = try await EvaluationPeriod.query(on: app.db).filter(\.$code == month).filter(\.$scopePath == board.path).first()!
            try await EvaluationService(store: app.store, principal: nil, actor: .system("test", at: app.clock.now)).recompute(p.id!)
            let sheets = try await Evaluation.query(on: app.db).filter(\.$periodID == p.id!).count()
            XCTAssertEqual(sheets, 0, "still open: no sheets")
            // Computed here from the raw rows: the people whose inputs the period stored.
            let stored = try await ScoreInput.query(on: app.db).filter(\.$period == month).all()
                .filter { $0.scopePath.hasPrefix(board.path) }.count
            XCTAssertGreaterThan(stored, 0)
            var head = Browser(app)
            try await head.login("truongban")
            let list = try await head.get("/ky-danh-gia/\(p.id!)/danh-sach")
            XCTAssertEqual(list.status, .ok)
            XCTAssertTrue(list.text.contains("Tổng số: \(stored) người"), list.text)
            XCTAssertTrue(list.text.contains("chưa có phiếu"))
            XCTAssertFalse(list.text.contains("Danh sách trống"))
            let csv = try await head.get("/ky-danh-gia/\(p.id!)/danh-sach?dinh_dang=csv")
            XCTAssertEqual(csv.text.split(whereSeparator: \.isNewline).count, stored + 1, "a line each and the header")
        }
    }

    func testTasksStoreTheirConvertedQuantity() async throws {
        try await withApp { app in
            let sql = app.db.sql
            func snapshot() async throws -> [String: String] {
                var out: [String: String] = [:]
                for t in try await WorkTask.query(on: app.db).all() { out[t.code] = t.units }
                return out
            }
            let written = try await snapshot()
            XCTAssertGreaterThan(written.count, 5)
            for t in try await WorkTask.query(on: app.db).all() {
                let expected = try ProductRules.converted(quantity: DecimalText.parse(t.quantity)!, factor: DecimalText.parse(t.factor)!,
                                                          complexity: DecimalText.parse(t.complexityFactor)
                                                              .map { ComplexityLevel(name: t.complexity, factor: $0) })
                XCTAssertEqual(Rational(decimal: t.units), expected, t.code)
            }
            XCTAssertTrue(Set(written.values).count > 1, "the demonstration has different quantities and factors")
            try await sql.raw("UPDATE tasks SET units = ''").run()
            try await AddTaskUnits.fill(app.db)
            let filled = try await snapshot()
            XCTAssertEqual(filled, written)
        }
    }

    /// Agencies computed together (`kpi recompute`, the job) store exactly what each computed alone
    /// would; the job claims and computes every stale period.
    func testABatchOfAgenciesStoresWhatEachAloneWould() async throws {
        try await withApp { app in
            let system = EvaluationService(store: app.store, principal: nil, actor: .system("test", at: app.clock.now))
            let periods = [try await system.open(agencyCode: "BTCTU", period: period.text), try await system.open(agencyCode: "SNV",
                period: period.text)]
            func snapshot() async throws -> [String] {
                try await ScoreInput.query(on: app.db).filter(\.$period == period.text).all()
                    .map { "\($0.personID) \($0.scopePath) \($0.data)" }.sorted()
            }
            let auditedBefore = try await AuditEntry.query(on: app.db).filter(\.$action == "evaluation.recompute").count()
            for p in periods { _ = try await EvaluationService.recompute(p, store: app.store, actor: .system("test", at: app.clock.now)) }
            let alone = try await snapshot()
            XCTAssertGreaterThan(Set(alone.map { $0.split(separator: " ")[1].split(separator: "/")[1] }).count, 0)
            let counts = try await EvaluationService.recompute(batch: periods, store: app.store, actor: .system("test", at: app.clock.now))
            XCTAssertEqual(counts.count, 2)
            XCTAssertEqual(counts.values.reduce(0, +), alone.count)
            let together = try await snapshot()
            XCTAssertEqual(together, alone)
            for p in periods { XCTAssertGreaterThan(counts[p.id!] ?? 0, 0) }

            let sql = app.db.sql
            try await sql.raw("UPDATE evaluation_periods SET dirty = \(bind: true) WHERE code = \(bind: period.text)").run()
            let recomputed = try await EvaluationService.recomputeStale(app.store)
            XCTAssertEqual(recomputed, 2)
            let stale = try await EvaluationPeriod.query(on: app.db).filter(\.$code == period.text).filter(\.$dirty == true).count()
            XCTAssertEqual(stale, 0)
            let afterJob = try await snapshot()
            XCTAssertEqual(afterJob, alone)
            let audited = try await AuditEntry.query(on: app.db).filter(\.$action == "evaluation.recompute").count()
            XCTAssertEqual(audited, auditedBefore + 6, "one entry per period and computation")
        }
    }
}
