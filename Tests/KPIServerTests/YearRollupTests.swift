import Fluent
import Foundation
import KPICore
@testable import KPIServer
import SQLKit
import XCTVapor

/// The year (DOMAIN.md §5): the mean of the approved results of the year's periods, current
/// revisions only, periods without a score not counted, a transfer's old agency carried over,
/// disciplinary decisions overriding the level; then its own approval and lock.
final class YearRollupTests: XCTestCase {
    /// A year with no demonstration data in it.
    let year = PeriodCode(year: TestEnv.today.year + 2, kind: .year, index: 0)!

    /// A period of `agency` in `state` with one sheet for `person`, its revisions' scores in order.
    static func period(_ app: Application, _ code: String, agency: String, state: EvaluationState, person: Person, revisions: [Int?],
                       tasks: [String] = ["completed"]) async throws -> Evaluation {
        let org = try await Organization.query(on: app.db).filter(\.$code == agency).first()!
        let p = EvaluationPeriod(code: PeriodCode(code)!, organizationID: org.id!, scopePath: org.path, openedBy: "test")
        p.state = state.rawValue
        try await p.create(on: app.db)
        let e = Evaluation()
        e.id = UUID(); e.periodID = p.id!; e.personID = person.id!; e.personCode = person.code; e.isLeader = false
        // The sheet belongs where the person was then: another agency's sheet is under that agency.
        e.scopePath = person.scopePath.hasPrefix(org.path) ? person.scopePath : org.path
        e.selfComment = ""; e.selfRubric = "{}"; e.reviewComment = ""; e.reviewRubric = "{}"; e.reviewTaskScore = ""; e.reviewedBy = ""
        e.level = ""; e.reasons = "[]"; e.revision = 0
        let data = ScoreInputData(personCode: person.code, personName: person.fullName, staffKind: person.staffKind, groupCode: "CMNV",
                                  unitName: "",
                                  tasks: tasks.map { ScoreInputData.Task(title: "t", productCode: "SP", productName: "SP", unit: "",
                                                                         quantity: "1", factor: "1",
                                                                        complexity: "", complexityFactor: "", status: $0, majorErrors: 0,
                                                                        exemptErrors: 0, delays: 0) },
                                  satisfaction: "", coordination: "", discipline: "")
        let inputs = String(decoding: try JSONEncoder().encode(data), as: UTF8.self)
        for (i, h) in revisions.enumerated() {
            e.hundredths = h
            e.level = h.map { $0 >= 9000 ? Level.excellent.rawValue : $0 >= 7000 ? Level.good.rawValue : Level.pass.rawValue } ?? ""
            try await EvaluationFlow.writeRevision(app.db, e, number: i + 1, kind: i == 0 ? "phe-duyet" : "kien-nghi", inputs: inputs,
                                                   framework: nil, note: "", author: "test")
        }
        try await e.create(on: app.db)
        return e
    }

