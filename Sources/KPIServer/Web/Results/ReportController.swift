import Fluent
import Foundation
import KPICore
import Vapor

/// Báo cáo (`/bao-cao`, issue 19 item 2): the province by agency, an agency by unit, a unit by its units
/// and people, for a period or a range of months, with filters, each figure against the period before;
/// Excel/CSV with the same figures; prints on A4.
enum ReportController {
    static func register(_ r: any RoutesBuilder) {
        r.get("bao-cao", use: page).reads(.format, .unitCode, .text("ky", max: 10, "Kỳ"), .text("tu_ky", max: 10, "Từ tháng"),
                                         .text("den_ky", max: 10, "Đến tháng"),
                                         .choice("khoi", Catalogs.blocks.map(\.code), "Khối"),
                                         .choice("cap", Catalogs.levels.map(\.code), "Cấp"),
                                         .choice("loai", Catalogs.staffKinds.map(\.code), "Loại cán bộ"),
                                         .text("nhom", max: 40, "Nhóm vị trí việc làm"),
                                         .choice("chi_tiet", ["nguoi"], "Chi tiết"))
    }

    /// The longest range of months a report adds up.
    static let maxMonths = 24

    static let header = ["Cơ quan, đơn vị", "Số người", "Tham gia", "Nhiệm vụ", "Hoàn thành", "Đúng hạn",
                         "Sản phẩm quy đổi", "Điểm trung bình", "Trung vị", "Xuất sắc", "Tốt", "Hoàn thành NV",
                         "Không hoàn thành", "Tỷ lệ xuất sắc", "Kiến nghị", "Kết quả được sửa",
                         "Số người kỳ trước",
                         "Điểm trung bình kỳ trước", "Hoàn thành kỳ trước"]

    static func cells(_ l: ReportService.Line) -> [String] {
        let s = l.summary, p = l.previous, f = HomeController.figures(s)
        return [l.name] + f.work + [ScoringEngine.vn(hundredths: s.work.unitsAssigned)] + f.scores
            + [s.people > 0 ? Charts.share(s.count(.excellent), of: s.people) : "—", VNNumber.format(l.complaints),
               VNNumber.format(l.corrections), VNNumber.format(p.people), ResultController.score(p.meanHundredths),
               HomeController.percent(p.completionTenths)]
    }

    /// "+1,25" / "−0,50": the change of a figure in hundredths (or tenths of a point of percent), nil when either is missing.
    static func delta(_ now: Int?, _ before: Int?, tenths: Bool = false) -> String? {
        guard let now, let before else { return nil }
        let d = now - before
        let text = tenths ? VNNumber.format(scaled: abs(d), decimals: 1) : ScoringEngine.vn(hundredths: abs(d))
        return (d > 0 ? "+" : d < 0 ? "−" : "±") + text
    }

    static func query(_ req: Request, available: [PeriodCode]) throws -> ReportService.Query {
        let from = PeriodCode(req.input.text("tu_ky")), to = PeriodCode(req.input.text("den_ky"))
        var periods: [PeriodCode]
        if let from, let to, from.kind == .month, to.kind == .month {
            periods = PeriodCode.months(from: from, through: to, limit: maxMonths + 1)
            guard periods.count <= maxMonths else {
                throw Abort(.badRequest, reason: "Khoảng thời gian dài quá \(maxMonths) tháng: hãy chọn khoảng ngắn hơn.")
            }
        } else if let one = PeriodCode(req.input.text("ky")) {
            periods = [one]
        } else {
            periods = available.first.map { [$0] } ?? []
        }
        let node = req.input.text("don_vi")
        return ReportService.Query(periods: periods.sorted(), node: node.isEmpty ? nil : node, block: req.input.text("khoi"),
                                   level: req.input.text("cap"), staffKind: req.input.text("loai"), group: req.input.text("nhom"))
    }

    @Sendable static func page(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        guard Area.reports.isOpen(to: p) else { throw Abort(.forbidden, reason: Principal.refusal) }
        // Stored figures only: read from the replica when there is one (`KPI_READ_DATABASE_URL`).
        return try await req.reading { store, source in try await page(req, p, store: store, source: source) }
    }

