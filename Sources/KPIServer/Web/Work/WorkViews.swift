import Fluent
import KPICore
import Vapor

/// Pages of the work lists: tabs, filters, the list itself, the unit board, the calendar, the form.
enum WorkViews {
    static func date(_ iso: String) -> String { DateOnly(parsing: iso)?.display ?? "" }

    static func verdictLabel(_ v: String) -> String {
        ["dat": "Đạt", "chua-dat": "Chưa đạt", "mien-tru": "Chưa đạt (nguyên nhân khách quan, miễn trừ)"][v] ?? ""
    }

    static func stateBadge(_ state: String, warning: DeadlineWarning?) -> HTML {
        let s = TaskState(rawValue: state)
        let cls = switch s {
        case .completed: "ok"
        case .cancelled, .declined: "off"
        default: "open"
        }
        let warn: HTML = warning.map { w in
            HTML(" <span class=\"badge \(w == .overdue ? "late" : "warn")\">\(w == .overdue ? "⚠ " : "• ")\(w.label)</span>")
        } ?? .empty
        return "<span class=\"badge \(cls)\">\(s?.label ?? state)</span>\(warn)"
    }

    static func tabs(_ req: Request, current: String) -> HTML {
        guard let p = req.principal else { return .empty }
        var items: [(String, String, String)] = []
        if p.personID != nil {
            items += [("cua-toi", "Việc của tôi", "/viec?xem=cua-toi"), ("phoi-hop", "Tôi phối hợp", "/viec?xem=phoi-hop")]
        }
        if p.canAnywhere(.leadWork) {
            items += [("da-giao", "Việc tôi giao", "/viec?xem=da-giao"), ("cho-xu-ly", "Chờ tôi xử lý", "/viec?xem=cho-xu-ly")]
        }
        if p.canAnywhere(.leadWork) || p.canAnywhere(.viewEvaluations) { items.append(("bang", "Bảng theo dõi đơn vị",
                                                                                       "/viec/bang")) }
        if p.canAnywhere(.leadWork) { items.append(("thuong-xuyen", "Thường xuyên", "/viec/thuong-xuyen")) }
        items.append(("lich", "Lịch", "/viec/lich"))
        let links = items.map { key, label, href in
            HTML("<a href=\"\(href)\"\(HTML.when(key == current, " aria-current=\"page\""))>\(label)</a>")
        }
        let new: HTML = p.canAnywhere(.leadWork) ? """
            <span class=\"actions\"><a class=\"button\" href=\"/viec/van-ban-den\">Nhận văn bản</a>\
            <a class=\"button\" href=\"/viec/hang-loat\">Giao hàng loạt</a><a class=\"button primary\" \
            href=\"/viec/moi\">+ Giao việc</a></span>
            """
            : (p.personID != nil ? "<a class=\"button\" href=\"/viec/moi?de_xuat=1\">+ Đề xuất nhiệm vụ</a>" : .empty)
        return "<div class=\"tabbar\"><nav class=\"tabs\" aria-label=\"Danh sách công việc\">\(links)</nav>\(new)</div>"
    }

    static let titles: [WorkService.View: String] = [
        .mine: "Việc của tôi", .participating: "Việc tôi phối hợp", .assigned: "Việc tôi giao",
        .awaiting: "Chờ tôi xử lý",
        .unit: "Việc của đơn vị",
    ]

    /// The state filter of the work lists: open (the default), overdue, all, or one state.
    static let stateOptions = FormField.options([("", "Đang mở (chưa kết thúc)"), ("qua-han", "Quá hạn"), ("tat-ca",
        "Tất cả")]
                                                + TaskState.allCases.map { ($0.rawValue, $0.label) })

    static func list(_ req: Request, query q: WorkService.ListQuery, rows: [WorkService.Row], total: Int) -> Page {
        let flash: String? = switch req.input.text("tb") {
        case "tao-nhieu": "Đã giao \(req.input.text("so")) nhiệm vụ (mỗi người một nhiệm vụ)."
        default: nil
        }
        let unitCode = q.view == .unit ? req.input.text("don_vi") : ""
        let params = """
            xem=\(q.view.rawValue)&don_vi=\(unitCode)&trang_thai=\(q.state)\
            &q=\(q.q.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")\
            &tu=\(q.dueFrom.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")\
            &den=\(q.dueTo.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")
            """
        let body = rows.map { r in
            let t = r.task
            return HTML("""
                <tr\(HTML.when(r.warning == .overdue, " class=\"late\""))><td data-label="Mã">\(t.code)</td>
                <td data-label="Nhiệm vụ"><div><a href="/viec/\(t.id.uuidString)">\(t.title)</a><br><small>\(t.productName) \
                · \(DecimalText.vn(text: t.quantity)) \(t.productUnit)</small></div></td>
                <td data-label="Người chủ trì"><div>\(r.assigneeName)<br><small>\(r.unitName)</small></div></td>
                <td data-label="Hạn">\(date(t.due))</td>
                <td data-label="Trạng thái"><div>\(stateBadge(t.state, warning: r.warning))</div></td>
                <td data-label="Tiến độ"><div><progress max="100" value="\(t.percent)" aria-label="Tiến độ \(t.percent)%">\
                </progress> \(t.percent)%</div></td></tr>
                """)
        }
        return Page(title: titles[q.view] ?? "Công việc", breadcrumbs: [("Tổng quan", "/")], flash: flash, body: """
            \(tabs(req, current: q.view.rawValue))
            <form method="get" class="filters" role="search"><input type="hidden" name="xem" \
            value="\(q.view.rawValue)">\(HTML.when(!unitCode.isEmpty, HTML("""
                <input type=\"hidden\" name=\"don_vi\" value=\"\(unitCode)\">
                """)))
            \(FormField("q", "Tìm", value: q.q, placeholder: "Mã, tên nhiệm vụ, số văn bản", width: .grow).html)
            \(FormField("trang_thai", "Trạng thái", value: q.state, .select(stateOptions)).html)
            \(FormField("tu", "Hạn từ", value: q.dueFrom, .date).html)
            \(FormField("den", "Hạn đến", value: q.dueTo, .date).html)
            <div class="actions"><button>Lọc</button> <a href="/viec/xuat?\(params)&dinh_dang=xlsx">Xuất Excel</a> <a \
            href="/viec/xuat?\(params)&dinh_dang=csv">Xuất CSV</a></div></form>
            <p class="count">\(total) nhiệm vụ</p>
            \(rows.isEmpty ? HTML("<p class=\"empty\">Không có nhiệm vụ nào khớp bộ lọc.</p>") : HTML("""
            <div class="table-wrap"><table class="list tasks"><thead><tr><th scope="col">Mã</th><th scope="col">Nhiệm vụ</th><th \
            scope="col">Người chủ trì</th>
            <th scope="col">Hạn</th><th scope="col">Trạng thái</th><th scope="col">Tiến độ</th></tr></thead>\
            <tbody>\(body)</tbody></table>\
            </div>
            """))
            \(Widgets.pager(page: q.page, perPage: q.perPage, total: total) { "/viec?\(params)&trang=\($0)" })
            """)
    }

    static func board(_ req: Request, units: [WorkService.UnitRef], unit: WorkService.UnitRef, parent: WorkService.UnitRef?,
                      board: WorkService.Board) -> Page {
        let states: [TaskState] = [.proposed, .assigned, .inProgress, .extensionRequested, .awaitingAcceptance, .completed]
        let link = "/viec?xem=don-vi&don_vi=\(unit.code)"
        let rows = board.lines.map { l in
            let name: HTML = switch l.kind {
            case .unit: HTML("<a href=\"/viec/bang?don_vi=\(l.code)\">\(l.name)</a> <small>(đơn vị trực thuộc)</small>")
            case .person: HTML("\(l.name) (\(l.code))")
            case .undistributed: HTML("\(l.name)")
            }
            return HTML("""
                <tr\(HTML.when(l.overdue > 0, " class=\"late\""))><td data-label="Đơn vị / người">\(name)</td>
                <td data-label="Quá hạn" \
                class="num">\(l.overdue > 0 ? HTML("<strong class=\"badge late\">\(l.overdue)</strong>") : "0")</td>
                \(states.map { s in HTML("<td data-label=\"\(s.label)\" class=\"num\">\(l.counts[s.rawValue] ?? 0)</td>") })</tr>
                """)
        }
        return Page(title: "Bảng theo dõi đơn vị", breadcrumbs: [("Tổng quan", "/"), ("Công việc", "/viec")], body: """
            \(tabs(req, current: "bang"))
            <form method="get" class="filters">\(FormField("don_vi", "Đơn vị", value: unit.code,
                                                          .select(units.map { .init($0.code, $0.name) }), width: .grow).html)
            <div class="actions"><button>Xem</button> <a href="\(link)">Danh sách nhiệm vụ</a> <a \
            href="/viec/bang?don_vi=\(unit.code)&dinh_dang=xlsx">Xuất Excel</a> <a \
            href="/viec/bang?don_vi=\(unit.code)&dinh_dang=csv">Xuất CSV</a></div></form>
            <p class="hint">\(unit.name): mỗi đơn vị trực thuộc một dòng (gồm cả cấp dưới của nó, bấm tên \
            để xem chi tiết), rồi từng người \
            chủ trì của chính đơn vị; dòng có việc quá hạn lên đầu. Số quá hạn tính trên việc chưa gửi \
            nghiệm thu đã qua \
            hạn.\(parent.map { HTML(" <a href=\"/viec/bang?don_vi=\($0.code)\">Lên \($0.name)</a>") } ?? .empty)</p>
            <p class="hint">Số liệu lúc \(DateFormatting.dateTime(board.countedAt)) · <a \
            href="/viec/bang?don_vi=\(unit.code)&moi=1">Cập \
            nhật ngay</a></p>
            \(board.lines.isEmpty ? HTML("<p class=\"empty\">Đơn vị chưa có nhiệm vụ nào.</p>") : HTML("""
            <div class="table-wrap"><table class="list board"><thead><tr><th scope="col">Đơn vị / người chủ trì</th><th \
            scope="col">Quá \
            hạn</th>
            \(states.map { HTML("<th scope=\"col\">\($0.label)</th>") })</tr></thead><tbody>\(rows)</tbody></table></div>
            """))
            """)
    }

    static func calendar(_ req: Request, view: WorkService.View, month: DateOnly, rows: [WorkService.Row], calendar: WorkCalendar) -> Page {
        let byDay = Dictionary(grouping: rows, by: \.task.due)
        let first = month
        let days = DateOnly.daysIn(month: month.month, year: month.year)
        let prev = month.adding(days: -1)
        let next = month.adding(days: days)
        let today = req.today
        var cells: [HTML] = (1..<first.weekday).map { _ in HTML("<li class=\"pad\" aria-hidden=\"true\"></li>") }
        for d in 1...days {
            let day = DateOnly(year: month.year, month: month.month, day: d)!
            let items = (byDay[day.iso] ?? []).map { r in
                HTML("""
                    <a href=\"/viec/\(r.task.id.uuidString)\" \
                    class=\"cal-task\(r.warning == .overdue ? " late" : "")\">\(r.task.title)</a>
                    """)
            }
            let off = !calendar.isWorkingDay(day)
            cells.append(HTML("""
                <li class="\(off ? "off" : "")\(day == today ? " today" : "")"><span class="d">\(d)<span class="wd"> \
                · \(["", "T2", "T3", "T4", "T5", "T6", "T7", "CN"][day.weekday])</span></span>\(items)</li>
                """))
        }
        let label = String(format: "Tháng %02d/%04d", month.month, month.year)
        let base = "/viec/lich?xem=\(view.rawValue)&thang="
        return Page(title: "Lịch công việc", breadcrumbs: [("Tổng quan", "/"), ("Công việc", "/viec")], body: """
            \(tabs(req, current: "lich"))
            <div class="actions"><a href="\(base)\(String(format: "%04d-%02d", prev.year, prev.month))" rel="prev">‹ Tháng trước</a>
            <strong>\(label)</strong><a href="\(base)\(String(format: "%04d-%02d", next.year, next.month))" rel="next">Tháng sau ›</a>
            <span class="hint">Nhiệm vụ theo hạn hoàn thành (\(titles[view]?.lowercased() ?? "")); ngày nghỉ, lễ tô \
            xám.</span></div>
            <ol class="calendar"><li class="head">Thứ Hai</li><li class="head">Thứ Ba</li><li class="head">Thứ Tư</li><li \
            class="head">Thứ \
            Năm</li>
            <li class="head">Thứ Sáu</li><li class="head">Thứ Bảy</li><li class="head">Chủ nhật</li>\(cells)</ol>
            """)
    }
}
