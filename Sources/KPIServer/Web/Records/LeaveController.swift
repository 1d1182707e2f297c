import Foundation
import Fluent
import KPICore
import Vapor

/// Nghỉ theo chế độ (/nghi-che-do): long leave with search, filters and export; the entry form; voiding.
struct LeaveController {
    static func register(_ r: any RoutesBuilder) {
        r.get("nghi-che-do", use: list).reads(.page, .search, .format, .notice, .dateFrom, .dateTo, .text("loai", max: 50, "Loại"))
        r.get("nghi-che-do", "moi", use: form)
        r.post("nghi-che-do", "moi", use: create)
        r.post("nghi-che-do", ":id", "huy", use: void)
        RecordProposalViews.register(r, base: "nghi-che-do", confirm: { try await service($0).confirm($1) },
                                     reject: { try await service($0).reject($1, reason: $2) })
    }

    static let path = "/nghi-che-do"

    static let denied = """
        Ghi nhận nghỉ theo chế độ dành cho lãnh đạo đơn vị, cơ quan tham mưu và quản trị đơn vị.
        """

    static func service(_ req: Request) throws -> LeaveService {
        LeaveService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    static func what(_ r: LeaveRecord) -> String {
        "\(Catalogs.label(Catalogs.leaveKinds, r.kind)) từ \(WorkViews.date(r.startsOn)) đến \(WorkViews.date(r.endsOn))"
    }

    @Sendable static func list(_ req: Request) async throws -> Response {
        let svc = try service(req)
        var q = LeaveService.Query(q: req.input.text("q"), kind: req.input.text("loai"),
                                   from: req.input.text("tu"), to: req.input.text("den"))
        q.page = req.input.page
        if !req.input.text("dinh_dang").isEmpty {
            var all = q
            all.page = 1
            let rows = try await svc.list(all, limit: 50_000).rows
            let table = [["Mã cán bộ", "Họ và tên", "Loại nghỉ", "Từ ngày", "Đến ngày", "Căn cứ", "Ghi chú",
                          "Người ghi nhận",
                          "Trạng thái"]] + rows.map { r, p in
                [p.code, p.fullName, Catalogs.label(Catalogs.leaveKinds, r.kind), WorkViews.date(r.startsOn), WorkViews.date(r.endsOn),
                 r.basis, r.note,
                 r.enteredBy, r.voided ? "Đã hủy: \(r.voidReason)" : "Hiệu lực"]
            }
            return try Download.table(table, name: "nghi-che-do", format: req.input.text("dinh_dang"), at: req.now)
        }
        let (rows, total) = try await svc.list(q)
        let flashes = ["luu": "Đã ghi nhận. Các kỳ đánh giá đang mở của người này được tính lại.",
                       "huy": "Đã hủy ghi nhận."]
        let flash = flashes.merging(RecordProposalViews.flashes) { $1 }[req.input.text("tb")]
        let pending = RecordProposalViews.section(req, base: "nghi-che-do", principal: svc.principal, try await svc.pending(),
                                                  mayDecide: svc.mayDecide(about:))
        let body = rows.map { r, p in
            HTML("""
                <tr\(HTML.when(r.voided, " class=\"voided\""))><td data-label="Cán bộ">\(p.fullName) (\(p.code))</td>
                <td data-label="Thời gian nghỉ">\(what(r))</td><td data-label="Căn cứ">\(r.basis)\
                \(r.note.isEmpty ? "" : " — \(r.note)")</td>
                <td data-label="Người ghi nhận">\(r.enteredBy)</td>
                <td data-label="Trạng thái">\(r.voided ? HTML("<span class=\"badge off\">Đã hủy: \(r.voidReason)</span>")
                    : svc.mayEnter(r.scopePath) ? Widgets.voidForm(req, action: "/nghi-che-do/\(r.id!.uuidString)/huy", id: r.id!)
                    : HTML("<span class=\"badge ok\">Hiệu lực</span>"))</td></tr>
                """)
        }
        let kinds = [("", "Tất cả")] + Catalogs.leaveKinds.map { ($0.code, $0.label) }
        let params = Widgets.query(["q": q.q, "loai": q.kind, "tu": q.from, "den": q.to])
        return req.page(Page(title: "Nghỉ theo chế độ", breadcrumbs: [("Tổng quan", "/")], flash: flash, body: """
            \(HTML.when(svc.mayEnterAnywhere, """
                <div class=\"actions\"><a class=\"button primary\" href=\"/nghi-che-do/moi\">+ Ghi nhận nghỉ</a></div>
                """))
            \(pending)
            <p class="hint">Nghỉ ốm đau dài ngày, thai sản, không hưởng lương…: kỳ đánh giá có mọi ngày làm \
            việc trong thời gian nghỉ thì \
            không
            đánh giá và không tính vào điểm năm (xếp loại trên các kỳ thực tế làm việc).</p>
            <form method="get" class="filters" role="search">
            \(FormField("q", "Tìm cán bộ", value: q.q, placeholder: "Tên hoặc mã cán bộ", width: .grow).html)
            \(FormField("loai", "Loại nghỉ", value: q.kind, .select(FormField.options(kinds))).html)
            \(FormField("tu", "Nghỉ trong khoảng, từ ngày", value: q.from, .date).html)
            \(FormField("den", "Đến ngày", value: q.to, .date).html)
            <div class="actions"><button>Lọc</button> <a href="/nghi-che-do?\(params)&dinh_dang=xlsx">Xuất Excel</a> <a \
            href="/nghi-che-do?\(params)&dinh_dang=csv">Xuất CSV</a></div></form>
            <p class="count">\(total) ghi nhận</p>
            \(rows.isEmpty ? HTML("<p class=\"empty\">Không có ghi nhận nào khớp bộ lọc.</p>") : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Cán bộ</th><th scope="col">Thời gian nghỉ</th>\
            <th \
            scope="col">Căn cứ</th>
            <th scope="col">Người ghi nhận</th><th scope="col">Trạng thái</th></tr></thead><tbody>\(body)</tbody></table></div>
            """))
            \(Widgets.pager(page: q.page, perPage: 50, total: total) { "/nghi-che-do?\(params)&trang=\($0)" })
            """))
    }

    static func formPage(_ req: Request, values v: [String: String], problems: [TaskProblem]) -> Page {
        Page(title: "Ghi nhận nghỉ theo chế độ", breadcrumbs: [("Tổng quan", "/"), ("Nghỉ theo chế độ", "/nghi-che-do")],
             body: """
            \(Widgets.problems(problems.map(\.message)))
            <form method="post" action="/nghi-che-do/moi" class="record-form">\(req.csrfField)
            \(FormField("nguoi", "Mã cán bộ", value: v["nguoi"], required: true).html(problems))
            \(FormField("loai", "Loại nghỉ", value: v["loai"],
                        .select(Catalogs.leaveKinds.map { .init($0.code, $0.label) }, blank: "— Chọn —"),
                        required: true).html(problems))
            \(FormField("tu_ngay", "Từ ngày", value: v["tu_ngay"], .date, required: true).html(problems))
            \(FormField("den_ngay", "Đến ngày (kể cả ngày này)", value: v["den_ngay"], .date, required: true).html(problems))
            \(FormField("can_cu", "Căn cứ", value: v["can_cu"], required: true,
                        hint: """
                            Số quyết định, giấy chứng nhận nghỉ việc hưởng bảo hiểm xã hội…
                            """, maxLength: 200).html(problems))
            \(FormField("ghi_chu", "Ghi chú", value: v["ghi_chu"], .textarea(rows: 3), maxLength: 1000).html(problems))
            <p class="hint">Kỳ đánh giá đang mở được tính lại ngay; kỳ đã trình phê duyệt, đã công khai hoặc \
            đã chốt điểm không tự thay đổi
            (nếu cần, người được đánh giá gửi kiến nghị hoặc cơ quan tham mưu phúc tra).</p>
            <div class="actions"><button class="primary">Ghi nhận</button> <a href="/nghi-che-do">Hủy bỏ</a></div></form>
            """)
    }

    @Sendable static func form(_ req: Request) async throws -> Response {
        guard try service(req).mayEnterAnywhere else { throw Abort(.forbidden, reason: denied) }
        return req.page(formPage(req, values: [:], problems: []))
    }

    @Sendable static func create(_ req: Request) async throws -> Response {
        let svc = try service(req)
        guard svc.mayEnterAnywhere else { throw Abort(.forbidden, reason: denied) }
        let v = try req.content.decode([String: String].self)
        do {
            let draft = LeaveDraft(kind: v["loai"] ?? "", from: v["tu_ngay"] ?? "", to: v["den_ngay"] ?? "", basis: v["can_cu"] ?? "",
                                   note: v["ghi_chu"] ?? "")
            let outcome = try await svc.record(personCode: v["nguoi"] ?? "", draft)
            return req.redirect(to: "/nghi-che-do?tb=" + (outcome == .proposed ? "de-nghi" : "luu"))
        } catch let e as WorkService.Invalid {
            return req.page(formPage(req, values: v, problems: e.problems), status: .unprocessableEntity)
        }
    }

    @Sendable static func void(_ req: Request) async throws -> Response {
        let svc = try service(req)
        return try await PersonRecords.voidHandler(req, back: "/nghi-che-do") { try await svc.void($0, reason: $1) }
    }
}
