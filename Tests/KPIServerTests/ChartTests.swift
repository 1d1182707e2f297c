import Foundation
import KPICore
@testable import KPIServer
import XCTest

/// Server-drawn charts (issue 19, item 3): every bar's length is its figure's share of the largest,
/// and the text alternative and the table beside the chart say the same figures.
final class ChartTests: XCTestCase {
    func matches(_ pattern: String, in text: String) -> [[String]] {
        let re = try! NSRegularExpression(pattern: pattern, options: [.dotMatchesLineSeparators])
        return re.matches(in: text, range: NSRange(text.startIndex..., in: text)).map { m in
            (1..<m.numberOfRanges).map { String(text[Range(m.range(at: $0), in: text)!]) }
        }
    }

    func testBarsAgreeWithTheirTableAndTheirTextAlternative() {
        let counts: [(Level, Int)] = [(.excellent, 3), (.good, 9), (.pass, 0), (.fail, 1_250)]
        let html = Charts.bars(id: "thu", title: "Xếp loại tháng 11/2026 <Ban Tổ chức>", unit: "Số người",
                               Charts.levels(counts)).html
        let total = counts.reduce(0) { $0 + $1.1 }
        // The bars: one per level, in order, lengths proportional with the largest at full length.
        let bar = #"<rect x="0" y="[0-9.]+" width="([0-9.]+)" height="14" class="chart-bar level-([A-Z]+)" data-value="(\d+)""#
        let rects = matches(bar, in: html)
        XCTAssertEqual(rects.map { $0[1] }, counts.map(\.0.rawValue))
        XCTAssertEqual(rects.map { Int($0[2])! }, counts.map(\.1))
        let largest = Double(counts.map(\.1).max()!)
        for (rect, (_, n)) in zip(rects, counts) {
            XCTAssertEqual(Double(rect[0])!, Double(n) / largest * Charts.barMax, accuracy: 0.05)
        }
        // The table beside it: the same counts and shares, computed here from the raw figures.
        let cells = matches(#"<tr><th scope="row">([^<]+)</th><td class="num">([^<]+)</td><td class="num">([^<]+)</td></tr>"#, in: html)
        XCTAssertEqual(cells.count, counts.count + 1, "a row per level and the total")
        for (row, (level, n)) in zip(cells, counts) {
            XCTAssertEqual(row[0], level.label)
            XCTAssertEqual(row[1], VNNumber.format(n))
            XCTAssertEqual(row[2], VNNumber.format(Double(n) * 100 / Double(total), decimals: 1) + "%")
        }
        XCTAssertEqual(cells.last?[1], "1.262", "Vietnamese grouping in the total")
        // The figures on the bars and in the text alternative.
        XCTAssertTrue(html.contains(">1.250 (99,0%)</text>"))
        let desc = matches(#"<desc id="thu-mo-ta">([^<]+)</desc>"#, in: html).first?.first ?? ""
        for (level, n) in counts { XCTAssertTrue(desc.contains("\(level.label): \(VNNumber.format(n))"), desc) }
        XCTAssertTrue(desc.contains("Tổng: 1.262"))
        // Titles are text, never markup.
        XCTAssertTrue(html.contains("&lt;Ban Tổ chức&gt;"))
        XCTAssertFalse(html.contains("<Ban Tổ chức>"))
        // Drawn for a phone's width.
        XCTAssertTrue(html.contains("viewBox=\"0 0 360.0 164.0\""))
    }

    func testCoordinatesPrintOneDecimalWithADot() {
        for (x, text) in [(0.0, "0.0"), (240.0, "240.0"), (12.34, "12.3"), (12.36, "12.4"), (-3.06, "-3.1"), (359.96, "360.0"),
                          (Double.nan, "0.0"), (1e300, "0.0")] {
            XCTAssertEqual(Charts.coordinate(x), text, "\(x)")
        }
    }

    func testNothingToCountDrawsEmptyBarsAndSaysSo() {
        let none = Charts.levels(Level.allCases.map { ($0, 0) })
        let html = Charts.bars(id: "rong", title: "Không có ai", unit: "Số người", none).html
        XCTAssertEqual(matches(#"width="(0\.0)" height="14""#, in: html).count, 4)
        XCTAssertTrue(html.contains("<td class=\"num\">—</td>"))
        XCTAssertTrue(html.contains("Tổng: 0."))
    }
}

extension ChartTests {
    func testTrendPointsStandWhereTheirScoresSay() {
        let scores: [Int?] = [8_000, 9_250, nil, 4_990, 10_000]
        let points = scores.enumerated().map { i, h in Charts.Point(label: "Tháng \(i + 7)/2026", tick: "T\(i + 7)/26", hundredths: h) }
        let html = Charts.trend(id: "xh", title: "Điểm các kỳ", points).html
        let dots = matches(#"<circle cx="([0-9.]+)" cy="([0-9.]+)" r="3.5" class="chart-dot" data-value="(\d+)""#, in: html)
        let present = scores.enumerated().compactMap { i, h in h.map { (i, $0) } }
        XCTAssertEqual(dots.map { Int($0[2])! }, present.map(\.1), "a dot for each period with a score")
        for (dot, (i, h)) in zip(dots, present) {
            // Computed here from the plot's frame: 0 points at the bottom, 100 at the top.
            XCTAssertEqual(Double(dot[0])!, 30 + 296 * Double(i) / 4, accuracy: 0.05)
            XCTAssertEqual(Double(dot[1])!, 20 + (1 - Double(h) / 10_000) * 150, accuracy: 0.05)
        }
        // The line breaks where a period has no score: one segment before it (two points); the
        // two after it form the other.
        let lines = matches(#"<polyline class="chart-line" points="([^"]+)""#, in: html).map { $0[0].split(separator: " ").count }
        XCTAssertEqual(lines, [2, 2])
        let cells = matches(#"<tr><th scope="row">([^<]+)</th><td class="num">([^<]+)</td></tr>"#, in: html)
        XCTAssertEqual(cells.map { $0[1] }, ["80,00", "92,50", "—", "49,90", "100,00"])
        XCTAssertTrue(html.contains("Tháng 9/2026: không có điểm"))
    }
}
