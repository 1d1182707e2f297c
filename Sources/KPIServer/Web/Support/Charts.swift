import Foundation
import KPICore

/// Charts drawn on the server as SVG (issue 19, item 3): no script, no library, nothing from a CDN.
/// Each chart has its title, a text alternative that reads out every figure, and the table of the
/// same figures beside it, so it prints, reads on a 360 px phone and is checked number by number
/// (`ChartTests`).
enum Charts {
    /// One category of a bar chart: its label, its count, and a class naming its colour (a level's code).
    struct Bar: Sendable {
        var label: String
        var value: Int
        var tone: String = ""
    }

    /// Width of the drawing in its own units: a phone's width, scaled up on a wider screen.
    static let width = 360.0
    /// The longest bar, leaving room at its end for the figure.
    static let barMax = 240.0
    static let rowHeight = 40.0

    /// One decimal, with a dot: an SVG coordinate.
    static func coordinate(_ x: Double) -> String { String(format: "%.1f", x) }

    /// "1 (50,0%)": a count and its share of `total`.
    static func figure(_ value: Int, of total: Int) -> String {
        total > 0 ? "\(VNNumber.format(value)) (\(share(value, of: total)))" : VNNumber.format(value)
    }

    static func share(_ value: Int, of total: Int) -> String {
        total > 0 ? VNNumber.format(Double(value) * 100 / Double(total), decimals: 1) + "%" : "—"
    }

    /// Horizontal bars, one row per category (label above its bar, so long Vietnamese labels fit a
    /// phone), each with its count and share of the whole; the table below repeats them.
    /// `id` makes the chart's element ids unique on its page; `unit` names what is counted ("Số người").
    static func bars(id: String, title: String, unit: String, _ bars: [Bar]) -> HTML {
        let total = bars.reduce(0) { $0 + max($1.value, 0) }
        let largest = max(bars.map(\.value).max() ?? 0, 1)
        let height = rowHeight * Double(bars.count) + 4
        let rows = bars.enumerated().map { i, b in
            let top = rowHeight * Double(i)
            let length = Double(max(b.value, 0)) / Double(largest) * barMax
            return HTML("""
                <g><text x="0" y="\(coordinate(top + 13))" class="chart-label">\(b.label)</text>\
                <rect x="0" y="\(coordinate(top + 19))" width="\(coordinate(length))" height="14" \
                class="chart-bar \(b.tone)" data-value="\(b.value)"></rect>\
                <text x="\(coordinate(length + 6))" y="\(coordinate(top + 31))" class="chart-value">\(figure(b.value, of: total))</text></g>
                """)
        }
        let spoken = bars.map { "\($0.label): \(figure($0.value, of: total))" }.joined(separator: "; ")
        let cells = bars.map { b in
            HTML("""
                <tr><th scope="row">\(b.label)</th><td class="num">\(VNNumber.format(b.value))</td>\
                <td class="num">\(share(b.value, of: total))</td></tr>
                """)
        }
        return HTML("""
            <figure class="chart" id="\(id)"><figcaption id="\(id)-tieu-de">\(title)</figcaption>\
            <svg viewBox="0 0 \(coordinate(width)) \(coordinate(height))" role="img" aria-labelledby="\(id)-tieu-de \(id)-mo-ta" \
            class="chart-bars"><title>\(title)</title><desc id="\(id)-mo-ta">\(unit) — \(spoken). Tổng: \
            \(VNNumber.format(total)).</desc>\(rows)</svg>
            <table class="chart-data"><caption>Số liệu của biểu đồ</caption><thead><tr><th scope="col">Mục</th>\
            <th scope="col" class="num">\(unit)</th><th scope="col" class="num">Tỷ lệ</th></tr></thead><tbody>\(cells)</tbody>\
            <tfoot><tr><th scope="row">Tổng</th><td class="num">\(VNNumber.format(total))</td>\
            <td class="num">\(total > 0 ? "100%" : "—")</td></tr></tfoot></table></figure>
            """)
    }

    /// One point of a trend: a period and its score in hundredths (nil: no score, the line breaks).
    struct Point: Sendable {
        var label: String
        /// Short label under the axis ("T7/26").
        var tick: String
        var hundredths: Int?
    }

    /// The plot of a trend: its left edge, width, top and height in the drawing's units.
    static let plot = (left: 30.0, width: 296.0, top: 20.0, height: 150.0)

