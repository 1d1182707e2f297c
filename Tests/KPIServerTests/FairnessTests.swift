import Fluent
import Foundation
import KPICore
@testable import KPIServer
import SQLKit
import XCTVapor

/// Phân tích công bằng (issue 19, item 4) over stored results: the flags, the self/review gap and the
/// corrections per unit are worked out here from the rows the test writes; advisory bodies and inspectors
/// only; the rules are data the province's advisory body changes, audited.
final class FairnessTests: XCTestCase {
    /// A period of `agency` being reviewed, with each person's stored score and level.
    func period(_ app: Application, _ code: String, agency: String, scores: [String: Int]) async throws -> EvaluationPeriod {
        let org = try await Organization.query(on: app.db).filter(\.$code == agency).first()!
        let p = EvaluationPeriod(code: PeriodCode(code)!, organizationID: org.id!, scopePath: org.path, openedBy: "test")
        p.state = EvaluationState.review.rawValue
        try await p.create(on: app.db)
        for (personCode, h) in scores {
            let person = try await Person.query(on: app.db).filter(\.$code == personCode).first()!
            let row = ScoreInput()
            row.id = UUID(); row.period = code; row.personID = person.id!; row.scopePath = person.scopePath; row.agencyPath = org.path
            row.data = "{}"
            row.store(result: nil, framework: nil, data: ScoreInputData(personCode: personCode, personName: person.fullName,
                                                        staffKind: person.staffKind,
                                                        groupCode: "CMNV", unitName: "", tasks: [], satisfaction: "",
                                                        coordination: "", discipline: ""))
            row.hundredths = h
            row.staffKind = "cong-chuc"
            row.level = (h >= 9000 ? Level.excellent : h >= 7000 ? .good : h >= 5000 ? .pass : .fail).rawValue
            try await row.create(on: app.db)
        }
        try await ScoreAggregates.rebuild(app.db, p)
        return p
    }

