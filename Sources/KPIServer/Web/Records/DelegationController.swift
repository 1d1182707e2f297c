import Fluent
import Foundation
import KPICore
import Vapor

/// Ủy quyền (/uy-quyen): a head hands approval and acceptance in a unit they lead to a deputy for some
/// days; the list (search, state filter, export), the form, taking one back; and the line every page
/// shows while a delegation is in force, to the deputy and to the head.
struct DelegationController {
    static func register(_ r: any RoutesBuilder) {
        r.get("uy-quyen", use: list).reads(.page, .search, .format, .notice, .text("trang_thai", max: 20, "Trạng thái"))
        r.get("uy-quyen", "moi", use: form)
        r.post("uy-quyen", "moi", use: create)
        r.post("uy-quyen", ":id", "thu-hoi", use: revoke)
    }

    static let path = "/uy-quyen"

    static let denied = """
        Ủy quyền dành cho lãnh đạo đơn vị: chỉ người có quyền lãnh đạo của chính mình mới ủy quyền \
        được.
        """

    static func service(_ req: Request) throws -> DelegationService {
        DelegationService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    /// The line under the header while a delegation is in force: the deputy is told on whose behalf
    /// they act, the head to whom they handed their powers.
    static func banner(_ req: Request) -> HTML {
        guard let p = req.principal, !(p.acting.isEmpty && p.givenAway.isEmpty) else { return .empty }
        let acting = p.acting.map { d in
            HTML("""
                <p><strong>Đang thay mặt.</strong> Bạn được \(d.delegatorName) ủy quyền phê duyệt, nghiệm thu \
                ở \(d.scopeName) \(d.span) (\(d.reason)). Việc bạn làm ở đơn vị này dựa trên ủy quyền được ghi \
                «thay mặt \(d.delegatorName)» trong nhật ký. <a href="\(path)">Xem ủy quyền</a></p>
                """)
        }
        let given = p.givenAway.map { d in
            HTML("""
                <p>Bạn đã ủy quyền cho \(d.deputyName) thay mặt bạn ở \(d.scopeName) \(d.span). \
                <a href="\(path)">Xem hoặc thu hồi</a></p>
                """)
        }
        return HTML("<section class=\"acting\" aria-label=\"Ủy quyền\">\(acting)\(given)</section>")
    }

    @Sendable static func list(_ req: Request) async throws -> Response {
        let svc = try service(req)
        var q = DelegationService.Query(q: req.input.text("q"), state: req.input.text("trang_thai"))
        q.page = req.input.page
        if !req.input.text("dinh_dang").isEmpty {
            var all = q
            all.page = 1
            let rows = try await svc.list(all, limit: 50_000).rows
            let table = [["Người ủy quyền", "Người được ủy quyền", "Đơn vị", "Từ ngày", "Đến hết ngày",
                "Lý do", "Người ghi",
                          "Trạng thái"]] + rows.map { r in
                [r.record.delegatorName, r.record.deputyName, r.record.scopeName, r.record.from.display, r.record.to.display,
                 r.record.reason, r.createdBy, r.state == .revoked ? "Đã thu hồi (\(r.revokedBy))" : r.state.label]
            }
            return try Download.table(table, name: "uy-quyen", format: req.input.text("dinh_dang"), at: req.now)
        }
        let (rows, total) = try await svc.list(q)
        let flashes = ["luu": "Đã ủy quyền. Người được ủy quyền thấy quyền này từ ngày bắt đầu.",
                       "thu-hoi": "Đã thu hồi ủy quyền: người được ủy quyền không còn thay mặt từ bây giờ."]
        let flash = flashes[req.input.text("tb")]
        let body = rows.map { r in
            let d = r.record
            let action: HTML = r.state == .active || r.state == .upcoming
                ? (svc.mayRevoke(delegatorUserID: d.delegatorUserID, scopePath: d.scopePath) ? HTML("""
                    <form method="post" action="\(path)/\(d.id.uuidString)/thu-hoi" data-confirm="Thu hồi ủy quyền cho \
                    \(d.deputyName)? Người này không còn thay mặt từ bây giờ.">\(req.csrfField)<button>Thu \
                    hồi</button></form>
                    """) : .empty)
                : .empty
            let badge = r.state == .active ? "ok" : r.state == .upcoming ? "" : "off"
            return HTML("""
                <tr><td data-label="Người ủy quyền">\(d.delegatorName)</td><td data-label="Người được ủy \
                quyền">\(d.deputyName)</td>
                <td data-label="Đơn vị">\(d.scopeName)</td><td data-label="Thời gian">\(d.from.display) – \(d.to.display)</td>
                <td data-label="Lý do">\(d.reason)</td>
                <td data-label="Trạng thái"><span class="badge \(badge)">\(r.state.label)</span>\
                \(HTML.when(r.state == .revoked && !r.revokedBy.isEmpty, HTML(" (\(r.revokedBy))")))\(action)</td></tr>
                """)
        }
        let states = [("", "Tất cả")] + DelegationState.allCases.map { ($0.rawValue, $0.label) }
        let params = Widgets.query(["q": q.q, "trang_thai": q.state])
        return req.page(Page(title: "Ủy quyền", breadcrumbs: [("Tổng quan", "/")], flash: flash, body: """
            \(HTML.when(!svc.delegableScopes.isEmpty, """
                <div class=\"actions\"><a class=\"button primary\" href=\"\(path)/moi\">+ Ủy quyền</a></div>
                """))
            <p class="hint">Lãnh đạo đi công tác, nghỉ phép… ủy quyền cho cấp phó phê duyệt, \
            nghiệm thu thay trong một khoảng ngày. Người được ủy quyền có quyền lãnh đạo của đơn vị \
            trong những ngày đó; mọi việc làm dựa trên ủy quyền được ghi «thay mặt» trong nhật ký. \
            Không ai tự quyết định hồ sơ của chính mình.</p>
            <form method="get" class="filters" role="search">
            \(FormField("q", "Tìm người", value: q.q, placeholder: "Tên hoặc tên đăng nhập", width: .grow).html)
            \(FormField("trang_thai", "Trạng thái", value: q.state, .select(FormField.options(states))).html)
            <div class="actions"><button>Lọc</button> <a href="\(path)?\(params)&dinh_dang=xlsx">Xuất Excel</a> <a \
            href="\(path)?\(params)&dinh_dang=csv">Xuất CSV</a></div></form>
            <p class="count">\(total) ủy quyền</p>
            \(rows.isEmpty ? HTML("<p class=\"empty\">Không có ủy quyền nào khớp bộ lọc.</p>") : HTML("""
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Người ủy quyền</th>\
            <th scope="col">Người được ủy quyền</th><th scope="col">Đơn vị</th><th scope="col">Thời gian</th>\
            <th scope="col">Lý do</th><th scope="col">Trạng thái</th></tr></thead><tbody>\(body)</tbody></table></div>
            """))
            \(Widgets.pager(page: q.page, perPage: 50, total: total) { "\(path)?\(params)&trang=\($0)" })
            """))
    }

    static func formPage(_ req: Request, _ svc: DelegationService, values v: [String: String],
        problems: [TaskProblem]) async throws -> Page {
        let scopes = svc.delegableScopes
        let names = try await Organization.query(on: req.db).filter(\.$path ~~ scopes).all()
        let options = scopes.map { s in FormField.Option(s, names.first { $0.path == s }?.name ?? s) }
        let people = try await svc.candidates(in: scopes)
        let list = people.map { HTML("<option value=\"\($0.username)\">\($0.name) (\($0.code))</option>") }
        let today = req.today
        return Page(title: "Ủy quyền mới", breadcrumbs: [("Tổng quan", "/"), ("Ủy quyền", path)], body: """
            \(Widgets.problems(problems.map(\.message)))
            <form method="post" action="\(path)/moi" class="record-form">\(req.csrfField)
            \(FormField("pham_vi", "Đơn vị", value: v["pham_vi"] ?? (scopes.count == 1 ? scopes[0] : nil),
                        .select(options, blank: "— Chọn —"), required: true,
                        hint: """
                            Đơn vị bạn là lãnh đạo; người được ủy quyền có quyền lãnh đạo của bạn ở \
                            đơn vị này.
                            """).html(problems))
            \(FormField("nguoi_duoc_uy_quyen", "Người được ủy quyền", value: v["nguoi_duoc_uy_quyen"], required: true,
                        hint: """
                            Tên đăng nhập hoặc mã cán bộ của người làm việc trong đơn vị (thường là cấp phó).
                            """,
                        maxLength: 100, list: "ung-vien").html(problems))
            <datalist id="ung-vien">\(list)</datalist>
            \(FormField("tu_ngay", "Từ ngày", value: v["tu_ngay"] ?? today.display, .date, required: true).html(problems))
            \(FormField("den_ngay", "Đến hết ngày", value: v["den_ngay"], .date, required: true,
                        hint: "Nhiều nhất \(DelegationDraft.maxDays) ngày.").html(problems))
            \(FormField("ly_do", "Lý do", value: v["ly_do"], required: true, maxLength: DelegationDraft.maxReason,
                        placeholder: "Đi công tác, nghỉ phép…").html(problems))
            <p class="hint">Bạn vẫn giữ quyền của mình trong thời gian ủy quyền và có thể thu hồi bất cứ lúc \
            nào. \
            Ủy quyền không chuyển tiếp được cho người khác.</p>
            <div class="actions"><button class="primary">Ủy quyền</button> <a href="\(path)">Hủy bỏ</a></div></form>
            """)
    }

    @Sendable static func form(_ req: Request) async throws -> Response {
        let svc = try service(req)
        guard !svc.delegableScopes.isEmpty else { throw Abort(.forbidden, reason: denied) }
        return req.page(try await formPage(req, svc, values: [:], problems: []))
    }

    @Sendable static func create(_ req: Request) async throws -> Response {
        let svc = try service(req)
        guard !svc.delegableScopes.isEmpty else { throw Abort(.forbidden, reason: denied) }
        let v = try req.content.decode([String: String].self)
        do {
            _ = try await svc.create(DelegationDraft(scope: v["pham_vi"] ?? "", deputy: v["nguoi_duoc_uy_quyen"] ?? "",
                                                     from: v["tu_ngay"] ?? "", to: v["den_ngay"] ?? "", reason: v["ly_do"] ?? ""))
            return req.redirect(to: "\(path)?tb=luu")
        } catch let e as WorkService.Invalid {
            return req.page(try await formPage(req, svc, values: v, problems: e.problems), status: .unprocessableEntity)
        }
    }

    @Sendable static func revoke(_ req: Request) async throws -> Response {
        let svc = try service(req)
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else {
            throw Abort(.notFound, reason: "Không tìm thấy ủy quyền này trong phạm vi của bạn.")
        }
        do {
            try await svc.revoke(id)
        } catch let e as WorkService.Refused {
            throw Abort(e.forbidden ? .forbidden : .conflict, reason: e.message)
        }
        return req.redirect(to: "\(path)?tb=thu-hoi")
    }
}