    /// Where a score of `hundredths` (0–100 points) stands on the plot.
    static func y(_ hundredths: Int) -> Double {
        plot.top + (1 - Double(min(max(hundredths, 0), 10_000)) / 10_000) * plot.height
    }

    static func x(_ i: Int, of n: Int) -> Double {
        n <= 1 ? plot.left + plot.width / 2 : plot.left + plot.width * Double(i) / Double(n - 1)
    }

    /// A score over periods: the line through the scores (broken where a period has none), a dot on each,
    /// the baseline and the thresholds of the levels (50, 70, 90 points) as guides; the table of the
    /// same figures below.
    static func trend(id: String, title: String, _ points: [Point]) -> HTML {
        let n = points.count
        let height = plot.top + plot.height + 34
        var segments: [[(Double, Double)]] = [[]]
        for (i, p) in points.enumerated() {
            if let h = p.hundredths { segments[segments.count - 1].append((x(i, of: n), y(h))) } else if !segments.last!.isEmpty {
                segments.append([])
            }
        }
        let lines = segments.filter { $0.count > 1 }.map { s in
            let list = s.map { "\(coordinate($0.0)),\(coordinate($0.1))" }.joined(separator: " ")
            return HTML("<polyline class=\"chart-line\" points=\"\(list)\"></polyline>")
        }
        let dots = points.enumerated().compactMap { i, p in
            p.hundredths.map { h in
                HTML("""
                    <circle cx="\(coordinate(x(i, of: n)))" cy="\(coordinate(y(h)))" r="3.5" class="chart-dot" \
                    data-value="\(h)"><title>\(p.label): \(ScoringEngine.vn(hundredths: h))</title></circle>
                    """)
            }
        }
        // At most about twelve ticks fit a phone: every k-th period is named.
        let every = max(1, (n + 11) / 12)
        let ticks = points.enumerated().filter { $0.offset % every == 0 }.map { i, p in
            HTML("""
                <text x="\(coordinate(x(i, of: n)))" y="\(coordinate(plot.top + plot.height + 16))" class="chart-tick" \
                text-anchor="middle">\(p.tick)</text>
                """)
        }
        let guides = [0, 5_000, 7_000, 9_000].map { h in
            HTML("""
                <line x1="\(coordinate(plot.left))" x2="\(coordinate(plot.left + plot.width))" y1="\(coordinate(y(h)))" \
                y2="\(coordinate(y(h)))" class="chart-guide"></line><text x="0" y="\(coordinate(y(h) + 4))" \
                class="chart-tick">\(h / 100)</text>
                """)
        }
        let spoken = points.map { "\($0.label): \($0.hundredths.map { ScoringEngine.vn(hundredths: $0) } ?? "không có điểm")" }
            .joined(separator: "; ")
        let cells = points.map { p in
            HTML("""
                <tr><th scope="row">\(p.label)</th>\
                <td class="num">\(p.hundredths.map { ScoringEngine.vn(hundredths: $0) } ?? "—")</td></tr>
                """)
        }
        return HTML("""
            <figure class="chart" id="\(id)"><figcaption id="\(id)-tieu-de">\(title)</figcaption>\
            <svg viewBox="0 0 \(coordinate(width)) \(coordinate(height))" role="img" aria-labelledby="\(id)-tieu-de \(id)-mo-ta" \
            class="chart-trend"><title>\(title)</title><desc id="\(id)-mo-ta">Điểm theo kỳ — \(spoken).</desc>\
            <text x="0" y="10" class="chart-tick">Điểm</text>\(guides)\(lines)\(dots)\(ticks)\
            <text x="\(coordinate(width))" y="\(coordinate(height - 2))" class="chart-tick" text-anchor="end">Kỳ</text></svg>
            <table class="chart-data"><caption>Số liệu của biểu đồ</caption><thead><tr><th scope="col">Kỳ</th>\
            <th scope="col" class="num">Điểm</th></tr></thead><tbody>\(cells)</tbody></table></figure>
            """)
    }

    /// The four levels of a distribution, best first, as bars.
    static func levels(_ counts: [(Level, Int)]) -> [Bar] {
        counts.map { Bar(label: $0.0.label, value: $0.1, tone: "level-\($0.0.rawValue)") }
    }
}
