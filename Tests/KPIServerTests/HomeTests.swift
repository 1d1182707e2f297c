import Fluent
import Foundation
import KPICore
@testable import KPIServer
import SQLKit
import XCTVapor

/// Tổng quan per role (issue 19, item 1): each figure is worked out here from the raw rows and found on
/// the page; each block appears only for the part the user plays, within their scope.
final class HomeTests: XCTestCase {
    func count(_ app: Application, _ query: SQLQueryString) async throws -> Int {
        try await app.db.rows(query) { try $0.next(Int.self) }.first ?? 0
    }

    func testStaffSeeTheirWorkTheScoreAsItStandsAndIfCompletedOnTime() async throws {
        try await withApp { app in
            _ = try await EvaluationService.recomputeStale(app.store)
            let me = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-03").first()!
            let today = TestEnv.today
            let month = PeriodCode.containing(today, kind: .month)
            // Two tasks due later this month, not yet done: pending, counted as not completed as it stands.
            let lead = WorkService(store: app.store, principal: try await Browser.principal(app, "lanhdao"),
                                   actor: .system("test", at: app.clock.now), settings: app.settings)
            // Due on the month's last day: not yet due whatever day of the month the test stands on.
            let later = [("Việc chưa đến hạn một", month.last), ("Việc chưa đến hạn hai", month.last)]
            for (title, due) in later {
                var d = TaskDraft(title: title, start: today.iso, due: due.iso)
                d.productCode = "SP-CM-03"
                _ = try await lead.create(.init(draft: d, assigneeCodes: [me.code], token: UUID().uuidString))
            }
            _ = try await EvaluationService.recomputeStale(app.store)

            var staff = Browser(app)
            try await staff.login("canbo")
            let page = try await staff.get("/")
            XCTAssertEqual(page.status, .ok)
            let watched = DeadlineJob.watched
            let overdue = try await count(app, """
                SELECT COUNT(*) FROM tasks WHERE assignee_id = \(bind: me.id!) AND state IN (\(binds: watched)) \
                AND due_on < \(bind: today.iso)
                """)
            XCTAssertTrue(page.text.contains("<strong>\(overdue)</strong><span>việc quá hạn"), page.text)
            // Not done yet (submitted and waiting for acceptance included) and not yet due.
            let notDone = [TaskState.assigned, .inProgress, .extensionRequested, .awaitingAcceptance].map(\.rawValue)
            let pending = try await count(app, """
                SELECT COUNT(*) FROM tasks WHERE assignee_id = \(bind: me.id!) AND state IN (\(binds: notDone)) \
                AND due_on >= \(bind: today.iso) AND due_on <= \(bind: month.last.iso)
                """)
            XCTAssertGreaterThanOrEqual(pending, 2)
            XCTAssertTrue(page.text.contains("nếu hoàn thành đúng hạn \(pending) việc chưa đến hạn"), page.text)
            // As it stands: the score stored with the inputs.
            let stored = try await ScoreInput.query(on: app.db).filter(\.$period == month.text).filter(\.$personID == me.id!).first()
            let h = try XCTUnwrap(stored?.hundredths)
            XCTAssertTrue(page.text.contains(ScoringEngine.vn(hundredths: h) + " — "), "the stored score as it stands")
            // If completed on time: every pending task scored as completed without delay, by the engine, here.
            var data = try JSONDecoder().decode(ScoreInputData.self, from: Data(stored!.data.utf8))
            let listed = try await ScoreGathering(db: app.db).listed(period: month, scope: .person(me.id!))
            data.groups = nil
            data.tasks = listed.map { l in
                var t = l.task
                if t.status == "open", let due = l.due, due >= today { t.status = "completed"; t.delays = 0 }
                return t
            }
            let framework = try await Framework.query(on: app.db).filter(\.$status == "published").filter(\.$code == "cong-chuc")
                .filter(\.$scopePath == "/").first()!
            let definition = FrameworkService.decode(framework)
            let projected = try data.score(ScoringEngine(rules: try definition.rules(code: framework.code)), definition: definition)
            let projectedText = ScoringEngine.vn(hundredths: try XCTUnwrap(projected.yearHundredths))
            XCTAssertTrue(page.text.contains(projectedText + " — " + (projected.level?.label ?? "")), projectedText)
            // What would lift it most: pending tasks only, linked.
            let pendingIDs = Set(listed.filter { $0.task.status == "open" && ($0.due ?? today) >= today }.map(\.id.uuidString))
            let lifted = page.text.components(separatedBy: "<ul class=\"lifts\">").dropFirst().first?
                .components(separatedBy: "</ul>").first ?? ""
            XCTAssertFalse(lifted.isEmpty)
            for id in lifted.components(separatedBy: "href=\"/viec/").dropFirst().map({ String($0.prefix(36)) }) {
                XCTAssertTrue(pendingIDs.contains(id), id)
            }
            XCTAssertFalse(page.text.contains("Các cơ quan trong phạm vi"), "staff oversee no agency")
            XCTAssertFalse(page.text.contains("id=\"quan-tri\""))
            // Their export of the agencies' table holds no agency.
            let csv = try await staff.get("/?dinh_dang=csv")
            XCTAssertFalse(csv.text.contains("Ban Tổ chức"))
        }
    }