    static func page(_ req: Request, _ p: Principal, store: Store, source: ReadSource) async throws -> Response {
        let svc = ReportService(store: store, principal: p)
        // The periods with stored figures in the viewer's scopes, months first of each newest. Reports read
        // stored figures only, so what they show is kept until this process writes anything, and at most a
        // minute for another process's writes (ChangeCounter), like the unit board: twenty leaders opening
        // the province's report count it once (bench/reports).
        let (db, scopes) = (store.db, svc.scopes)
        let scopesKey = store.keyPrefix + scopes.joined(separator: ",")
        let available = try await store.changes.cached("bao-cao-ky|" + scopesKey, now: req.now, maxAge: 60, serveStale: true) {
            try await ScoreAggregates.periods(db, under: scopes)
        }
        let q = try query(req, available: available)
        if req.input.text("chi_tiet") == "nguoi", !req.input.text("dinh_dang").isEmpty {
            // Every person's result: streamed, a few units at a time (the province is 80 000 rows).
            let export = try await svc.everyone(q, actor: req.actor)
            return Download.stream(name: "ket-qua-tung-nguoi-\(q.node ?? "toan-tinh")-\(q.periods.first?.text ?? "")",
                                   format: req.input.text("dinh_dang"), at: req.now, header: ReportService.everyoneHeader,
                                   logger: req.logger) { emit in
                try await export.rows { try await emit($0) }
            }
        }
        let periodLabel = ReportService.label(q.periods)
        if !req.input.text("dinh_dang").isEmpty {
            let report = try await svc.report(q)
            var table = [header] + report.lines.map(cells)
            if report.lines.count > 1 { table.append(cells(report.total)) }
            if !report.people.isEmpty {
                table.append([])
                table.append(["Mã", "Họ và tên", "Kỳ", "Điểm", "Xếp loại", "Nhiệm vụ", "Hoàn thành", "Đúng hạn"])
                table += report.people.map { person in
                    [person.code, person.name, PeriodCode(person.period)?.label ?? person.period, ResultController.score(person.hundredths),
                     person.level?.label ?? "", VNNumber.format(person.facts.tasks), person.facts.completed.map(VNNumber.format) ?? "—",
                     VNNumber.format(person.facts.onTime)]
                }
            }
            let name = "bao-cao-\(q.node ?? "toan-tinh")-\(q.periods.first?.text ?? "")"
            return try Download.table(table, name: name, format: req.input.text("dinh_dang"), at: req.now)
        }
        let fairness = FairnessService(store: store, principal: p).scopes.joined(separator: ",")
        let key = "bao-cao|\(scopesKey)|\(fairness)|\(req.url.query ?? "")"
        let (title, html) = try await store.changes.cached(key, now: req.now, maxAge: 60, serveStale: true) {
            let report = try await svc.report(q)
            return ("Báo cáo: \(report.nodeName)", source.notice + body(req, report, available: available, periodLabel: periodLabel))
        }
        return req.page(Page(title: title, breadcrumbs: [("Tổng quan", "/")], body: html))
    }

    /// The report's charts: the levels of the whole, their shares line by line, the spread of scores line by
    /// line, and for a range of months the mean of each line month by month. At most 30 lines are drawn; the
    /// table above holds them all.
    static func charts(_ r: ReportService.Report, periodLabel: String) -> HTML {
        let groups = r.lines.prefix(30).map { Charts.Group(label: $0.name, summary: $0.summary) }
        let by = r.query.node == nil ? "cơ quan" : "đơn vị"
        var html = Charts.bars(id: "xep-loai-bao-cao", title: "Xếp loại \(periodLabel.lowercased()) — \(r.nodeName)",
                               unit: "Số người", Charts.levels(Level.allCases.map { ($0, r.total.summary.count($0)) }))
        guard r.lines.count > 1 || r.query.periods.count > 1 else { return html }
        html = html + Charts.stacked(id: "ty-le-xep-loai", title: "Tỷ lệ xếp loại theo \(by)", groups)
        html = html + Charts.boxes(id: "phan-tan-diem", title: "Độ phân tán điểm theo \(by)", groups)
        if r.query.periods.count > 1 {
            let columns = r.query.periods.map { (label: $0.label, tick: HistoryController.tick($0)) }
            let rows = r.lines.prefix(30).map { l in
                (label: l.name, means: r.query.periods.map { l.byPeriod[$0.text]?.meanHundredths })
            }
            html = html + Charts.heat(id: "ban-do-nhiet", title: "Điểm trung bình theo tháng", columns: columns, rows)
        }
        return HTML("<details class=\"chart-box\" open><summary>Biểu đồ</summary>\(html)</details>")
    }

