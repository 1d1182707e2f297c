import Fluent
import Foundation
import KPICore
@testable import KPIServer
import SQLKit
import XCTVapor

/// Báo cáo (issue 19, item 2): every figure worked out here from the raw stored rows (`score_inputs`),
/// never through the report code; each role sees its own subtree only.
final class ReportTests: XCTestCase {
    /// The cells of the export's row whose first cell is `name`.
    func row(_ csv: String, _ name: String) -> [String]? {
        CSV.parse(csv).first { $0.first == name }
    }

    func median(_ xs: [Int]) -> Int? {
        let s = xs.sorted()
        guard !s.isEmpty else { return nil }
        return s.count % 2 == 1 ? s[s.count / 2] : (s[s.count / 2 - 1] + s[s.count / 2] + 1) / 2
    }

    func testDrillDownFiltersComparisonAndScopeFromRawRows() async throws {
        try await withApp { app in
            let month = PeriodCode.containing(TestEnv.today, kind: .month)
            let before = try XCTUnwrap(month.previous)
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            for (agency, period) in [("BTCTU", before), ("SNV", month)] {
                let opened = try await advisory.post("/ky-danh-gia", ["co_quan": agency, "ky": period.text])
                XCTAssertEqual(opened.status, .seeOther, agency)
            }
            _ = try await EvaluationService.recomputeStale(app.store)
            let btctu = try await Organization.query(on: app.db).filter(\.$code == "BTCTU").first()!
            let snv = try await Organization.query(on: app.db).filter(\.$code == "SNV").first()!
            let p3 = try await Organization.query(on: app.db).filter(\.$code == "BTCTU-P3").first()!
            // The inputs an agency's period computed (the demo also keeps inputs of a month no period was opened
            // for, which the framework preview reads: those are no one's results).
            let periods = Set(try await EvaluationPeriod.query(on: app.db).all().map { $0.code + "|" + $0.scopePath })
            let now = try await ScoreInput.query(on: app.db).filter(\.$period == month.text).all()
                .filter { periods.contains($0.period + "|" + $0.agencyPath) }
            let earlier = try await ScoreInput.query(on: app.db).filter(\.$period == before.text).all()
                .filter { periods.contains($0.period + "|" + $0.agencyPath) }
            func rows(_ all: [ScoreInput], under path: String) -> [ScoreInput] { all.filter { $0.scopePath.hasPrefix(path) } }

            // The province, by agency: people, median, and the month before.
            let csv = try await advisory.get("/bao-cao?ky=\(month.text)&dinh_dang=csv").text
            for org in [btctu, snv] {
                let mine = rows(now, under: org.path)
                XCTAssertGreaterThan(mine.count, 0, org.code)
                let cells = try XCTUnwrap(row(csv, org.name), org.code)
                XCTAssertEqual(cells[1], VNNumber.format(mine.count), "\(org.code): \(cells)")
                let middle = median(mine.compactMap(\.hundredths)).map { ScoringEngine.vn(hundredths: $0) } ?? "—"
                XCTAssertEqual(cells[8], middle, "\(cells)")
                XCTAssertEqual(cells[3], VNNumber.format(mine.reduce(0) { $0 + $1.tasks }), "\(cells)")
                XCTAssertEqual(cells[16], VNNumber.format(rows(earlier, under: org.path).count), "the month before: \(cells)")
            }
            // An agency, by unit; a unit, with its own people.
            let agency = try await advisory.get("/bao-cao?ky=\(month.text)&don_vi=BTCTU&dinh_dang=csv").text
            XCTAssertEqual(row(agency, p3.name)?[1], VNNumber.format(rows(now, under: p3.path).count))
            let unitPage = try await advisory.get("/bao-cao?ky=\(month.text)&don_vi=BTCTU-P3")
            XCTAssertEqual(unitPage.status, .ok)
            for row in now where row.scopePath == p3.path {
                let code = try await Person.find(row.personID, on: app.db)!.code
                XCTAssertTrue(unitPage.text.contains("/ket-qua/\(month.text)/\(code)"), code)
            }
            // A filter: only the cán bộ (staff kind) of the province.
            let kind = try await advisory.get("/bao-cao?ky=\(month.text)&loai=can-bo&dinh_dang=csv").text
            let cadres = now.filter { $0.staffKind == "can-bo" && $0.scopePath.hasPrefix(btctu.path) }
            if cadres.isEmpty {
                XCTAssertNil(row(kind, btctu.name))
            } else {
                XCTAssertEqual(row(kind, btctu.name)?[1], VNNumber.format(cadres.count))
            }
            // A range of months adds the months up.
            let range = try await advisory.get("/bao-cao?tu_ky=\(before.text)&den_ky=\(month.text)&dinh_dang=csv").text
            let both = rows(now, under: btctu.path).count + rows(earlier, under: btctu.path).count
            XCTAssertEqual(row(range, btctu.name)?[1], VNNumber.format(both))
            let tooLong = try await advisory.get("/bao-cao?tu_ky=2020-01&den_ky=\(month.text)")
            XCTAssertEqual(tooLong.status, .badRequest)
            XCTAssertTrue(tooLong.text.contains("dài quá 24 tháng"))

            // A unit's leader: their room only, as if it were the whole agency; other agencies unknown.
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let own = try await leader.get("/bao-cao?ky=\(month.text)&dinh_dang=csv").text
            XCTAssertEqual(row(own, btctu.name)?[1], VNNumber.format(rows(now, under: p3.path).count))
            XCTAssertNil(row(own, snv.name))
            do { let s = try await leader.get("/bao-cao?don_vi=SNV").status; XCTAssertEqual(s, .notFound) }
            var staff = Browser(app)
            try await staff.login("canbo")
            do { let s = try await staff.get("/bao-cao").status; XCTAssertEqual(s, .forbidden) }
            var inspector = Browser(app)
            try await inspector.login("kiemtra")
            let all = try await inspector.get("/bao-cao?ky=\(month.text)&dinh_dang=csv").text
            XCTAssertNotNil(row(all, snv.name))
            XCTAssertNotNil(row(all, btctu.name))
        }
    }
}

