import Fluent
import Foundation
import KPICore
@testable import KPIServer
import XCTVapor

/// Báo cáo sơ kết thí điểm (issue 19, item 7): every figure worked out here from the stored rows of the
/// demonstration's pilot months (sheets, inputs, complaints, re-reviews, imported levels), never through
/// the report code; each viewer sees the agencies of their scope only.
final class PilotReviewTests: XCTestCase {
    func testThePilotReviewFromRawRowsInEachScope() async throws {
        try await withApp(demo: false) { app in
            let codes = ["BTCTU", "HUNGNGUYEN-UBND", "SNV"]
            try await DemoLoader(app: app).load(history: true, historyOf: Set(codes))
            let months = DemoHistory.months(before: TestEnv.today)
            let (from, to) = (months.first!, months.last!)
            let range = "tu_ky=\(from.text)&den_ky=\(to.text)"
            let periods = try await EvaluationPeriod.query(on: app.db).filter(\.$code ~~ months.map(\.text)).all()
            let sheets = try await Evaluation.query(on: app.db).filter(\.$periodID ~~ periods.compactMap(\.id)).all()
            let inputs = try await ScoreInput.query(on: app.db).filter(\.$period ~~ months.map(\.text)).all()
            let agencies = try await Organization.query(on: app.db).filter(\.$code ~~ codes).all()
            let complaints = try await Complaint.query(on: app.db).all()
            let prior = try await PriorLevel.query(on: app.db).filter(\.$year == from.year - 1).all()

            var adviser = Browser(app)
            try await adviser.login("thammuu")
            // Phụ lục 1, by agency: people, tasks, excellent, complaints.
            let one = CSV.parse(try await adviser.get("/bao-cao/so-ket?\(range)&phu_luc=1&dinh_dang=csv").text)
            XCTAssertEqual(one.first?.first, "Cơ quan")
            for org in agencies {
                let mine = periods.filter { $0.organizationID == org.id }
                let rows = inputs.filter { $0.agencyPath == org.path && mine.map(\.code).contains($0.period) }
                let line = try XCTUnwrap(one.first { $0.first == org.name }, org.code)
                XCTAssertEqual(line[1], VNNumber.format(rows.count), "\(org.code) people: \(line)")
                XCTAssertEqual(line[3], VNNumber.format(rows.reduce(0) { $0 + $1.tasks }), "\(org.code) tasks")
                let official = sheets.filter { s in mine.contains { $0.id == s.periodID } }
                XCTAssertEqual(line[8], VNNumber.format(official.filter { $0.level == Level.excellent.rawValue }.count), "\(org.code)")
                let filed = complaints.filter { c in mine.contains { $0.id == c.periodID } }
                XCTAssertEqual(line[12], VNNumber.format(filed.count))
                XCTAssertEqual(line[13], VNNumber.format(filed.filter { $0.state == "chap-nhan" }.count))
            }
            XCTAssertEqual(one.last?.first, "Tổng cộng")
            XCTAssertEqual(one.last?[1], VNNumber.format(inputs.filter { i in agencies.contains { $0.path == i.agencyPath } }.count))

            // Phụ lục 2: each period's self-assessments done by their deadline day.
            let two = CSV.parse(try await adviser.get("/bao-cao/so-ket?\(range)&phu_luc=2&dinh_dang=csv").text)
            for p in periods {
                let org = agencies.first { $0.id == p.organizationID }!
                let mine = sheets.filter { $0.periodID == p.id }
                let due = DateOnly(parsing: p.selfDue)!
                let onTime = mine.filter { $0.selfAt.map { DateOnly.inVietnam($0) <= due } ?? false }.count
                let line = try XCTUnwrap(two.first { $0.first == org.name && $0[1] == PeriodCode(p.code)!.label }, p.code)
                XCTAssertEqual(line[4], "\(onTime)/\(mine.count)", "\(org.code) \(p.code)")
                XCTAssertEqual(line[8], p.lockedAt.map { DateOnly.inVietnam($0).display } ?? "—")
            }

            // Phụ lục 3: last year's levels of the people the pilot evaluated, as shares.
            let three = CSV.parse(try await adviser.get("/bao-cao/so-ket?\(range)&phu_luc=3&dinh_dang=csv").text)
            for org in agencies {
                let evaluated = Set(sheets.filter { s in periods.contains { $0.id == s.periodID && $0.organizationID == org.id } }
                    .map(\.personID))
                let before = prior.filter { evaluated.contains($0.personID) }
                let line = try XCTUnwrap(three.first { $0.first == org.name })
                XCTAssertEqual(line[1], VNNumber.format(before.count))
                let excellent = before.filter { $0.level == Level.excellent.rawValue }.count
                XCTAssertEqual(line[2], HomeController.percent(ScoreSummary.tenths(excellent, of: before.count)), "\(org.code)")
            }

            // The same figures in Excel; the printed document under the viewer's agency.
            let xlsx = try await adviser.get("/bao-cao/so-ket?\(range)&phu_luc=1&dinh_dang=xlsx")
            XCTAssertEqual(try XLSX.read(Data(xlsx.body.readableBytesView)), one)
            let printed = try await adviser.get("/bao-cao/so-ket?\(range)&in=1").text
            XCTAssertTrue(printed.contains("BAN TỔ CHỨC TỈNH ỦY") && printed.contains("ĐẢNG CỘNG SẢN VIỆT NAM"))
            XCTAssertTrue(printed.contains("Sơ kết thí điểm") && printed.contains("T/M CƠ QUAN"))

            // Scope: the head of the board sees the board only; another agency named is refused; staff are refused.
            var head = Browser(app)
            try await head.login("truongban")
            let own = CSV.parse(try await head.get("/bao-cao/so-ket?\(range)&phu_luc=1&dinh_dang=csv").text)
            XCTAssertEqual(own.dropFirst().map { $0[0] }, ["Ban Tổ chức Tỉnh ủy", "Tổng cộng"])
            let other = try await head.get("/bao-cao/so-ket?co_quan=SNV&\(range)")
            XCTAssertEqual(other.status, .badRequest)
            XCTAssertTrue(other.text.contains("Không có cơ quan mã «SNV» trong phạm vi"))
            var staff = Browser(app)
            try await staff.login("canbo")
            let refused = try await staff.get("/bao-cao/so-ket").status
            XCTAssertEqual(refused, .forbidden)
            // A month that is not one is refused with what to type.
            let bad = try await adviser.get("/bao-cao/so-ket?tu_ky=2026-13")
            XCTAssertEqual(bad.status, .badRequest)
        }
    }
}
