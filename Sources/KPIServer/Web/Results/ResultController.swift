import KPICore
import Vapor

/// Kết quả: a period's computed results (/ket-qua) and the explanation of one (/ket-qua/<kỳ>/<mã>).
struct ResultController {
    static func register(_ r: any RoutesBuilder) {
        r.get("ket-qua", use: list).reads(.page, .search, .text("ky", max: 10, "Kỳ"), .text("xep_loai", max: 40, "Xếp loại"))
        r.get("ket-qua", "xuat", use: export).reads(.format, .search, .text("ky", max: 10, "Kỳ"), .text("xep_loai", max: 40,
            "Xếp loại"))
        r.get("ket-qua", ":period", ":person", use: explain)
    }

    static func service(_ req: Request) throws -> ScoreService {
        ScoreService(store: req.store, principal: try req.requirePrincipal())
    }

    static func periodText(_ p: String) -> String {
        PeriodCode(p)?.label ?? p
    }

    /// Said on the results of a period that has not ended: tasks due later still count as open.
    static func provisional(_ period: String) -> HTML {
        guard let p = PeriodCode(period) else { return .empty }
        return HTML("""
            <p class=\"flash\" role=\"status\">Kết quả tạm tính: \(p.label.lowercased()) chưa kết thúc \
            (đến \(p.last.display)); nhiệm vụ \
            chưa đến hạn còn được tính là chưa hoàn thành.</p>
            """)
    }

    /// Lines on one page of the list.
    static let perPage = 100

    static func score(_ h: Int?) -> String { h.map { ScoringEngine.vn(hundredths: $0) } ?? "—" }

    static func model(_ req: Request) async throws -> ResultListModel {
        try await service(req).resultList(period: req.input.text("ky"), search: req.input.text("q"), level: req.input.text("xep_loai"))
    }

