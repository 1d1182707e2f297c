import Foundation
import Fluent
import KPICore
import Vapor

/// Kỷ luật, kỷ cương (/ky-luat): the records with search, filters and export; the entry form; voiding.
struct DisciplineController {
    static func register(_ r: any RoutesBuilder) {
        r.get("ky-luat", use: list).reads(.page, .search, .format, .notice, .dateFrom, .dateTo, .text("loai", max: 50, "Loại"))
        r.get("ky-luat", "moi", use: form)
        r.post("ky-luat", "moi", use: create)
        r.post("ky-luat", ":id", "huy", use: void)
        RecordProposalViews.register(r, base: "ky-luat", confirm: { try await service($0).confirm($1) },
                                     reject: { try await service($0).reject($1, reason: $2) })
    }

    static let path = "/ky-luat"

    static func service(_ req: Request) throws -> DisciplineService {
        DisciplineService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    static func query(_ req: Request) -> DisciplineService.Query {
        var q = DisciplineService.Query(q: req.input.text("q"), kind: req.input.text("loai"),
                                        from: req.input.text("tu"), to: req.input.text("den"))
        q.page = req.input.page
        return q
    }

    static func what(_ r: DisciplineRecord) -> String {
        r.kind == "ky-luat"
            ? """
                Kỷ luật \(Catalogs.label(Catalogs.disciplineLevels, r.level).lowercased()) — quyết định \
                số \(r.decisionNumber) ngày \
                \(WorkViews.date(r.decisionDate))
                """
            : "\(r.violationName) (\(r.violationCode), trừ \(DecimalText.vn(text: r.deduction)) điểm)"
    }

    @Sendable static func list(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let q = query(req)
        if !req.input.text("dinh_dang").isEmpty {
            var all = q
            all.page = 1
            let rows = try await svc.list(all, limit: 50_000).rows
            let table = [["Mã cán bộ", "Họ và tên", "Ngày", "Loại", "Nội dung", "Ghi chú", "Người ghi nhận",
                          "Trạng thái"]] + rows.map { r,
                p in
                [p.code, p.fullName, WorkViews.date(r.occurredOn), r.kind == "ky-luat" ? "Kỷ luật" : "Vi phạm", what(r), r.note,
                 r.enteredBy,
                 r.voided ? "Đã hủy: \(r.voidReason)" : "Hiệu lực"]
            }
            return try Download.table(table, name: "ky-luat", format: req.input.text("dinh_dang"), at: req.now)
        }
        let (rows, total) = try await svc.list(q)
        let flash = ["luu": "Đã ghi nhận.",
                     "huy": "Đã hủy ghi nhận."].merging(RecordProposalViews.flashes) { $1 }[req.input.text("tb")]
        let pending = RecordProposalViews.section(req, base: "ky-luat", principal: svc.principal, try await svc.pending(),
                                                  mayDecide: svc.mayDecide(about:))
        let body = rows.map { r, p in
            HTML("""
                <tr\(HTML.when(r.voided, " class=\"voided\""))><td data-label="Ngày">\(WorkViews.date(r.occurredOn))</td>
                <td data-label="Cán bộ">\(p.fullName) (\(p.code))</td><td data-label="Nội dung">\(what(r))\
                \(r.note.isEmpty ? "" : " — \(r.note)")</td>
                <td data-label="Người ghi nhận">\(r.enteredBy)</td>
                <td data-label="Trạng \
                thái">\(r.voided ? HTML("""
                    <span class=\"badge off\">Đã hủy: \(r.voidReason)</span>
                    """) : svc.mayEnter(r.scopePath) ? Widgets.voidForm(req, action: "/ky-luat/\(r.id!.uuidString)/huy",
                                                                        id: r.id!) : HTML("""
                        <span class=\"badge ok\">Hiệu lực</span>
                        """))</td></tr>
                """)
        }
        let kinds = [("", "Tất cả"), ("vi-pham", "Vi phạm"), ("ky-luat", "Quyết định kỷ luật")]
        let params = Widgets.query(["q": q.q, "loai": q.kind, "tu": q.from, "den": q.to])
        return req.page(Page(title: "Kỷ luật, kỷ cương", breadcrumbs: [("Tổng quan", "/")], flash: flash, body: """
            \(HTML.when(svc.mayEnterAnywhere, """
                <div class=\"actions\"><a class=\"button primary\" href=\"/ky-luat/moi\">+ Ghi nhận</a> <a \
                href=\"/danh-muc/vi-pham\">Danh \
                mục loại vi phạm</a></div>
                """))
            <p><a href="\(ConclusionController.path)">Kết luận suy thoái, tham nhũng</a> (xếp loại năm không hoàn thành \
            nhiệm vụ)</p>
            \(pending)
            <form method="get" class="filters" role="search">
            \(FormField("q", "Tìm cán bộ", value: q.q, placeholder: "Tên hoặc mã cán bộ", width: .grow).html)
            \(FormField("loai", "Loại", value: q.kind, .select(FormField.options(kinds))).html)
            \(FormField("tu", "Từ ngày", value: q.from, .date).html)
            \(FormField("den", "Đến ngày", value: q.to, .date).html)
            <div class="actions"><button>Lọc</button> <a href="/ky-luat?\(params)&dinh_dang=xlsx">Xuất Excel</a> <a \
            href="/ky-luat?\(params)&dinh_dang=csv">Xuất CSV</a></div></form>
            <p class="count">\(total) ghi nhận</p>
            \(rows.isEmpty ? HTML("<p class=\"empty\">Không có ghi nhận nào khớp bộ lọc.</p>") : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Ngày</th><th scope="col">Cán bộ</th><th \
            scope="col">Nội \
            dung</th>
            <th scope="col">Người ghi nhận</th><th scope="col">Trạng thái</th></tr></thead><tbody>\(body)</tbody></table></div>
            """))
            \(Widgets.pager(page: q.page, perPage: 50, total: total) { "/ky-luat?\(params)&trang=\($0)" })
            """))
    }

    static func formPage(_ req: Request, values v: [String: String], problems: [TaskProblem]) async throws -> Page {
        let types = try await ViolationType.query(on: req.db).filter(\.$active == true).sort(\.$code).all()
        let kind = v["loai"] ?? "vi-pham"
        return Page(title: "Ghi nhận kỷ luật, kỷ cương", breadcrumbs: [("Tổng quan", "/"), ("Kỷ luật, kỷ cương",
            "/ky-luat")], body: """
            \(Widgets.problems(problems.map(\.message)))
            <form method="post" action="/ky-luat/moi" class="record-form">\(req.csrfField)
            \(FormField("nguoi", "Mã cán bộ", value: v["nguoi"], required: true).html(problems))
            <fieldset><legend>Loại ghi nhận</legend>
            <label class="choice"><input type="radio" name="loai" value="vi-pham"\(HTML.when(kind == "vi-pham", " checked"))> Vi phạm \
            kỷ \
            luật, kỷ cương (theo danh mục, trừ điểm)</label>
            <label class="choice"><input type="radio" name="loai" value="ky-luat"\(HTML.when(kind == "ky-luat", " checked"))> Quyết \
            định \
            kỷ luật</label></fieldset>
            <fieldset><legend>Vi phạm</legend>
            \(FormField("loai_vi_pham", "Loại vi phạm", value: v["loai_vi_pham"], .select(types.map {
                .init($0.code, "\($0.name) (trừ \(DecimalText.vn(text: $0.deduction)))")
            }, blank: "— Chọn —")).html(problems))
            \(FormField("ngay", "Ngày vi phạm", value: v["ngay"], .date).html(problems))</fieldset>
            <fieldset><legend>Quyết định kỷ luật</legend>
            \(FormField("hinh_thuc", "Hình thức", value: v["hinh_thuc"],
                        .select(Catalogs.disciplineLevels.map { .init($0.code, $0.label) }, blank: "— Chọn —")).html(problems))
            \(FormField("so_quyet_dinh", "Số quyết định", value: v["so_quyet_dinh"]).html(problems))
            \(FormField("ngay_quyet_dinh", "Ngày quyết định", value: v["ngay_quyet_dinh"], .date).html(problems))</fieldset>
            \(FormField("ghi_chu", "Ghi chú", value: v["ghi_chu"], .textarea(rows: 3), maxLength: 1000).html(problems))
            <div class="actions"><button class="primary">Ghi nhận</button> <a href="/ky-luat">Hủy bỏ</a></div></form>
            """)
    }

    @Sendable static func form(_ req: Request) async throws -> Response {
        let svc = try service(req)
        guard svc.mayEnterAnywhere else { throw Abort(.forbidden,
                                                      reason: """
                                                          Ghi nhận kỷ luật dành cho lãnh đạo đơn vị và cơ quan tham mưu.
                                                          """) }
        return req.page(try await formPage(req, values: [:], problems: []))
    }

    @Sendable static func create(_ req: Request) async throws -> Response {
        let svc = try service(req)
        guard svc.mayEnterAnywhere else { throw Abort(.forbidden,
                                                      reason: """
                                                          Ghi nhận kỷ luật dành cho lãnh đạo đơn vị và cơ quan tham mưu.
                                                          """) }
        let v = try req.content.decode([String: String].self)
        let e = DisciplineService.Entry(personCode: v["nguoi"] ?? "", kind: v["loai"] ?? "", violationCode: v["loai_vi_pham"] ?? "",
                                        level: v["hinh_thuc"] ?? "", decisionNumber: v["so_quyet_dinh"] ?? "",
                                        decisionDate: v["ngay_quyet_dinh"] ?? "", occurredOn: v["ngay"] ?? "", note: v["ghi_chu"] ?? "")
        do {
            let outcome = try await svc.record(e)
            return req.redirect(to: "/ky-luat?tb=" + (outcome == .proposed ? "de-nghi" : "luu"))
        } catch let e as WorkService.Invalid {
            return req.page(try await formPage(req, values: v, problems: e.problems), status: .unprocessableEntity)
        }
    }

    @Sendable static func void(_ req: Request) async throws -> Response {
        let svc = try service(req)
        return try await PersonRecords.voidHandler(req, back: "/ky-luat") { try await svc.void($0, reason: $1) }
    }
}