    static func link(_ req: Request, node: String?) -> String {
        var items: [URLQueryItem] = []
        for name in ["ky", "tu_ky", "den_ky", "khoi", "cap", "loai", "nhom"] where !req.input.text(name).isEmpty {
            items.append(URLQueryItem(name: name, value: req.input.text(name)))
        }
        if let node { items.append(URLQueryItem(name: "don_vi", value: node)) }
        var c = URLComponents()
        c.queryItems = items
        return "/bao-cao" + (items.isEmpty ? "" : "?" + (c.percentEncodedQuery ?? ""))
    }

    static func body(_ req: Request, _ r: ReportService.Report, available: [PeriodCode], periodLabel: String) -> HTML {
        let q = r.query
        let periodOptions = available.prefix(60).map { ($0.text, $0.label) }
        let months = [("", "—")] + available.filter { $0.kind == .month }.map { ($0.text, $0.label) }
        func any(_ choices: [Choice]) -> [FormField.Option] {
            FormField.options([("", "Tất cả")] + choices.map { ($0.code, $0.label) })
        }
        let filters = HTML("""
            <form method="get" class="filters" role="search">\
            \(HTML.when(q.node != nil, HTML("<input type=\"hidden\" name=\"don_vi\" value=\"\(q.node ?? "")\">")))
            \(FormField("ky", "Kỳ", value: req.input.text("ky").isEmpty ? (q.periods.count == 1 ? q.periods[0].text : "")
                        : req.input.text("ky"), .select(FormField.options(periodOptions))).html)
            \(FormField("tu_ky", "Hoặc từ tháng", value: req.input.text("tu_ky"), .select(FormField.options(months))).html)
            \(FormField("den_ky", "đến tháng", value: req.input.text("den_ky"), .select(FormField.options(months))).html)
            \(FormField("khoi", "Khối", value: q.block, .select(any(Catalogs.blocks))).html)
            \(FormField("cap", "Cấp", value: q.level, .select(any(Catalogs.levels))).html)
            \(FormField("loai", "Loại cán bộ", value: q.staffKind,
                        .select(any(Catalogs.staffKinds))).html)
            \(FormField("nhom", "Mã nhóm vị trí", value: q.group).html)
            <div class="actions"><button>Xem báo cáo</button> <a href="\(link(req, node: q.node))&dinh_dang=xlsx">Xuất Excel</a> \
            <a href="\(link(req, node: q.node))&dinh_dang=csv">Xuất CSV</a> \
            <a href="\(link(req, node: q.node))&chi_tiet=nguoi&dinh_dang=xlsx">Kết quả từng người (Excel)</a> \
            <a href="\(link(req, node: q.node))&chi_tiet=nguoi&dinh_dang=csv">Kết quả từng người (CSV)</a> \
            <button type="button" data-print>In (A4)</button></div>\
            </form>
            """)
        let trail = r.trail.map { t in HTML("<a href=\"\(link(req, node: t.1))\">\(t.0)</a> › ") }
        guard !q.periods.isEmpty else {
            return filters + HTML("<p class=\"empty\">Chưa có kỳ nào được tính điểm trong phạm vi của bạn.</p>")
        }
        let head = header.prefix(16).map { HTML("<th scope=\"col\">\($0)</th>") }
        func row(_ l: ReportService.Line, total: Bool = false) -> HTML {
            let c = cells(l)
            let name: HTML = total ? HTML("<th scope=\"row\">\(c[0])</th>")
                : l.drill.map { HTML("<th scope=\"row\"><a href=\"\(link(req, node: $0))\">\(c[0])</a></th>") }
                ?? HTML("<th scope=\"row\">\(c[0])</th>")
            var tds: [HTML] = []
            for i in 1..<16 {
                var extra = ""
                if i == 7, let d = delta(l.summary.meanHundredths, l.previous.meanHundredths) { extra = " (\(d))" }
                if i == 4, let d = delta(l.summary.completionTenths, l.previous.completionTenths, tenths: true) { extra = " (\(d))" }
                let change = HTML.when(!extra.isEmpty, HTML("<small>\(extra)</small>"))
                tds.append(HTML("<td data-label=\"\(header[i])\" class=\"num\">\(c[i])\(change)</td>"))
            }
            return HTML("<tr\(HTML.when(total, " class=\"total\""))>\(name)\(tds)</tr>")
        }
        let body = r.lines.map { row($0) } + (r.lines.count > 1 ? [row(r.total, total: true)] : [])
        let charts = self.charts(r, periodLabel: periodLabel)
        let people = r.people.map { person in
            HTML("""
                <tr><td data-label="Mã">\(person.code)</td><th scope="row"><a href="/ket-qua/\(person.period)/\(person.code)">\
                \(person.name)</a></th><td data-label="Kỳ">\(PeriodCode(person.period)?.label ?? person.period)</td>\
                <td data-label="Điểm" class="num">\(ResultController.score(person.hundredths))</td>\
                <td data-label="Xếp loại">\(person.level?.label ?? "")</td>\
                <td data-label="Nhiệm vụ" class="num">\(VNNumber.format(person.facts.tasks))</td>\
                <td data-label="Hoàn thành" class="num">\(person.facts.completed.map(VNNumber.format) ?? "—")</td>\
                <td data-label="Đúng hạn" class="num">\(VNNumber.format(person.facts.onTime))</td></tr>
                """)
        }
        let t = r.total.summary
        let rangeNote = q.periods.count > 1
            ? " (\(q.periods.count) tháng cộng lại: mỗi người tính một lần mỗi tháng)" : ""
        return HTML("""
            \(filters)
            <p class="trail">\(trail)<strong>\(r.nodeName)</strong></p>
            <p>\(periodLabel)\(rangeNote): \(VNNumber.format(t.people)) lượt người có kết quả, tham gia \
            \(HomeController.percent(t.participationTenths)), \
            hoàn thành \(HomeController.percent(t.completionTenths)), đúng hạn \(HomeController.percent(t.onTimeTenths)), điểm \
            trung bình \(ResultController.score(t.meanHundredths)), trung vị \(ResultController.score(t.median)). So sánh với \
            \(r.previousLabel.isEmpty ? "kỳ trước" : r.previousLabel.lowercased()): trong ngoặc là mức tăng, giảm. \
            Kỳ đã phê duyệt tính theo kết quả chính thức (phiên bản hiện hành); kỳ chưa phê duyệt \
            tính theo điểm tạm tính đã lưu.</p>
            \(r.lines.isEmpty ? HTML("<p class=\"empty\">Không có số liệu nào khớp bộ lọc trong phạm vi.</p>") : HTML("""
            <div class="table-wrap"><table class="list report"><caption>\(periodLabel) — \(r.nodeName)</caption>\
            <thead><tr>\(head)</tr></thead><tbody>\(body)</tbody></table></div>
            """))
            \(HTML.when(t.people > 0, charts))
            \(HTML.when(!r.people.isEmpty, HTML("""
            <div class="table-wrap"><table class="list"><caption>Cán bộ trực tiếp tại \(r.nodeName)</caption><thead><tr>\
            <th scope="col">Mã</th><th scope="col">Họ và tên</th><th scope="col">Kỳ</th><th scope="col" class="num">Điểm</th>\
            <th scope="col">Xếp loại</th><th scope="col" class="num">Nhiệm vụ</th><th scope="col" class="num">Hoàn thành</th>\
            <th scope="col" class="num">Đúng hạn</th></tr></thead><tbody>\(people)</tbody></table></div>
            """)))
            <p><a href="/bao-cao/cong-tac-can-bo">Danh sách phục vụ công tác cán bộ</a> · \
            <a href="\(PilotReviewController.path)">Báo cáo sơ kết thí điểm</a>\
            \(HTML.when(!FairnessService(store: req.store, principal: req.principal!).scopes.isEmpty,
                       HTML(" · <a href=\"\(FairnessController.path)\">Phân tích công bằng</a>")))</p>
            """)
    }
}
