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

    /// One decimal, with a dot: an SVG coordinate. Printed from whole tenths, not through
    /// `String(format:)` (a chart prints hundreds of them; formatting was a tenth of the home page's time).
    static func coordinate(_ x: Double) -> String {
        let tenths = (x * 10).rounded(.toNearestOrEven)
        guard tenths.isFinite, abs(tenths) < 1e15 else { return "0.0" }
        let t = Int(tenths)
        return (t < 0 ? "-" : "") + "\(abs(t) / 10).\(abs(t) % 10)"
    }

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

    // MARK: Several groups side by side

    /// One group of a comparison (a unit, an agency): its name and figures.
    struct Group: Sendable {
        var label: String
        var summary: ScoreSummary
    }

    /// The x of `hundredths` (0–100 points) on a comparison's scale.
    static func scaleX(_ hundredths: Int) -> Double {
        Double(min(max(hundredths, 0), 10_000)) / 10_000 * scale.width
    }

    /// The common scale of boxes and stacked bars: from the drawing's left edge, `width` long.
    static let scale = (width: 340.0, rowHeight: 40.0)

    /// Tỷ lệ xếp loại: one bar per group, as long as the scale, cut into the shares of the four levels
    /// (best first) of those with a level; the table gives each count and share.
    static func stacked(id: String, title: String, _ groups: [Group]) -> HTML {
        let height = scale.rowHeight * Double(groups.count) + 24
        var rows: [HTML] = []
        var spoken: [String] = []
        for (i, g) in groups.enumerated() {
            let top = scale.rowHeight * Double(i)
            let total = Level.allCases.reduce(0) { $0 + g.summary.count($1) }
            var x = 0.0
            var parts: [HTML] = []
            for level in Level.allCases {
                let n = g.summary.count(level)
                guard total > 0, n > 0 else { continue }
                let w = Double(n) / Double(total) * scale.width
                parts.append(HTML("""
                    <rect x="\(coordinate(x))" y="\(coordinate(top + 19))" width="\(coordinate(w))" height="14" \
                    class="chart-bar level-\(level.rawValue)" data-level="\(level.rawValue)" data-value="\(n)"><title>\(level.label): \
                    \(figure(n, of: total))</title></rect>
                    """))
                x += w
            }
            rows.append(HTML("""
                <g><text x="0" y="\(coordinate(top + 13))" class="chart-label">\(g.label)\(total == 0 ? " — chưa có xếp loại" : "")\
                </text>\(parts)</g>
                """))
            let shares = Level.allCases.map { "\($0.label) \(figure(g.summary.count($0), of: total))" }.joined(separator: ", ")
            spoken.append("\(g.label): " + (total == 0 ? "chưa có xếp loại" : shares))
        }
        let legend = Level.allCases.enumerated().map { i, level in
            HTML("""
                <rect x="\(coordinate(Double(i) * 85))" y="\(coordinate(height - 12))" width="10" height="10" \
                class="chart-bar level-\(level.rawValue)"></rect><text x="\(coordinate(Double(i) * 85 + 13))" \
                y="\(coordinate(height - 3))" class="chart-tick">\(level.rawValue)</text>
                """)
        }
        let cells = groups.map { g in
            let total = Level.allCases.reduce(0) { $0 + g.summary.count($1) }
            let counts = Level.allCases.map { HTML("<td class=\"num\">\(figure(g.summary.count($0), of: total))</td>") }
            return HTML("<tr><th scope=\"row\">\(g.label)</th>\(counts)<td class=\"num\">\(VNNumber.format(total))</td></tr>")
        }
        let head = Level.allCases.map { HTML("<th scope=\"col\" class=\"num\">\($0.label)</th>") }
        return HTML("""
            <figure class="chart" id="\(id)"><figcaption id="\(id)-tieu-de">\(title)</figcaption>\
            <svg viewBox="0 0 \(coordinate(width)) \(coordinate(height))" role="img" aria-labelledby="\(id)-tieu-de \(id)-mo-ta" \
            class="chart-stacked"><title>\(title)</title><desc id="\(id)-mo-ta">Tỷ lệ xếp loại — \
            \(spoken.joined(separator: "; ")).\
            </desc>\(rows)\(legend)</svg>
            <div class="table-wrap"><table class="chart-data"><caption>Số liệu của biểu đồ (số người, tỷ lệ)</caption>\
            <thead><tr>\
            <th scope="col">Nhóm</th>\(head)<th scope="col" class="num">Có xếp loại</th></tr></thead><tbody>\(cells)</tbody>\
            </table></div></figure>
            """)
    }

    /// Độ phân tán điểm: one box per group on the 0–100 scale — the whisker from the lowest to the
    /// highest score, the box from the first to the third quartile, a stroke at the median; a group
    /// without a score is named and left empty. The table gives the five numbers and how many people.
    static func boxes(id: String, title: String, _ groups: [Group]) -> HTML {
        let height = scale.rowHeight * Double(groups.count) + 26
        var rows: [HTML] = []
        var spoken: [String] = []
        func score(_ h: Int?) -> String { h.map { ScoringEngine.vn(hundredths: $0) } ?? "—" }
        for (i, g) in groups.enumerated() {
            let top = scale.rowHeight * Double(i)
            let s = g.summary
            guard let lo = s.minimum, let q1 = s.quantile(0.25), let med = s.median, let q3 = s.quantile(0.75), let hi = s.maximum else {
                rows.append(HTML("""
                    <text x="0" y="\(coordinate(top + 13))" class="chart-label">\(g.label) — không có điểm</text>
                    """))
                spoken.append("\(g.label): không có điểm")
                continue
            }
            let mid = top + 26
            rows.append(HTML("""
                <g data-min="\(lo)" data-q1="\(q1)" data-median="\(med)" data-q3="\(q3)" data-max="\(hi)">\
                <text x="0" y="\(coordinate(top + 13))" class="chart-label">\(g.label)</text>\
                <line x1="\(coordinate(scaleX(lo)))" x2="\(coordinate(scaleX(hi)))" y1="\(coordinate(mid))" y2="\(coordinate(mid))" \
                class="chart-whisker"></line>\
                <rect x="\(coordinate(scaleX(q1)))" y="\(coordinate(mid - 7))" width="\(coordinate(scaleX(q3) - scaleX(q1)))" height="14" \
                class="chart-box-iqr"></rect>\
                <line x1="\(coordinate(scaleX(med)))" x2="\(coordinate(scaleX(med)))" y1="\(coordinate(mid - 7))" \
                y2="\(coordinate(mid + 7))" class="chart-median"></line></g>
                """))
            spoken.append("""
                \(g.label): thấp nhất \(score(lo)), tứ phân vị thứ nhất \(score(q1)), trung vị \(score(med)), \
                tứ phân vị thứ ba \(score(q3)), cao nhất \(score(hi)), \(s.scored) người
                """)
        }
        let ticks = [0, 5_000, 7_000, 9_000, 10_000].map { h in
            HTML("""
                <text x="\(coordinate(scaleX(h)))" y="\(coordinate(height - 4))" class="chart-tick" text-anchor="middle">\
                \(h / 100)</text>
                """)
        }
        let cells = groups.map { g in
            let s = g.summary
            let five = [s.minimum, s.quantile(0.25), s.median, s.quantile(0.75), s.maximum]
                .map { HTML("<td class=\"num\">\(score($0))</td>") }
            return HTML("<tr><th scope=\"row\">\(g.label)</th>\(five)<td class=\"num\">\(VNNumber.format(s.scored))</td></tr>")
        }
        return HTML("""
            <figure class="chart" id="\(id)"><figcaption id="\(id)-tieu-de">\(title)</figcaption>\
            <svg viewBox="0 0 \(coordinate(width)) \(coordinate(height))" role="img" aria-labelledby="\(id)-tieu-de \(id)-mo-ta" \
            class="chart-boxes"><title>\(title)</title><desc id="\(id)-mo-ta">Độ phân tán điểm (thang 0–100) — \
            \(spoken.joined(separator: "; ")).</desc>\(rows)\(ticks)</svg>
            <div class="table-wrap"><table class="chart-data"><caption>Số liệu của biểu đồ (điểm)</caption><thead><tr>\
            <th scope="col">Nhóm</th><th scope="col" class="num">Thấp nhất</th><th scope="col" class="num">Tứ phân vị 1</th>\
            <th scope="col" class="num">Trung vị</th><th scope="col" class="num">Tứ phân vị 3</th>\
            <th scope="col" class="num">Cao nhất</th><th scope="col" class="num">Số người có điểm</th></tr></thead>\
            <tbody>\(cells)</tbody></table></div></figure>
            """)
    }

    /// The band of a mean score on a heat map (the levels' thresholds: 90, 70, 50 points).
    static func band(_ h: Int?) -> String {
        guard let h else { return "heat-none" }
        return h >= 9_000 ? "heat-a" : h >= 7_000 ? "heat-b" : h >= 5_000 ? "heat-c" : "heat-d"
    }

    /// Bản đồ nhiệt: groups × periods, each cell the group's mean score in that period, shaded by band
    /// (≥ 90, ≥ 70, ≥ 50, below; empty: no score); the table gives every mean.
    static func heat(id: String, title: String, columns: [(label: String, tick: String)], _ rows: [(label: String, means: [Int?])])
        -> HTML {
        let cols = max(columns.count, 1)
        let cell = scale.width / Double(cols)
        let height = scale.rowHeight * Double(rows.count) + 18
        var drawn: [HTML] = []
        var spoken: [String] = []
        for (i, r) in rows.enumerated() {
            let top = scale.rowHeight * Double(i)
            let cells = r.means.prefix(cols).enumerated().map { j, h in
                HTML("""
                    <rect x="\(coordinate(Double(j) * cell))" y="\(coordinate(top + 17))" width="\(coordinate(cell - 1))" height="18" \
                    class="chart-heat \(band(h))" data-value="\(h.map(String.init) ?? "")"><title>\(columns[j].label): \
                    \(h.map { ScoringEngine.vn(hundredths: $0) } ?? "không có điểm")</title></rect>
                    """)
            }
            drawn.append(HTML("<g><text x=\"0\" y=\"\(coordinate(top + 13))\" class=\"chart-label\">\(r.label)</text>\(cells)</g>"))
            let means = zip(columns, r.means).map { "\($0.0.label) \($0.1.map { ScoringEngine.vn(hundredths: $0) } ?? "—")" }
            spoken.append("\(r.label): " + means.joined(separator: ", "))
        }
        let every = max(1, (cols + 5) / 6)
        let ticks = columns.enumerated().filter { $0.offset % every == 0 }.map { j, c in
            HTML("""
                <text x="\(coordinate(Double(j) * cell + cell / 2))" y="\(coordinate(height - 3))" class="chart-tick" \
                text-anchor="middle">\(c.tick)</text>
                """)
        }
        let head = columns.map { HTML("<th scope=\"col\" class=\"num\">\($0.tick)</th>") }
        let cells = rows.map { r in
            let tds = r.means.map { HTML("<td class=\"num \(band($0))\">\(ResultController.score($0))</td>") }
            return HTML("<tr><th scope=\"row\">\(r.label)</th>\(tds)</tr>")
        }
        return HTML("""
            <figure class="chart" id="\(id)"><figcaption id="\(id)-tieu-de">\(title)</figcaption>\
            <svg viewBox="0 0 \(coordinate(width)) \(coordinate(height))" role="img" aria-labelledby="\(id)-tieu-de \(id)-mo-ta" \
            class="chart-heatmap"><title>\(title)</title><desc id="\(id)-mo-ta">Điểm trung bình theo kỳ — \
            \(spoken.joined(separator: "; ")). Màu: từ 90 điểm, từ 70, từ 50, dưới 50.</desc>\(drawn)\(ticks)</svg>
            <div class="table-wrap"><table class="chart-data"><caption>Số liệu của biểu đồ (điểm trung bình)</caption>\
            <thead><tr>\
            <th scope="col">Nhóm</th>\(head)</tr></thead><tbody>\(cells)</tbody></table></div></figure>
            """)
    }

    /// The four levels of a distribution, best first, as bars.
    static func levels(_ counts: [(Level, Int)]) -> [Bar] {
        counts.map { Bar(label: $0.0.label, value: $0.1, tone: "level-\($0.0.rawValue)") }
    }
}