    @Sendable static func list(_ req: Request) async throws -> Response {
        let m = try await model(req)
        let myCode: String? = if let id = req.principal?.personID { try await Person.find(id, on: req.db)?.code } else { nil }
        // A page at a time: an agency's list fits on one, the province's is filtered or exported.
        let page = min(req.input.page, max(1, (m.rows.count + perPage - 1) / perPage))
        let body = m.rows.dropFirst((page - 1) * perPage).prefix(perPage).map { r in
            HTML("""
                <tr><td data-label="Người"><a href="/ket-qua/\(m.period)/\(r.code)">\(r.name)</a> (\(r.code))</td>
                <td data-label="Đơn vị">\(r.unit)</td><td data-label="Điểm" class="num">\(score(r.hundredths))</td>
                <td data-label="Xếp loại">\(r.level?.label ?? "Chưa xếp loại")\
                \(HTML.when(r.tie, " <span class=\"badge warn\">đồng điểm</span>"))\
                \(HTML.when(r.approved, " <span class=\"badge ok\">đã phê duyệt</span>"))</td></tr>
                """)
        }
        let exportQuery = Widgets.query(["ky": m.period, "q": m.search, "xep_loai": m.level])
        return req.page(Page(title: "Kết quả đánh giá theo kỳ", breadcrumbs: [("Tổng quan", "/")], body: """
            <p class="hint">Điểm tính tự động từ nhiệm vụ và các tiêu chí của kỳ theo bộ chỉ số đang áp \
            dụng; hạn mức xuất sắc áp dụng \
            theo từng cơ quan. Chọn tên để xem giải trình từng điểm. Kết quả đã phê duyệt mà cơ quan \
            công khai cho mọi người: <a href="\(PublicationController.path)">Kết quả công khai</a>.\
            \(HTML.when(myCode != nil,
                        HTML(" <a href=\"\(HistoryController.path(myCode ?? ""))\">Lịch sử kết quả của tôi</a>.")))\
            \(HTML.when(req.principal.map { $0.canAnywhere(.viewEvaluations) || $0.canAnywhere(.configureFramework) } ?? false,
                        HTML(" <a href=\"\(PersonnelListController.path)\">Danh sách phục vụ công tác cán bộ</a>.")))</p>
            \(m.provisional ? provisional(m.period) : .empty)
            <form method="get" class="filters" role="search">
            \(FormField("ky", "Kỳ", value: m.period, .select(m.periods.map { .init($0, periodText($0)) })).html)
            \(FormField("q", "Tìm", value: m.search, placeholder: "Tên, mã hoặc đơn vị").html)
            \(FormField("xep_loai", "Xếp loại", value: m.level,
                        .select(Level.allCases.map { .init($0.rawValue, $0.label) }, blank: "Tất cả")).html)
            <div class="actions"><button>Lọc</button> <a href="/ket-qua/xuat?\(exportQuery)&dinh_dang=xlsx">Xuất Excel</a> <a \
            href="/ket-qua/xuat?\(exportQuery)&dinh_dang=csv">Xuất CSV</a></div></form>
            <p class="count">\(m.rows.count) người</p>
            \(m.rows.isEmpty ? HTML("<p class=\"empty\">Không có kết quả nào khớp bộ lọc.</p>") : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Người</th><th scope="col">Đơn vị</th><th \
            scope="col">Điểm</th><th scope="col">Xếp loại</th></tr></thead>
            <tbody>\(body)</tbody></table></div>
            \(Widgets.pager(page: page, perPage: perPage, total: m.rows.count) { "/ket-qua?\(exportQuery)&trang=\($0)" })
            """))
            """))
    }

    @Sendable static func export(_ req: Request) async throws -> Response {
        let m = try await model(req)
        let table = [["Kỳ", "Mã", "Họ và tên", "Đơn vị", "Điểm", "Xếp loại", "Bộ chỉ số"]] + m.rows.map { r in
            [periodText(m.period), r.code, r.name, r.unit, score(r.hundredths), r.level?.label ?? "", r.framework]
        }
        return try Download.table(table, name: "ket-qua-\(m.period)", format: req.input.text("dinh_dang").nonEmpty(or: "xlsx"), at: req.now)
    }

    @Sendable static func explain(_ req: Request) async throws -> Response {
        let period = req.parameters.get("period") ?? ""
        let code = req.parameters.get("person") ?? ""
        return req.page(ExplainView.page(try await service(req).explanation(period: period, personCode: code)))
    }
}

/// Giải trình: each indicator, its formula, its inputs and the tasks behind them.
enum ExplainView {
    static func n(_ r: Rational) -> String { ScoringEngine.vn(r) }
    static func exact(_ r: Rational) -> String { DecimalText.vn(r.rounded(places: 4)) }

    static func statusText(_ s: String) -> String {
        ["completed": "Hoàn thành", "open": "Chưa hoàn thành", "cancelled": "Đã hủy"][s] ?? s
    }

    static func page(_ e: Explanation) -> Page {
        switch e.body {
        case .year(let year): return yearPage(e.row, year, period: e.period)
        case .unexplained:
            return Page(title: "Giải trình", body: "<p class=\"empty\">Không giải trình được kết quả này.</p>")
        case .period(let p): return periodPage(e, p)
        }
    }

    static func periodPage(_ e: Explanation, _ p: Explanation.Period) -> Page {
        let (row, period, rules, periodResult) = (e.row, e.period, p.rules, p.result)
        let input = row.input
        let leader = input.leader
        var taskRows: [HTML] = []
        for (i, line) in p.tasks.enumerated() {
            let (t, share) = (line.task, line.share)
            let conversion = """
                \(DecimalText.vn(DecimalText.parse(t.quantity) ?? .zero)) × \
                \(DecimalText.vn(DecimalText.parse(t.factor) ?? .one))\
                \(t.complexityFactor.isEmpty ? ""
                    : " × \(DecimalText.vn(DecimalText.parse(t.complexityFactor) ?? .one)) (\(t.complexity))")
                """
            taskRows.append(HTML("""
                <tr><td data-label="#" class="num">\(i + 1)</td><td data-label="Nhiệm vụ">\(t.title)</td>
                <td data-label="Sản phẩm">\(t.productCode) · \(t.unit)</td>
                <td data-label="Quy đổi" class="num">\(conversion) = \(exact(share.units))</td>
                <td data-label="Trạng thái">\(statusText(t.status))</td>
                <td data-label="Lỗi lớn" class="num">\(t.majorErrors)\(t.exemptErrors > 0 ? " (miễn \(t.exemptErrors))" : "")</td>
                <td data-label="Chậm hạn" class="num">\(t.delays)\(t.exemptDelays > 0 ? " (miễn \(t.exemptDelays))" : "")</td>
                <td data-label="Tính vào U">\(share.counted ? "Có" : "Không")</td>
                <td data-label="Trọng số chất lượng" class="num">\(share.quality.map(exact) ?? "—")</td>
                <td data-label="Trọng số tiến độ" class="num">\(share.timeliness.map(exact) ?? "—")</td></tr>
                """))
        }
        let formula = p.formula
        let abc: HTML = periodResult.a.map { a in
            HTML("""
                <dl class="record">
                <div><dt>U — tổng khối lượng quy đổi được giao</dt><dd>\(exact(periodResult.assignedUnits))</dd></div>
                <div><dt>a — số lượng = 100 × khối lượng hoàn thành ÷ U</dt><dd>\(n(a))</dd></div>
                <div><dt>b — chất lượng = 100 × Σ(khối lượng × trọng số chất lượng) ÷ U</dt>\
                <dd>\(n(periodResult.b ?? .zero))</dd></div>
                <div><dt>c — tiến độ = 100 × Σ(khối lượng × trọng số tiến độ) ÷ U</dt>\
                <dd>\(n(periodResult.c ?? .zero))</dd></div>
                \(leader.map { l in HTML("""
                    <div><dt>d — kết quả hoạt động của đơn vị</dt><dd>\(DecimalText.vn(l.unitResult))%</dd></div><div>\
                    <dt>dd — năng lực tổ \
                    chức triển khai</dt><dd>\(DecimalText.vn(l.organizing))%</dd></div>
                    """) } ?? .empty)
                <div><dt>Công thức điểm nhóm (i)</dt><dd><code>\(formula)</code></dd></div>
                <div><dt>Điểm nhóm (i) (tối đa \(n(rules.taskPoints)))</dt><dd>\
                <strong>\(n(periodResult.taskScore ?? .zero))</strong></dd>\
                </div>
                </dl>
                """)
        } ?? HTML("<p class=\"flash error\">\(periodResult.notes.joined(separator: " "))</p>")
        let generalSection: HTML
        switch p.general {
        case .indicators(let scored):
            // Gathered from the work records: each indicator with how its points were reached.
            let rows = scored.map { i in
                HTML("""
                    <tr><td data-label="Nhóm">\(FrameworkDefinition.groups.first { $0.0 == i.group }
                        .map { String($0.1.prefix { $0 != " " }) } ?? i.group)</td>
                    <td data-label="Chỉ số">\(i.code) — \(i.name)</td><td data-label="Căn cứ">\(i.note)</td>
                    <td data-label="Điểm" class="num">\(n(i.points)) / \(n(i.max))</td></tr>
                    """)
            }
            generalSection = HTML("""
                <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Nhóm</th><th scope="col">Chỉ số</th>
                <th scope="col">Căn cứ</th><th scope="col">Điểm</th></tr></thead><tbody>\(rows)</tbody></table></div>
                """)
        case .groups(let groups, let indicators):
            let items = groups.map { g in
                HTML("""
                    <div><dt>\(g.label) (tối đa \(n(g.max)))</dt>\
                    <dd>\(g.recorded ? n(g.points) : "\(n(g.max)) (không có ghi nhận trừ điểm: đủ điểm)")</dd></div>
                    """)
            }
            let indicatorRows = indicators.map { i in
                HTML("""
                    <li>\(i.code) — \(i.name): tối đa \(DecimalText.vn(DecimalText.parse(i.maxPoints) ?? .zero)) điểm, \
                    \(FrameworkDefinition.methods.first { $0.0 == i.method }?.1.lowercased() ?? i.method)\
                    \(i.parameter.isEmpty ? "" : " (\(i.parameter))")</li>
                    """)
            }
            generalSection = HTML("""
                <dl class="record">
                \(items)
                </dl>
                <p>Các chỉ số của bộ chỉ số cho nhóm (ii)–(iv):</p><ul>\(indicatorRows)</ul>
                """)
        }
        let reasons = row.reasons.map { HTML("<li>\($0)</li>") }
        // Nghỉ theo chế độ cả kỳ: no score to explain, only the tasks that were due.
        let away = p.onLeave
        return Page(title: "Giải trình điểm: \(input.personName)", breadcrumbs: [("Tổng quan", "/"), ("Kết quả",
            "/ket-qua?ky=\(period)")],
                    body: """
            <p>\(input.personName) (\(input.personCode)) · \(input.unitName) · \(ResultController.periodText(period).lowercased()) ·
            \(Catalogs.label(Catalogs.staffKinds, input.staffKind).lowercased()), nhóm vị trí \(input.groupCode)\
            \(leader == nil ? "" : " · lãnh đạo, quản lý")</p>
            \(e.provisional ? ResultController.provisional(period) : .empty)
            \(input.leave.map { HTML("<p class=\"leave-note\">\($0.text)</p>") } ?? .empty)
            <p>Bộ chỉ số: <a href="\(FrameworkController.base(row.framework.id!))">\(row.framework.name) — phiên \
            bản \(row.framework.version)</a></p>
            <section class="panel \
            total">\(away ? HTML("<h2>Tổng điểm kỳ: không đánh giá (nghỉ theo chế độ cả kỳ)</h2>") : HTML("""
            <h2>Tổng điểm kỳ: \(ResultController.score(row.hundredths)) — \(row.level?.label ?? "chưa xếp loại")\
            \(row.official == nil ? "" : " (đã phê duyệt)")</h2>
            <p>= điểm nhóm (i) \(n(periodResult.taskScore ?? .zero)) + tiêu chí chung \(n(periodResult.generalScore)), làm tròn 2 \
            chữ số \
            thập phân.</p>
            """))<ul>\(reasons)</ul></section>
            <h2>(i) Kết quả thực hiện nhiệm vụ</h2>
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">#</th><th scope="col">Nhiệm vụ</th><th \
            scope="col">Sản \
            phẩm</th>
            <th scope="col">Số lượng × hệ số = quy đổi</th><th scope="col">Trạng thái</th><th scope="col">Lỗi lớn</th>\
            <th scope="col">Chậm \
            hạn</th>
            <th scope="col">Tính vào U</th><th scope="col">Trọng số chất lượng</th><th scope="col">Trọng số tiến \
            độ</th></tr></thead>
            <tbody>\(taskRows)</tbody></table></div>
            \(HTML.when(p.fromWorkRecords, """
                <p class=\"hint\">Kỳ đang mở: danh sách nhiệm vụ đọc từ hồ sơ công việc hiện tại; điểm \
                được tính lại tự động sau mỗi thay \
                đổi của hồ sơ.</p>
                """))
            <p class="hint">Trọng số chất lượng = max(0; 1 − \(DecimalText.vn(rules.errorPenalty)) × số lỗi lớn không \
            được miễn); trọng số \
            tiến độ = max(0; 1 − \(DecimalText.vn(rules.delayPenalty)) × số lần chậm).</p>
            \(away ? .empty : abc + HTML("<h2>(ii)–(iv) Tiêu chí chung: \(n(periodResult.generalScore))</h2>") + generalSection)
            <p><button type="button" data-print>In trang này</button></p>
            """)
    }

    /// The year: each period's published result it is the mean of, then the level and its reasons.
    static func yearPage(_ row: ScoreService.Row, _ year: ScoreInputData.YearFacts, period: String) -> Page {
        let input = row.input
        let rows = year.periods.map { p in
            HTML("""
                <tr><td data-label="Kỳ">\(ResultController.periodText(p.code))</td><td data-label="Cơ quan">\(p.agency)</td>
                <td data-label="Điểm" class="num">\(ResultController.score(p.hundredths))</td><td data-label="Xếp \
                loại">\(Level(rawValue: p.level)?.label ?? "—")</td>
                <td data-label="Phiên bản" class="num">\(p.revision)</td><td data-label="Nhiệm vụ đúng hạn" \
                class="num">\(p.onTime)/\(p.tasks)</td>
                <td data-label="Tính vào điểm \
                năm">\(p.hundredths != nil ? "Có"
                    : p.leave == true ? "Không (nghỉ theo chế độ cả kỳ)" : "Không (kỳ không có điểm)")</td>\
                </tr>
                """)
        }
        return Page(title: "Giải trình điểm năm: \(input.personName)", breadcrumbs: [("Tổng quan", "/"), ("Kết quả",
            "/ket-qua?ky=\(period)")], body: """
            <p>\(input.personName) (\(input.personCode)) · \(input.unitName) · \(ResultController.periodText(period).lowercased())</p>
            <p>Bộ chỉ số: <a href="\(FrameworkController.base(row.framework.id!))">\(row.framework.name) — phiên \
            bản \(row.framework.version)</a></p>
            <section class="panel total"><h2>Điểm năm: \(ResultController.score(row.hundredths)) \
            — \(row.level?.label ?? "chưa xếp loại")\
            \(row.official == nil ? "" : " (đã phê duyệt)")</h2>
            <p>= trung bình điểm các kỳ có điểm trong năm (kết quả đã phê duyệt, phiên bản hiện hành), làm \
            tròn 2 chữ số thập phân.</p>
            <ul>\(row.reasons.map { HTML("<li>\($0)</li>") })</ul></section>
            \(year.periods.isEmpty ? HTML("""
                <p class=\"empty\">Chưa có kỳ nào trong năm có kết quả được phê duyệt.</p>
                """) : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Kỳ</th><th scope="col">Cơ quan</th><th \
            scope="col">Điểm</th>
            <th scope="col">Xếp loại</th><th scope="col">Phiên bản</th><th scope="col">Nhiệm vụ đúng hạn</th><th \
            scope="col">Tính vào điểm \
            năm</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """))
            <p><button type="button" data-print>In trang này</button></p>
            """)
    }
}