    func testFlagsGapsAndCorrectionsFromTheStoredRows() async throws {
        try await withApp { app in
            let code = "2026-09"
            // Phòng Cán bộ: five people from 91 to 95 points; Sở Nội vụ: ten from 60 to 69.
            let p3 = (1...5).map { "CB-BTCTU-P3-0\($0)" }
            let snv = try await Person.query(on: app.db).filter(\.$code, .custom("LIKE"), "CB-SNV-%").sort(\.$code).range(0..<10).all()
            XCTAssertEqual(snv.count, 10)
            var btctuScores: [String: Int] = [:]
            for (i, c) in p3.enumerated() { btctuScores[c] = 9100 + 100 * i }
            let btctuPeriod = try await period(app, code, agency: "BTCTU", scores: btctuScores)
            var snvScores: [String: Int] = [:]
            for (i, person) in snv.enumerated() { snvScores[person.code] = 6000 + 100 * i }
            let snvPeriod = try await period(app, code, agency: "SNV", scores: snvScores)
            // Two evaluators of Sở Nội vụ, five sheets each, same framework and group: one marks «Tốt» (5 points on
            // KL-02), the other «Trung bình» (1 point).
            for (i, person) in snv.enumerated() {
                let e = Evaluation()
                e.id = UUID(); e.periodID = snvPeriod.id!; e.personID = person.id!; e.personCode = person.code
                e.scopePath = person.scopePath; e.isLeader = false; e.selfComment = ""; e.selfRubric = "{}"; e.reviewComment = ""
                e.reviewRubric = i < 5 ? "{\"KL-02\":\"Tốt\"}" : "{\"KL-02\":\"Trung bình\"}"
                e.reviewTaskScore = ""; e.reviewedBy = i < 5 ? "Người chấm A" : "Người chấm B"; e.reviewedAt = app.clock.now
                e.level = ""; e.reasons = "[]"; e.revision = 0
                try await e.create(on: app.db)
            }
            // One sheet reviewed differently from its self-assessment, one the same; one result corrected by a complaint.
            let people = try await Person.query(on: app.db).filter(\.$code ~~ ["CB-BTCTU-P3-01", "CB-BTCTU-P3-02"]).sort(\.$code).all()
            for (person, review) in zip(people, ["{\"KL-01\":\"Khá\"}", "{\"KL-01\":\"Tốt\"}"]) {
                let e = Evaluation()
                e.id = UUID(); e.periodID = btctuPeriod.id!; e.personID = person.id!; e.personCode = person.code
                e.scopePath = person.scopePath; e.isLeader = false; e.selfComment = ""; e.selfRubric = "{\"KL-01\":\"Tốt\"}"
                e.selfAt = app.clock.now; e.reviewComment = ""; e.reviewRubric = review; e.reviewTaskScore = ""; e.reviewedBy = "lanhdao"
                e.reviewedAt = app.clock.now; e.level = ""; e.reasons = "[]"; e.revision = 0
                try await e.create(on: app.db)
                if person.code == "CB-BTCTU-P3-01" {
                    try await EvaluationFlow.writeRevision(app.db, e, number: 1, kind: "phe-duyet", inputs: "{}", framework: nil, note: "",
                                                           author: "test")
                    try await EvaluationFlow.writeRevision(app.db, e, number: 2, kind: "kien-nghi", inputs: "{}", framework: nil, note: "",
                                                           author: "test")
                }
            }

            var advisory = Browser(app)
            try await advisory.login("thammuu")
            let page = try await advisory.get("/bao-cao/cong-bang?ky=\(code)")
            XCTAssertEqual(page.status, .ok)
            // Whole: 6000 … 6900 and 9100 … 9500: median 6700 (worked out by hand); Phòng Cán bộ: 9300.
            let all = (Array(btctuScores.values) + Array(snvScores.values)).sorted()
            XCTAssertEqual(all[all.count / 2], 6700)
            XCTAssertTrue(page.text.contains("trung vị chung \(ScoringEngine.vn(hundredths: 6700))"), page.text)
            XCTAssertTrue(page.text.contains("""
                Trung vị 93,00 cao hơn trung vị chung (67,00) 26,00 điểm, quá mức 10 điểm (5 người có điểm).
                """.trimmingCharacters(in: .newlines)))
            XCTAssertTrue(page.text.contains("Mọi người có xếp loại (5 người) đều từ "
                                                 + "«hoàn thành tốt nhiệm vụ» trở lên."))
            let csv = CSV.parse(try await advisory.get("/bao-cao/cong-bang?ky=\(code)&dinh_dang=csv").text)
            let room = try XCTUnwrap(csv.first { $0.first == "Phòng Cán bộ" })
            XCTAssertEqual(room[2], "5")
            XCTAssertEqual(room[8], "1/2 phiếu", "one of the two sheets reviewed differently")
            XCTAssertEqual(room[9], "1", "one result corrected by a complaint")
            // Sở Nội vụ's units: below the whole's median, so nothing to flag on the gap; small units say so.
            for line in csv.dropFirst() where line[1] == "Sở Nội vụ" {
                XCTAssertFalse(line[11].contains("Trung vị"), "\(line)")
                if Int(line[2])! < 5 { XCTAssertTrue(line[11].contains("Nhóm dưới 5 người có điểm"), "\(line)") }
            }
            // Evaluators: A's mean 5,00 on 5 sheets against B's 1,00 on 5: 4 points above, more than the 2 of the rules.
            XCTAssertTrue(page.text.contains("Chấm bình quân 5,00 điểm trên 5 phiếu, cao hơn những người "
                                             + "đánh giá khác cùng nhóm (1,00 trên 5 phiếu) 4,00 điểm, quá mức 2 điểm."))
            XCTAssertEqual(page.text.components(separatedBy: "Chấm bình quân").count, 2, "B marks lower: no flag")
            // Quota pressure: people from 90 points against those at "xuất sắc".
            XCTAssertTrue(page.text.contains("Áp lực hạn mức xuất sắc"))

            // Only the advisory body and inspectors; the rules are changed by the province's advisory body.
            for (user, status) in [("kiemtra", HTTPStatus.ok), ("truongban", .forbidden), ("lanhdao", .forbidden), ("canbo", .forbidden)] {
                var b = Browser(app)
                try await b.login(user)
                let s = try await b.get("/bao-cao/cong-bang?ky=\(code)").status
                XCTAssertEqual(s, status, user)
            }
            let bad = try await advisory.post("/bao-cao/cong-bang/quy-tac", ["nhom_toi_thieu": "1", "chenh_trung_vi": "30",
                                                                             "chenh_cham_diem": "2"])
            XCTAssertEqual(bad.status, .unprocessableEntity)
            XCTAssertTrue(bad.text.contains("từ 2 đến 100"))
            XCTAssertTrue(bad.text.contains("value=\"30\""), "what was typed is kept")
            let saved = try await advisory.post("/bao-cao/cong-bang/quy-tac", ["nhom_toi_thieu": "5", "chenh_trung_vi": "30",
                                                                                "moi_nguoi_tot": "1", "chenh_cham_diem": "5"])
            XCTAssertEqual(saved.status, .seeOther)
            let audited = try await AuditEntry.query(on: app.db).filter(\.$action == "setting.change")
                .filter(\.$entityID == FairnessRules.key).count()
            XCTAssertEqual(audited, 1)
            let after = try await advisory.get("/bao-cao/cong-bang?ky=\(code)")
            XCTAssertFalse(after.text.contains("26,00 điểm, quá mức"), "26 points is within a gap of 30")
            XCTAssertTrue(after.text.contains("Mọi người có xếp loại (5 người)"))
            XCTAssertFalse(after.text.contains("Chấm bình quân 5,00"), "4 points is within a gap of 5")
        }
    }
}