    func testLeadersSeeTheirUnitAndOverseersTheirAgencies() async throws {
        try await withApp { app in
            _ = try await EvaluationService.recomputeStale(app.store)
            let today = TestEnv.today
            let month = PeriodCode.containing(today, kind: .month)
            let p3 = try await Organization.query(on: app.db).filter(\.$code == "BTCTU-P3").first()!
            let btctu = try await Organization.query(on: app.db).filter(\.$code == "BTCTU").first()!

            var leader = Browser(app)
            try await leader.login("lanhdao")
            let page = try await leader.get("/")
            XCTAssertTrue(page.text.contains("Đơn vị: Phòng Cán bộ"))
            let overdue = try await count(app, """
                SELECT COUNT(*) FROM tasks WHERE scope_path LIKE \(bind: p3.path + "%") AND state IN (\(binds: DeadlineJob.watched)) \
                AND due_on < \(bind: today.iso)
                """)
            let waiting = try await count(app, """
                SELECT COUNT(*) FROM tasks WHERE scope_path LIKE \(bind: p3.path + "%")
                  AND state = \(bind: TaskState.awaitingAcceptance.rawValue)
                """)
            XCTAssertTrue(page.text.contains("<strong>\(overdue)</strong><span>việc quá hạn"))
            XCTAssertTrue(page.text.contains("<strong>\(waiting)</strong><span>việc chờ nghiệm thu"))
            let inputs = try await ScoreInput.query(on: app.db).filter(\.$period == month.text).all()
            let unitRows = inputs.filter { $0.scopePath.hasPrefix(p3.path) }
            let levelled = unitRows.filter { !$0.level.isEmpty }.count
            XCTAssertTrue(page.text.contains("\(unitRows.count) người, \(levelled) người đã có xếp loại"))
            // At risk: a provisional "không hoàn thành" already fixed — a task of the month overdue, or none
            // still to come; someone whose tasks are simply not due yet is not listed.
            let open = try await WorkTask.query(on: app.db).filter(\.$state ~~ DeadlineJob.watched).all()
            let risk = page.text.components(separatedBy: "Có nguy cơ").dropFirst().first?.components(separatedBy: "</ul>").first ?? ""
            var listed = 0
            for row in unitRows where row.level == Level.fail.rawValue {
                let name = try await Person.find(row.personID, on: app.db)!.fullName
                let mine = open.filter { $0.assigneeID == row.personID }
                let overdue = mine.contains { $0.due < today.iso && $0.due >= month.first.iso }
                let toCome = mine.contains { $0.due >= today.iso && $0.due <= month.last.iso }
                XCTAssertEqual(risk.contains(">\(name)</a>"), overdue || !toCome, "at risk: \(name)")
                if overdue || !toCome { listed += 1 }
            }
            XCTAssertEqual(risk.isEmpty, listed == 0)
            XCTAssertFalse(page.text.contains("Các cơ quan trong phạm vi"), "a unit's leader oversees no agency")
            // The excellent quota of the province's framework for civil servants, beside the distribution.
            let civil = try await Framework.query(on: app.db).filter(\.$status == "published").filter(\.$code == "cong-chuc")
                .filter(\.$scopePath == "/").first()!
            let rate = Int((Double(FrameworkService.decode(civil).quotaRate)! * 100).rounded())
            XCTAssertTrue(page.text.contains("hạn mức xuất sắc \(rate)% theo «\(civil.name)»"), page.text)

            // The head of the agency and the province's advisory body: the agency's figures, from the raw rows.
            let agencyRows = inputs.filter { $0.agencyPath == btctu.path }
            XCTAssertGreaterThan(agencyRows.count, 0)
            let scores = agencyRows.compactMap(\.hundredths).sorted()
            let withTasks = agencyRows.filter { $0.tasks > 0 }.count
            let participation = VNNumber.format(Double(withTasks) * 100 / Double(agencyRows.count), decimals: 1) + "%"
            for user in ["truongban", "thammuu", "kiemtra"] {
                var b = Browser(app)
                try await b.login(user)
                let home = try await b.get("/")
                XCTAssertTrue(home.text.contains("Kết quả \(month.label.lowercased()) theo cơ quan"), user)
                let csv = try await b.get("/?dinh_dang=csv")
                let line = try XCTUnwrap(csv.text.split(separator: "\n").first { $0.contains(btctu.name) }, user)
                XCTAssertTrue(line.contains("\(agencyRows.count)"), "\(line)")
                XCTAssertTrue(line.contains(participation), "\(line) \(participation)")
                if let median = scores.isEmpty ? nil : (scores.count % 2 == 1 ? scores[scores.count / 2]
                    : (scores[scores.count / 2 - 1] + scores[scores.count / 2] + 1) / 2) {
                    XCTAssertTrue(line.contains(ScoringEngine.vn(hundredths: median)), "\(line) median \(median)")
                }
            }
        }
    }

    func testAdministratorsSeeTheAccountsOfTheirScope() async throws {
        try await withApp { app in
            for (user, scope) in [("quantri", "/"), ("quantri.snv", try await Organization.query(on: app.db).filter(\.$code == "SNV")
                .first()!.path)] {
                var admin = Browser(app)
                try await admin.login(user)
                let page = try await admin.get("/")
                XCTAssertTrue(page.text.contains("id=\"quan-tri\""), user)
                let never = try await count(app, """
                    SELECT COUNT(*) FROM users WHERE active = \(bind: true) AND last_login_at IS NULL
                      AND scope_path LIKE \(bind: scope + "%")
                    """)
                XCTAssertTrue(page.text.contains("<strong>\(never)</strong><span>tài khoản chưa đăng nhập lần nào"),
                              "\(user): \(never)")
            }
            var staff = Browser(app)
            try await staff.login("canbo")
            let page = try await staff.get("/")
            XCTAssertFalse(page.text.contains("id=\"quan-tri\""))
        }
    }
}
