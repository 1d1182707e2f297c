import Foundation
import KPICore
import Vapor

/// Views of the catalog pages.
enum CatalogViews {
    static func link(_ spec: CatalogSpec, _ q: ListQuery, page: Int? = nil, sort: String? = nil, extra: String = "") -> String {
        var parts: [String] = []
        func add(_ k: String, _ v: String) {
            if !v.isEmpty { parts.append(k + "=" + (v.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")) }
        }
        add("q", q.q)
        if q.status != "active" { add("trang_thai", q.status) }
        add("don_vi", q.orgCode)
        for (k, v) in q.choices.sorted(by: { $0.key < $1.key }) { add(k, v) }
        let s = sort ?? q.sort
        if s != "ma" { add("sap_xep", s) }
        if sort == nil ? q.descending : (sort == q.sort && !q.descending) { add("chieu", "giam") }
        if let page, page > 1 { add("trang", String(page)) }
        if !extra.isEmpty { parts.append(extra) }
        return """
            /danh-muc/\(spec.key)\(extra.hasPrefix("dinh_dang") ? "/xuat" : "")
            """ + (parts.isEmpty ? "" : "?" + parts.joined(separator: "&"))
    }

    static func list(svc: CatalogService, q: ListQuery, page: ListPage, refs: RefIndex, req: Request) -> Page {
        let spec = svc.spec
        let adapter = svc.adapter
        let columns = adapter.listColumns.compactMap { spec.field($0) }
        let choiceFilters: [HTML] = adapter.listFilters.compactMap { key in
            guard let f = spec.field(key) else { return nil }
            let options: [FormField.Option]
            switch f.kind {
            case .choice(let choices): options = choices.map { .init($0.code, $0.label) }
            case .flag: options = [.init("1", "Có"), .init("0", "Không")]
            default: return nil
            }
            return FormField(key, f.label, value: q.choices[key], .select(options, blank: "Tất cả"), id: "flt_\(key)").html
        }
        let statuses = [("active", "Đang hoạt động"), ("inactive", "Ngừng hoạt động"), ("all", "Tất cả")]
        let orgFilter: HTML = adapter.filtersByOrganization ? """
            \(FormField("don_vi", "Thuộc đơn vị (mã)", value: q.orgCode, id: "flt_org", list: "orgs").html)
            """ : .empty
        let filters: HTML = """
            <form class="filters" method="get" role="search">
            \(FormField("q", "Tìm kiếm", value: q.q, id: "flt_q", placeholder: """
                Mã hoặc tên, gõ có dấu hay không dấu đều được
                """,
                        width: .grow).html)
            \(choiceFilters)\(orgFilter)
            \(FormField("trang_thai", "Trạng thái", value: q.status, .select(FormField.options(statuses)), id: "flt_st").html)
            <div class="field"><button>Lọc</button></div></form>
            """
        let header = columns.map { f -> HTML in
            let sortable = ["ma", "ten"].contains(f.key)
            guard sortable else { return "<th scope=\"col\">\(f.label)</th>" }
            let mark = q.sort == f.key ? (q.descending ? " ▼" : " ▲") : ""
            return "<th scope=\"col\"><a href=\"\(link(spec, q, sort: f.key))\">\(f.label)\(mark)</a></th>"
        }
        let rows = page.rows.map { r -> HTML in
            let cells = columns.enumerated().map { i, f -> HTML in
                let value = CatalogForms.display(f, r.raw[f.key] ?? "", refs: refs)
                if i <= 1 { return "<td data-label=\"\(f.label)\"><a href=\"/danh-muc/\(spec.key)/\(r.id.uuidString)\">\(value)</a></td>" }
                return "<td data-label=\"\(f.label)\">\(value)</td>"
            }
            return "<tr>\(cells)<td data-label=\"Trạng thái\">\(Widgets.status(r.active))</td></tr>"
        }
        let canManage = svc.principal.canAnywhere(adapter.manageAction)
        let related: HTML = spec.key == "vi-tri-viec-lam" ? " <a href=\"/danh-muc/nhom-vi-tri\">Nhóm vị trí việc làm</a>"
            : spec.key == "nguoi-dung" && canManage ? " <a href=\"/nguoi-dung/tao-hang-loat\">Tạo tài khoản hàng loạt</a>" : .empty
        let actions: HTML = """
            <div class="actions">\(related)\
            \(HTML.when(canManage, """
                <a class=\"button primary\" href=\"/danh-muc/\(spec.key)/moi\">Thêm mới</a> <a \
                href=\"/nhap-du-lieu?danh_muc=\(spec.key)\">Nhập từ tệp</a>
                """))
            \(HTML.when(svc.principal.canAnywhere(.exportCatalog), """
                <a href=\"\(link(spec, q, extra: "dinh_dang=xlsx"))\">Xuất Excel</a> <a \
                href=\"\(link(spec, q, extra: "dinh_dang=csv"))\">Xuất CSV</a>
                """))</div>
            """
        let table: HTML = page.rows.isEmpty
            ? "<p class=\"empty\">Không có bản ghi nào khớp bộ lọc. Hãy bỏ bớt điều kiện lọc.</p>"
            : """
              <div class="table-wrap"><table class="list"><thead><tr>\(header)<th scope="col">Trạng thái</th></tr></thead>
              <tbody>\(rows)</tbody></table></div>
              """
        return Page(title: spec.title, breadcrumbs: [("Tổng quan", "/")], body: """
            \(actions)\(filters)
            <p class="count">\(VNNumber.format(page.total)) bản ghi</p>
            \(table)
            \(Widgets.pager(page: q.page, perPage: q.perPage, total: page.total) { link(spec, q, page: $0) })
            """)
    }

    /// `mayChange` is false where a rule beyond the scope forbids changes (one's own account, or one
    /// beyond reach: `AccountRules`), so the page offers no button that would be refused.
    static func show(svc: CatalogService, row: CatalogRow, refs: RefIndex, req: Request, mayChange: Bool = true) -> Page {
        let spec = svc.spec
        let items = spec.fields.filter { $0.key != "mat_khau_tam" }.map { f in
            HTML("<div><dt>\(f.label)</dt><dd>\(CatalogForms.display(f, row.raw[f.key] ?? "", refs: refs))</dd></div>")
        }
        let canManage = mayChange && svc.principal.can(svc.adapter.manageAction, at: row.scopePath)
        let base = "/danh-muc/\(spec.key)/\(row.id.uuidString)"
        let actions: HTML = canManage ? """
            <div class="actions"><a class="button primary" href="\(base)/sua">Sửa</a>
            \(row.active ? HTML("<a href=\"\(base)/ngung\">Ngừng hoạt động</a>") : HTML("""
                <form method=\"post\" action=\"\(base)/kich-hoat\" class=\"inline\">\(req.csrfField)<button class=\"link\">Kích hoạt \
                lại</button></form>
                """))
            \(HTML.when(spec.key == "co-quan", """
                <a href=\"/danh-muc/co-quan/moi?cap_tren=\(row.raw["ma"] ?? "")\">Thêm đơn vị trực thuộc</a>
                """))</div>
            """ : .empty
        let crumbs = ancestry(row: row, spec: spec, refs: refs, principal: svc.principal)
        let saved = req.input.flag("luu")
        let ended = req.input.int("phien")
        return Page(title: row.title, breadcrumbs: crumbs,
                    flash: saved ? "Đã lưu." : ended.map { "Đã kết thúc \($0) phiên đăng nhập." },
                    body: """
            \(actions)<p>\(Widgets.status(row.active))</p><dl class="record">\(items)</dl>
            \(spec.key == "co-quan" ? children(of: row, refs: refs) : .empty)
            \(HTML.when(svc.principal.can(.viewAudit, at: row.scopePath), HTML("""
                <p><a href=\"/nhat-ky?doi_tuong=\(row.id.uuidString)\">Lịch sử thay đổi</a></p>
                """)))
            """)
    }

    /// The units directly under an organization, and links to its people and positions: the tree,
    /// browsed one level at a time.
    static func children(of row: CatalogRow, refs: RefIndex) -> HTML {
        let kids = refs.orgsByID.values.filter { $0.parentID == row.id && $0.active }.sorted { $0.code < $1.code }
        let code = row.raw["ma"] ?? ""
        let list: HTML = kids.isEmpty ? "<p class=\"empty\">Không có đơn vị trực thuộc.</p>" : """
            <ul class="tree">\(kids.map { HTML("""
                <li><a href=\"/danh-muc/co-quan/\($0.id.uuidString)\">\($0.name)</a> <small>\($0.code)</small></li>
                """) })</ul>
            """
        return """
            <h2>Đơn vị trực thuộc (\(kids.count))</h2>\(list)
            <p><a href="/danh-muc/can-bo?don_vi=\(code)">Cán bộ của đơn vị này và các đơn vị trực thuộc</a> ·
            <a href="/danh-muc/co-quan?don_vi=\(code)">Toàn bộ nhánh dạng bảng</a></p>
            """
    }

    /// Breadcrumbs: the catalog, then the organization path for organization records.
    /// Breadcrumbs of a record; for an organization, its ancestors the user may open (a link to a
    /// page that would answer 404 is not shown).
    static func ancestry(row: CatalogRow, spec: CatalogSpec, refs: RefIndex, principal: Principal) -> [(String, String)] {
        var crumbs = [("Tổng quan", "/"), (spec.title, "/danh-muc/\(spec.key)")]
        if spec.key == "co-quan" {
            crumbs += refs.ancestry(row.id).dropLast().filter { principal.can(.viewCatalog, at: $0.path) }
                .map { ($0.name, "/danh-muc/co-quan/\($0.id.uuidString)") }
        }
        return crumbs
    }

    static func form(svc: CatalogService, raw: RawRecord, id: UUID?, problems: [FieldProblem], refs: RefIndex, req: Request) -> Page {
        let spec = svc.spec
        let byField = Dictionary(problems.map { ($0.fieldKey, $0.message) }, uniquingKeysWith: { a, _ in a })
        let fields = spec.fields.filter { id == nil || $0.key != "mat_khau_tam" }.map { f in
            CatalogForms.field(f, value: raw[f.key] ?? "", problem: byField[f.key], refs: refs)
        }
        let action = id.map { "/danh-muc/\(spec.key)/\($0.uuidString)/sua" } ?? "/danh-muc/\(spec.key)/moi"
        let cancel = id.map { "/danh-muc/\(spec.key)/\($0.uuidString)" } ?? "/danh-muc/\(spec.key)"
        let title = id == nil ? "Thêm mới: \(spec.title.lowercased())" : "Sửa: \(raw["ten"] ?? raw["ho_ten"] ?? raw["ma"] ?? "")"
        return Page(title: title, breadcrumbs: [("Tổng quan", "/"), (spec.title, "/danh-muc/\(spec.key)")], body: """
            \(Widgets.problems(problems.map(\.sentence)))
            <form method="post" action="\(action)" class="record-form" novalidate>\(req.csrfField)
            <p class="hint">Các trường có dấu <span class="req">*</span> là bắt buộc.</p>
            \(fields)
            <div class="actions"><button class="primary">Lưu</button> <a href="\(cancel)">Hủy</a></div></form>
            \(CatalogForms.datalists(refs, principal: svc.principal))
            """)
    }

    static func confirm(svc: CatalogService, row: CatalogRow, req: Request) -> Page {
        let base = "/danh-muc/\(svc.spec.key)/\(row.id.uuidString)"
        return Page(title: "Ngừng hoạt động: \(row.title)", breadcrumbs: [("Tổng quan", "/"), (svc.spec.title,
            "/danh-muc/\(svc.spec.key)")], body: """
            <p>Bản ghi sẽ không còn được chọn khi giao việc hay lập danh sách mới; dữ liệu và lịch sử vẫn \
            được giữ, và có thể kích hoạt \
            lại.</p>
            <form method="post" action="\(base)/ngung">\(req.csrfField)
            <div class="actions"><button class="primary danger">Xác nhận ngừng hoạt động</button> <a href="\(base)">Quay \
            lại</a></div>\
            </form>
            """)
    }
}