    func testTheYearIsTheMeanOfTheApprovedPeriodsAndHasItsOwnWorkflow() async throws {
        try await withApp { app in
            let person = try await Person.query(on: app.db).filter(\.$code == "CB-BTCTU-P3-03").first()!
            let y = year.year
            _ = try await Self.period(app, "\(y)-01", agency: "BTCTU", state: .locked, person: person, revisions: [9000],
                tasks: ["completed",
                "completed"])
            // A complaint raised February from 70,00 to 80,00: the current revision counts.
            _ = try await Self.period(app, "\(y)-02", agency: "BTCTU", state: .locked, person: person, revisions: [7000, 8000],
                tasks: ["open"])
            // March on leave: no score, not counted.
            _ = try await Self.period(app, "\(y)-03", agency: "BTCTU", state: .locked, person: person, revisions: [nil], tasks: [])
            // April in another agency before moving here: carried over.
            let april = try await Self.period(app, "\(y)-04", agency: "SNV", state: .published, person: person, revisions: [8500])
            // Not counted: another year, and a month not yet approved.
            _ = try await Self.period(app, "\(y - 1)-12", agency: "BTCTU", state: .locked, person: person, revisions: [1000])
            _ = try await Self.period(app, "\(y)-05", agency: "BTCTU", state: .review, person: person, revisions: [])

            let head = try await Browser.principal(app, "truongban")
            let svc = EvaluationService(store: app.store, principal: head, actor: .system("test", at: app.clock.now))
            let yp = try await svc.open(agencyCode: "BTCTU", period: year.text)
            try await svc.recompute(yp.id!)
            let scores = ScoreService(store: app.store, principal: head)
            func mine() async throws -> ScoreService.Row {
                let rows = try await scores.results(period: year.text)
                return try XCTUnwrap(rows.first { $0.input.personCode == person.code })
            }
            // (90,00 + 80,00 + 85,00) / 3 = 85,00: "tốt".
            var row = try await mine()
            XCTAssertEqual(row.input.year?.periods.map(\.code), ["\(y)-01", "\(y)-02", "\(y)-03", "\(y)-04"])
            XCTAssertEqual(row.input.year?.periods.map(\.revision), [1, 2, 1, 1])
            XCTAssertEqual(row.result.yearHundredths, 8500)
            XCTAssertEqual(row.result.level, .good)
            XCTAssertTrue(row.reasons.contains("""
                Điểm năm 85,00 là trung bình 3 kỳ có điểm (1 kỳ chưa có điểm không tính).
                """))
            var staff = Browser(app)
            try await staff.login("canbo")
            let explained = try await staff.get("/ket-qua/\(year.text)/\(person.code)")
            XCTAssertEqual(explained.status, .ok)
            XCTAssertTrue(explained.text.contains("Giải trình điểm năm"))
            XCTAssertTrue(explained.text.contains("Không (kỳ không có điểm)"))
            XCTAssertTrue(explained.text.contains("85,00"))

            // A phúc tra in the old agency corrects April to 90,00 after the move: the new agency's
            // year is marked stale and takes the current revision, (90 + 80 + 90) / 3 = 86,67.
            func stale() async throws -> Bool { try await EvaluationPeriod.find(yp.id, on: app.db)!.dirty }
            let isStale = try await stale()
            XCTAssertFalse(isStale)
            let corrected = EvaluationFlow.Revised(inputs: try await EvaluationRevision.query(on: app.db).filter(\.$personID == person.id!)
                                                       .filter(\.$periodID == april.periodID).first()!.inputs,
                                                   framework: nil, level: .excellent, hundredths: 9000, reasons: [])
            try await app.store.write { db in
                _ = try await EvaluationFlow.revise(db, april, corrected, kind: "phuc-tra", note: "Phúc tra", author: "test")
            }
            let nowStale = try await stale()
            XCTAssertTrue(nowStale, "a correction in the old agency reaches the year of the agency the person moved to")
            _ = try await EvaluationService.recomputeStale(app.store)
            let stillStale = try await stale()
            XCTAssertFalse(stillStale)
            row = try await mine()
            XCTAssertEqual(row.input.year?.periods.map(\.revision), [1, 2, 1, 2])
            XCTAssertEqual(row.result.yearHundredths, 8667)

            // A disciplinary decision in the year: "không hoàn thành", whatever the mean.
            let d = DisciplineRecord()
            d.personID = person.id!; d.scopePath = person.scopePath; d.kind = "ky-luat"; d.violationCode = ""; d.violationName = ""
            d.deduction = "0"; d.level = "khien-trach"; d.decisionNumber = "15/QĐ-BTCTU"; d.decisionDate = "\(y)-06-01"
            d.occurredOn = "\(y)-06-01"; d.note = ""; d.enteredBy = "test"; d.voided = false; d.voidReason = ""
            try await d.create(on: app.db)
            try await svc.recompute(yp.id!)
            row = try await mine()
            XCTAssertEqual(row.result.yearHundredths, 8667)
            XCTAssertEqual(row.result.level, .fail)

            // Its own workflow: approval writes revision 1 of the year with its periods; the lock closes it.
            let flow = EvaluationFlow(store: app.store, principal: head, actor: .system("test", at: app.clock.now))
            func version() async throws -> Int { try await EvaluationPeriod.find(yp.id, on: app.db)!.version }
            let today = TestEnv.today
            try await flow.startSelfAssessment(yp.id!, version: try await version(), selfDue: today, reviewDue: today, approveDue: today)
            try await flow.startReview(yp.id!, version: try await version())
            try await flow.submitForApproval(yp.id!, version: try await version())
            let batches = try await EvaluationFlow.batches(try await EvaluationPeriod.find(yp.id, on: app.db)!, on: app.db)
            let chosen = Set(batches.flatMap { b in b.results.filter { $0.level == .excellent }.map(\.id) })
            try await flow.approve(yp.id!, version: try await version(), chosen: chosen, decision: "", tiesConfirmed: true, windowDays: 5)
            try await flow.lock(yp.id!, version: try await version())
            let sheet = try await Evaluation.query(on: app.db).filter(\.$periodID == yp.id!).filter(\.$personID == person.id!).first()
            XCTAssertEqual(sheet?.hundredths, 8667)
            XCTAssertEqual(sheet?.level, Level.fail.rawValue)
            let rev = try await EvaluationRevision.query(on: app.db).filter(\.$periodID == yp.id!).filter(\.$personID == person.id!).first()
            XCTAssertTrue(rev?.inputs.contains("\"\(y)-04\"") ?? false)
            let state = try await EvaluationPeriod.find(yp.id, on: app.db)?.state
            XCTAssertEqual(state, EvaluationState.locked.rawValue)
        }
    }
}
