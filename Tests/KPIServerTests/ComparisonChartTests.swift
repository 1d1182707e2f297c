import Foundation
import KPICore
@testable import KPIServer
import XCTest

/// Charts comparing groups (issue 19, item 3): stacked level shares, box plots and the heat map — each
/// drawn figure checked against figures computed here from the raw scores, and against the table beside it.
final class ComparisonChartTests: XCTestCase {
    func matches(_ pattern: String, in text: String) -> [[String]] {
        let re = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { m in
            (1..<m.numberOfRanges).map { String(text[Range(m.range(at: $0), in: text)!]) }
        }
    }

    func group(_ label: String, _ scores: [(Int, Level)]) -> Charts.Group {
        var s = ScoreSummary()
        for (h, l) in scores { s.add(hundredths: h, level: l) }
        return Charts.Group(label: label, summary: s)
    }

    func testStackedSharesAreEachLevelsPartOfTheScale() {
        let a = group("Phòng Cán bộ", [(9500, .excellent), (8000, .good), (8100, .good), (6000, .pass)])
        let b = group("Văn phòng", [(4000, .fail)])
        let empty = Charts.Group(label: "Phòng mới", summary: ScoreSummary())
        let html = Charts.stacked(id: "xl", title: "Tỷ lệ xếp loại", [a, b, empty]).html
        let rect = #"<rect x="([0-9.]+)" y="([0-9.]+)" width="([0-9.]+)" height="14" class="chart-bar level-[A-Z]+" "#
            + #"data-level="([A-Z]+)" data-value="(\d+)""#
        let parts = matches(rect, in: html)
        // Phòng Cán bộ: 1, 2, 1 of 4 → a quarter, a half, a quarter of the scale, one after the other.
        let first = parts.filter { Double($0[1])! < 40 }
        XCTAssertEqual(first.map { $0[3] }, ["HTXSNV", "HTTNV", "HTNV"])
        var x = 0.0
        for (p, n) in zip(first, [1, 2, 1]) {
            XCTAssertEqual(Double(p[0])!, x, accuracy: 0.05)
            XCTAssertEqual(Double(p[2])!, Double(n) / 4 * Charts.scale.width, accuracy: 0.05)
            x += Double(n) / 4 * Charts.scale.width
        }
        let second = parts.filter { Double($0[1])! >= 40 }
        XCTAssertEqual(second.map { $0[3] }, ["KHTNV"])
        XCTAssertEqual(Double(second[0][2])!, Charts.scale.width, accuracy: 0.05)
        XCTAssertTrue(html.contains("Phòng mới — chưa có xếp loại"))
        // The table: each count with its share.
        XCTAssertTrue(html.contains("""
            <tr><th scope="row">Phòng Cán bộ</th><td class="num">1 (25,0%)</td><td class="num">2 (50,0%)</td>
            """.trimmingCharacters(in: .newlines)))
        XCTAssertTrue(html.contains("<td class=\"num\">0 (0,0%)</td><td class=\"num\">1 (100,0%)</td><td class=\"num\">1</td></tr>"))
        XCTAssertTrue(html.contains("Văn phòng: Hoàn thành xuất sắc nhiệm vụ 0 (0,0%)"))
    }

    func testBoxesDrawTheFiveNumbersOfTheScores() {
        let raw = [9600, 8000, 8500, 7000, 9100, 6400]
        let g = group("Phòng Cán bộ", raw.map { ($0, Level.good) })
        let html = Charts.boxes(id: "pt", title: "Độ phân tán", [g, Charts.Group(label: "Trống", summary: ScoreSummary())]).html
        // Quartiles computed here by hand (QUARTILE.INC): sorted 6400 7000 8000 8500 9100 9600.
        let sorted = raw.sorted()
        func q(_ p: Double) -> Int {
            let pos = p * Double(sorted.count - 1), lo = Int(pos), f = pos - Double(lo)
            return f == 0 ? sorted[lo] : Int((Double(sorted[lo]) + f * Double(sorted[lo + 1] - sorted[lo])).rounded())
        }
        let five = [sorted.first!, q(0.25), q(0.5), q(0.75), sorted.last!]
        XCTAssertEqual(five, [6400, 7250, 8250, 8950, 9600])
        let g1 = matches(#"data-min="(\d+)" data-q1="(\d+)" data-median="(\d+)" data-q3="(\d+)" data-max="(\d+)""#, in: html)
        XCTAssertEqual(g1.first?.map { Int($0)! }, five)
        // Drawn where the scale puts them.
        let whisker = matches(#"<line x1="([0-9.]+)" x2="([0-9.]+)" y1="[0-9.]+" y2="[0-9.]+" class="chart-whisker""#, in: html)[0]
        XCTAssertEqual(Double(whisker[0])!, 0.64 * Charts.scale.width, accuracy: 0.05)
        XCTAssertEqual(Double(whisker[1])!, 0.96 * Charts.scale.width, accuracy: 0.05)
        let box = matches(#"<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)" height="14" class="chart-box-iqr""#, in: html)[0]
        XCTAssertEqual(Double(box[0])!, 0.725 * Charts.scale.width, accuracy: 0.05)
        XCTAssertEqual(Double(box[1])!, (0.895 - 0.725) * Charts.scale.width, accuracy: 0.1)
        let median = matches(#"<line x1="([0-9.]+)" x2="[0-9.]+" y1="[0-9.]+" y2="[0-9.]+" class="chart-median""#, in: html)[0]
        XCTAssertEqual(Double(median[0])!, 0.825 * Charts.scale.width, accuracy: 0.05)
        // The table and the text alternative say the same.
        XCTAssertTrue(html.contains("<td class=\"num\">64,00</td><td class=\"num\">72,50</td><td class=\"num\">82,50</td>"))
        XCTAssertTrue(html.contains("trung vị 82,50"))
        XCTAssertTrue(html.contains("Trống — không có điểm"))
    }

    func testHeatCellsAreShadedByTheBandOfTheirMean() {
        let columns = [("Tháng 7/2026", "T7/26"), ("Tháng 8/2026", "T8/26"), ("Tháng 9/2026", "T9/26")]
        let rows: [(label: String, means: [Int?])] = [("Xã A", [9_000, 8_999, nil]), ("Xã B", [5_000, 4_999, 7_000])]
        let html = Charts.heat(id: "nhiet", title: "Điểm trung bình", columns: columns.map { (label: $0.0, tick: $0.1) }, rows).html
        let cells = matches(#"class="chart-heat (heat-[a-z]+)" data-value="(\d*)""#, in: html)
        XCTAssertEqual(cells.map { $0[0] }, ["heat-a", "heat-b", "heat-none", "heat-c", "heat-d", "heat-b"])
        XCTAssertEqual(cells.map { $0[1] }, ["9000", "8999", "", "5000", "4999", "7000"])
        XCTAssertTrue(html.contains("<td class=\"num heat-b\">89,99</td>"))
        XCTAssertTrue(html.contains("Xã A: Tháng 7/2026 90,00, Tháng 8/2026 89,99, Tháng 9/2026 —"))
        let width = Charts.scale.width / 3
        let xs = matches(#"<rect x="([0-9.]+)" y="[0-9.]+" width="([0-9.]+)" height="18""#, in: html)
        XCTAssertEqual(Double(xs[1][0])!, width, accuracy: 0.05)
        XCTAssertEqual(Double(xs[1][1])!, width - 1, accuracy: 0.05)
    }
}
