import Fluent
import Foundation
import KPICore
@testable import KPIServer
import SQLKit
import XCTVapor

/// The demonstration's pilot months (issue 19, item 8): every month since 07/2026 evaluated through
/// to the lock, the current one open, a complaint and a phúc tra, people on leave, the quota binding —
/// checked from the stored rows, and the report reading the same people.
final class DemoHistoryTests: XCTestCase {
    func testPilotMonthsAreEvaluatedThroughToTheLock() async throws {
        try await withApp(demo: false) { app in
            let codes: Set<String> = ["BTCTU", "SNV", "HUNGNGUYEN-UBND"]
            try await DemoLoader(app: app).load(history: true, historyOf: codes)
            let months = DemoHistory.months(before: TestEnv.today)
            XCTAssertEqual(months.first?.text, "2026-07")
            let current = PeriodCode.containing(TestEnv.today, kind: .month)
            XCTAssertEqual(months.last.flatMap { PeriodCode.containing($0.last.adding(days: 1), kind: .month) }, current)
            let agencies = try await Organization.query(on: app.db).filter(\.$code ~~ Array(codes)).all()
            XCTAssertEqual(agencies.count, 3)
            let periods = try await EvaluationPeriod.query(on: app.db).all()
            for agency in agencies {
                for month in months {
                    let p = periods.filter { $0.organizationID == agency.id && $0.code == month.text }
                    XCTAssertEqual(p.map(\.state), [EvaluationState.locked.rawValue], "\(agency.code) \(month.text)")
                }
                XCTAssertEqual(periods.filter { $0.organizationID == agency.id && $0.code == current.text }.map(\.state),
                               [EvaluationState.open.rawValue], agency.code)
            }

            // The work: three tasks a month for everyone at work; each completed one carries its document
            // and counts as late exactly when submitted after its due date.
            let tasks = try await WorkTask.query(on: app.db).filter(\.$creationToken =~ "demo-").all()
            XCTAssertGreaterThan(tasks.count, 0)
            let evidence = Set(try await Evidence.query(on: app.db).all().map(\.taskID))
            for t in tasks where t.state == TaskState.completed.rawValue {
                XCTAssertTrue(evidence.contains(t.id!), t.code)
                XCTAssertEqual(t.delays > 0, t.completedOn > t.due, "\(t.code) \(t.completedOn) \(t.due)")
            }
            let late = tasks.filter { $0.delays > 0 }.count, failed = tasks.filter { $0.verdict == "chua-dat" }.count
            XCTAssertGreaterThan(late, 0)
            XCTAssertGreaterThan(failed, 0)
            XCTAssertEqual(Set(tasks.map(\.code)).count, tasks.count, "task codes are unique")
            // Work left undone lingers from last month at the oldest: earlier months' was finished late.
            let overdue = tasks.filter { DeadlineJob.watched.contains($0.state) && $0.due < TestEnv.today.iso }
            XCTAssertGreaterThan(overdue.count, 0)
            XCTAssertTrue(overdue.allSatisfy { $0.due >= months.last!.first.iso }, "\(overdue.map(\.due))")

            // Sheets: everyone the period scored has one; the excellent stay within 20 % of the pool, and the
            // quota binds somewhere (a score of 90 or more moved to "tốt").
            let sheets = try await Evaluation.query(on: app.db).all()
            var bound = false
            for p in periods where p.state == EvaluationState.locked.rawValue {
                let mine = sheets.filter { $0.periodID == p.id }
                let inputs = try await ScoreInput.query(on: app.db).filter(\.$period == p.code).filter(\.$agencyPath == p.scopePath).count()
                XCTAssertEqual(mine.count, inputs, p.code)
                let excellent = mine.filter { $0.level == Level.excellent.rawValue }.count
                let pool = mine.filter { [Level.excellent.rawValue, Level.good.rawValue].contains($0.level) }.count
                XCTAssertLessThanOrEqual(excellent, pool / 5, "\(p.code) \(p.scopePath)")
                bound = bound || mine.contains { $0.level == Level.good.rawValue && ($0.hundredths ?? 0) >= 9000 }
                XCTAssertEqual(mine.filter { $0.reviewedAt == nil && !$0.level.isEmpty }.count, 0, "reviewed: \(p.code)")
            }
            XCTAssertTrue(bound, "the quota moves someone who reached 90 points")

            // On leave for the whole of August: no sheet that month, one in July.
            let away = try await Person.query(on: app.db).filter(\.$code == "CB-SNV-P3-04").first()!
            let snv = agencies.first { $0.code == "SNV" }!
            func sheet(_ month: String) -> Evaluation? {
                let p = periods.first { $0.organizationID == snv.id && $0.code == month }
                return sheets.first { $0.periodID == p?.id && $0.personID == away.id }
            }
            XCTAssertNil(sheet("2026-08")?.level.nilIfEmpty)
            XCTAssertNotNil(sheet("2026-07")?.level.nilIfEmpty)

            // A complaint accepted and a phúc tra concluded, each a second revision.
            let complaints = try await Complaint.query(on: app.db).all()
            XCTAssertEqual(complaints.count, 2, "one at the Ban Tổ chức, one at the UBND of Hưng Nguyên")
            XCTAssertFalse(complaints.contains { $0.state == EvaluationFlow.complaintOpen })
            let reviews = try await ReReview.query(on: app.db).all()
            XCTAssertEqual(Set(reviews.map(\.state)), ["dieu-chinh", "giu-nguyen"])
            let revised = try await EvaluationRevision.query(on: app.db).filter(\.$number == 2).all()
            XCTAssertEqual(Set(revised.map(\.personID)), Set(complaints.map(\.personID) + reviews.filter { $0.state == "dieu-chinh" }
                .map(\.personID)))

            // Last year's levels, imported for everyone of these agencies before the pilot.
            let people = try await Person.query(on: app.db).all().filter { p in agencies.contains { p.scopePath.hasPrefix($0.path) } }
            let prior = try await PriorLevel.query(on: app.db).filter(\.$year == 2025).all()
            XCTAssertEqual(Set(prior.map(\.personID)), Set(people.map(\.id!)))
            XCTAssertEqual(Set(prior.map(\.level)).count, 4, "every level occurs")

            // The trail is whole, and the report counts the same people as the stored rows.
            guard case .intact = try await AuditLog.verify(on: app.db) else { return XCTFail("audit chain broken") }
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            let month = months[months.count / 2]
            let csv = CSV.parse(try await advisory.get("/bao-cao?ky=\(month.text)&dinh_dang=csv").text)
            for agency in agencies {
                let p = try XCTUnwrap(periods.first { $0.organizationID == agency.id && $0.code == month.text })
                let people = sheets.filter { $0.periodID == p.id }.count
                XCTAssertEqual(csv.first { $0.first == agency.name }?[1], VNNumber.format(people), "\(agency.code) \(csv.prefix(2))")
            }
            // Early in a month the overseers' home gives last month's results, not a month whose work is not due.
            let home = try await advisory.get("/").text
            XCTAssertTrue(home.contains("Kết quả \(months.last!.label.lowercased()) theo cơ quan"), "last month on the home page")
            // September's complaint and its correction, in the report's own columns (Kiến nghị, Kết quả được sửa).
            let september = CSV.parse(try await advisory.get("/bao-cao?ky=2026-09&dinh_dang=csv").text)
            XCTAssertEqual(september.first?[14], "Kiến nghị")
            let btctu = try XCTUnwrap(september.first { $0.first == "Ban Tổ chức Tỉnh ủy" })
            XCTAssertEqual(btctu[14], "1")
            XCTAssertEqual(btctu[15], "1")
        }
    }
}

private extension String {
    var nilIfEmpty: String? { isEmpty ? nil : self }
}