extension ReportTests {
    /// «Kết quả từng người»: every person's result in the viewer's scope, streamed as CSV and XLSX with the
    /// same rows, checked against the stored inputs; a leader gets their unit only; the export is audited.
    func testEveryPersonExportFromRawRows() async throws {
        try await withApp { app in
            let month = PeriodCode.containing(TestEnv.today, kind: .month)
            var advisory = Browser(app)
            try await advisory.login("thammuu")
            // The demonstration has this month open for BTCTU.
            let opened = try await advisory.post("/ky-danh-gia", ["co_quan": "SNV", "ky": month.text])
            XCTAssertEqual(opened.status, .seeOther)
            _ = try await EvaluationService.recomputeStale(app.store)
            let periods = Set(try await EvaluationPeriod.query(on: app.db).all().map { $0.code + "|" + $0.scopePath })
            let stored = try await ScoreInput.query(on: app.db).filter(\.$period == month.text).all()
                .filter { periods.contains($0.period + "|" + $0.agencyPath) }
            var expected: [String: String] = [:]  // code → score as printed
            for s in stored {
                let code = try await Person.find(s.personID, on: app.db)!.code
                expected[code] = s.hundredths.map { ScoringEngine.vn(hundredths: $0) } ?? "—"
            }
            XCTAssertGreaterThan(expected.count, 20)

            let csv = try await advisory.get("/bao-cao?ky=\(month.text)&chi_tiet=nguoi&dinh_dang=csv")
            XCTAssertEqual(csv.status, .ok)
            XCTAssertTrue(csv.headers.first(name: .contentDisposition)?.contains(".csv") == true)
            let rows = CSV.parse(csv.text)
            XCTAssertEqual(rows.first, ReportService.everyoneHeader)
            let body = rows.dropFirst().filter { !$0.allSatisfy(\.isEmpty) }
            XCTAssertEqual(body.count, stored.count)
            XCTAssertEqual(Dictionary(body.map { ($0[0], $0[5]) }, uniquingKeysWith: { a, _ in a }), expected)
            XCTAssertEqual(Set(body.map { $0[4] }), [month.label])

            let xlsx = try await advisory.get("/bao-cao?ky=\(month.text)&chi_tiet=nguoi&dinh_dang=xlsx")
            XCTAssertEqual(xlsx.status, .ok)
            let sheet = try XLSX.read(Data(xlsx.body.readableBytesView))
            XCTAssertEqual(sheet, [ReportService.everyoneHeader] + body, "the Excel file holds the CSV's rows")
            let audits = try await AuditEntry.query(on: app.db).filter(\.$action == "report.export").count()
            XCTAssertEqual(audits, 2)

            // A unit's leader: the people of their room only, whichever node they ask for.
            var leader = Browser(app)
            try await leader.login("lanhdao")
            let p3 = try await Organization.query(on: app.db).filter(\.$code == "BTCTU-P3").first()!
            let own = CSV.parse(try await leader.get("/bao-cao?ky=\(month.text)&chi_tiet=nguoi&dinh_dang=csv").text).dropFirst()
                .filter { !$0.allSatisfy(\.isEmpty) }
            XCTAssertEqual(own.count, stored.filter { $0.scopePath.hasPrefix(p3.path) }.count)
            XCTAssertTrue(own.allSatisfy { $0[3] == p3.name }, "\(own.map { $0[3] })")
            let other = try await leader.get("/bao-cao?ky=\(month.text)&don_vi=SNV&chi_tiet=nguoi&dinh_dang=csv")
            XCTAssertEqual(other.status, .notFound)
            var staff = Browser(app)
            try await staff.login("canbo")
            let refused = try await staff.get("/bao-cao?ky=\(month.text)&chi_tiet=nguoi&dinh_dang=xlsx")
            XCTAssertEqual(refused.status, .forbidden)
        }
    }
}
