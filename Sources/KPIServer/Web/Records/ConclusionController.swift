import Fluent
import Foundation
import KPICore
import Vapor

/// Kết luận suy thoái, tham nhũng (/ky-luat/ket-luan): the list with search, filters and export; the
/// entry form of the advisory body and the inspection role; voiding with a reason.
struct ConclusionController {
    static func register(_ r: any RoutesBuilder) {
        r.get("ky-luat", "ket-luan", use: list).reads(.page, .search, .format, .notice, .text("loai", max: 50, "Loại"),
                                                         .text("nam", max: 4, "Năm"))
        r.get("ky-luat", "ket-luan", "moi", use: form)
        r.post("ky-luat", "ket-luan", "moi", use: create)
        r.post("ky-luat", "ket-luan", ":id", "huy", use: void)
    }

    static let path = "/ky-luat/ket-luan"

    static let denied = "Ghi nhận kết luận suy thoái, tham nhũng dành cho cơ quan tham mưu và kiểm tra, giám sát."

    static func service(_ req: Request) throws -> ConclusionService {
        ConclusionService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    static func what(_ r: ConclusionRecord) -> String {
        let label = OverrideFlag(rawValue: r.kind).map(ConclusionDraft.label) ?? r.kind
        return "\(label) — văn bản số \(r.decisionNumber) ngày \(WorkViews.date(r.decisionDate)) của \(r.issuer)"
    }

    static func effect(_ r: ConclusionRecord) -> String {
        r.effect.hasPrefix("phien-ban-")
            ? "Kết quả năm \(r.year) đã sửa thành phiên bản \(r.effect.dropFirst("phien-ban-".count))"
            : "Áp dụng khi tính kết quả năm \(r.year)"
    }

    @Sendable static func list(_ req: Request) async throws -> Response {
        let svc = try service(req)
        var q = ConclusionService.Query(q: req.input.text("q"), kind: req.input.text("loai"), year: req.input.text("nam"))
        q.page = req.input.page
        if !req.input.text("dinh_dang").isEmpty {
            var all = q
            all.page = 1
            let rows = try await svc.list(all, limit: 50_000).rows
            let table = [["Mã cán bộ", "Họ và tên", "Năm áp dụng", "Kết luận", "Số văn bản", "Ngày văn bản",
                "Cơ quan kết luận", "Ghi chú",
                          "Người ghi nhận", "Tác dụng", "Trạng thái"]] + rows.map { r, p in
                [p.code, p.fullName, String(r.year), OverrideFlag(rawValue: r.kind).map(ConclusionDraft.label) ?? r.kind, r.decisionNumber,
                 WorkViews.date(r.decisionDate), r.issuer, r.note, r.enteredBy, effect(r),
                     r.voided ? "Đã hủy: \(r.voidReason)" : "Hiệu lực"]
            }
            return try Download.table(table, name: "ket-luan", format: req.input.text("dinh_dang"), at: req.now)
        }
        let (rows, total) = try await svc.list(q)
        let flash = ["luu": "Đã ghi nhận kết luận.", "huy": "Đã hủy ghi nhận."][req.input.text("tb")]
        let body = rows.map { r, p in
            HTML("""
                <tr\(HTML.when(r.voided, " class=\"voided\""))><td data-label="Năm">\(String(r.year))</td>
                <td data-label="Cán bộ">\(p.fullName) (\(p.code))</td><td data-label="Kết luận">\(what(r))\
                \(r.note.isEmpty ? "" : " — \(r.note)")</td>
                <td data-label="Tác dụng">\(effect(r))</td><td data-label="Người ghi nhận">\(r.enteredBy)</td>
                <td data-label="Trạng thái">\(r.voided ? HTML("<span class=\"badge off\">Đã hủy: \(r.voidReason)</span>")
                    : svc.mayEnter(r.scopePath) && r.personID != svc.principal.personID
                        ? Widgets.voidForm(req, action: "\(path)/\(r.id!.uuidString)/huy", id: r.id!)
                        : HTML("<span class=\"badge ok\">Hiệu lực</span>"))</td></tr>
                """)
        }
        let kinds = [("", "Tất cả")] + ConclusionDraft.kinds.map { ($0.rawValue, ConclusionDraft.label($0)) }
        let params = Widgets.query(["q": q.q, "loai": q.kind, "nam": q.year])
        return req.page(Page(title: "Kết luận suy thoái, tham nhũng", breadcrumbs: [("Tổng quan", "/"),
            ("Kỷ luật, kỷ cương", "/ky-luat")],
                             flash: flash, body: """
            \(HTML.when(svc.mayEnterAnywhere, """
                <div class=\"actions\"><a class=\"button primary\" href=\"\(path)/moi\">+ Ghi nhận kết luận</a></div>
                """))
            <p class="hint">Người có kết luận suy thoái về tư tưởng chính trị, đạo đức, lối sống,
                hoặc (lãnh đạo) đơn vị \
            do mình phụ trách bị xử lý về tham nhũng, tham ô, lãng phí,
                xếp loại năm là <strong>không hoàn thành nhiệm \
            vụ</strong> (Nghị định 335, Điều 20). Kết quả năm đã phê duyệt được sửa thành phiên bản mới,
                phiên bản cũ vẫn lưu.</p>
            <form method="get" class="filters" role="search">
            \(FormField("q", "Tìm cán bộ", value: q.q, placeholder: "Tên hoặc mã cán bộ", width: .grow).html)
            \(FormField("loai", "Loại kết luận", value: q.kind, .select(FormField.options(kinds))).html)
            \(FormField("nam", "Năm áp dụng", value: q.year, maxLength: 4, inputMode: .numeric).html)
            <div class="actions"><button>Lọc</button> <a href="\(path)?\(params)&dinh_dang=xlsx">Xuất Excel</a> <a \
            href="\(path)?\(params)&dinh_dang=csv">Xuất CSV</a></div></form>
            <p class="count">\(total) kết luận</p>
            \(rows.isEmpty ? HTML("<p class=\"empty\">Không có kết luận nào khớp bộ lọc.</p>") : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Năm</th><th scope="col">Cán bộ</th>\
            <th scope="col">Kết luận</th><th scope="col">Tác dụng</th><th scope="col">Người ghi nhận</th>\
            <th scope="col">Trạng thái</th></tr></thead><tbody>\(body)</tbody></table></div>
            """))
            \(Widgets.pager(page: q.page, perPage: 50, total: total) { "\(path)?\(params)&trang=\($0)" })
            """))
    }

    static func formPage(_ req: Request, values v: [String: String], problems: [TaskProblem]) -> Page {
        Page(title: "Ghi nhận kết luận", breadcrumbs: [("Tổng quan", "/"), ("Kỷ luật, kỷ cương", "/ky-luat"),
                                                      ("Kết luận suy thoái, tham nhũng", path)], body: """
            \(Widgets.problems(problems.map(\.message)))
            <form method="post" action="\(path)/moi" class="record-form" data-confirm="Ghi nhận kết luận này? Kết quả năm \
            của người này sẽ là không hoàn thành nhiệm vụ.">\(req.csrfField)
            \(FormField("nguoi", "Mã cán bộ", value: v["nguoi"], required: true, maxLength: 100).html(problems))
            \(FormField("loai", "Loại kết luận", value: v["loai"],
                        .select(ConclusionDraft.kinds.map { .init($0.rawValue, ConclusionDraft.label($0)) }, blank: "— Chọn —"),
                        required: true).html(problems))
            \(FormField("so_quyet_dinh", "Số văn bản kết luận", value: v["so_quyet_dinh"], required: true,
                        maxLength: 100).html(problems))
            \(FormField("ngay_quyet_dinh", "Ngày văn bản", value: v["ngay_quyet_dinh"], .date, required: true).html(problems))
            \(FormField("co_quan", "Cơ quan kết luận", value: v["co_quan"], required: true,
                        hint: "Ủy ban kiểm tra, cơ quan có thẩm quyền…", maxLength: 200).html(problems))
            \(FormField("nam", "Năm đánh giá áp dụng", value: v["nam"] ?? String(req.today.year), required: true,
                        hint: "Năm của văn bản hoặc năm trước đó.", maxLength: 4, inputMode: .numeric).html(problems))
            \(FormField("ghi_chu", "Ghi chú", value: v["ghi_chu"], .textarea(rows: 3), maxLength: 1000).html(problems))
            <p class="hint">Kết quả năm đang đánh giá được tính lại ngay; kết quả năm đã phê duyệt, công khai \
            hoặc đã chốt \
            được sửa thành phiên bản mới (phiên bản cũ vẫn lưu, người được đánh giá được báo qua trang \
            kết quả).</p>
            <div class="actions"><button class="primary">Ghi nhận</button> <a href="\(path)">Hủy bỏ</a></div></form>
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
            let draft = ConclusionDraft(kind: v["loai"] ?? "", year: v["nam"] ?? "", decisionNumber: v["so_quyet_dinh"] ?? "",
                                        decisionDate: v["ngay_quyet_dinh"] ?? "", issuer: v["co_quan"] ?? "", note: v["ghi_chu"] ?? "")
            _ = try await svc.record(personCode: v["nguoi"] ?? "", draft)
            return req.redirect(to: "\(path)?tb=luu")
        } catch let e as WorkService.Invalid {
            return req.page(formPage(req, values: v, problems: e.problems), status: .unprocessableEntity)
        } catch let e as WorkService.Refused {
            return req.page(formPage(req, values: v, problems: [.init("nam", e.message)]), status: .conflict)
        }
    }

    @Sendable static func void(_ req: Request) async throws -> Response {
        let svc = try service(req)
        return try await PersonRecords.voidHandler(req, back: path) { id, why in
            try await svc.void(id, reason: why)
            return .done(id)
        }
    }
}
