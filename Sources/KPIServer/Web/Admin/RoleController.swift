import Foundation
import KPICore
import Vapor

/// Phân quyền: the roles section of a user's page, grant, revoke, password reset.
enum RoleController {
    static func register(_ r: any RoutesBuilder) {
        r.post("nguoi-dung", ":id", "quyen", use: grant)
        r.get("nguoi-dung", ":id", "quyen", ":grant", "thu-hoi", use: confirmRevoke)
        r.post("nguoi-dung", ":id", "quyen", ":grant", "thu-hoi", use: revoke)
        r.post("nguoi-dung", ":id", "dat-lai-mat-khau", use: resetPassword)
    }

    static func service(_ req: Request) throws -> RoleService {
        RoleService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    static func uuid(_ req: Request, _ name: String) throws -> UUID {
        guard let id = req.parameters.get(name).flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound) }
        return id
    }

    static func back(_ id: UUID) -> String { "/danh-muc/nguoi-dung/\(id.uuidString)" }

    /// The roles section shown on a user's page.
    static func section(_ req: Request, userID: UUID, problems: [String] = []) async throws -> HTML {
        let svc = try service(req)
        let refs = try await RefIndex.load(on: req.db)
        let grants = try await svc.grants(of: userID, refs: refs)
        let refusal = try await svc.refusal(for: userID)
        let target = try await User.find(userID, on: req.db)
        let rows = grants.map { g -> HTML in
            let when = g.createdAt.map(DateFormatting.date) ?? ""
            return """
                <tr><td data-label="Vai trò">\(g.role.label)</td><td data-label="Phạm vi">\(g.scopeName)</td>
                <td data-label="Người cấp">\(g.grantedBy)</td><td data-label="Ngày cấp">\(when)</td>
                <td data-label="">\(HTML.when(refusal == nil && AccessPolicy.mayGrant(svc.principal.grants, role: g.role, at: g.scopePath),
                    "<a href=\"/nguoi-dung/\(userID.uuidString)/quyen/\(g.id.uuidString)/thu-hoi\">Thu hồi</a>"))</td></tr>
                """
        }
        // Least powerful first, so the default choice is the safe one.
        // The api-client role is given on the API clients' page only (`APIClientService`).
        let order: [Role] = [.staff, .leader, .inspector, .advisory, .unitAdmin, .systemAdmin]
        let roles = order.filter { r in svc.principal.grants.contains { AccessPolicy.mayGrant([$0], role: r, at: $0.scopePath) } }
        return """
            <h2>Vai trò và phạm vi</h2>\(Widgets.problems(problems))
            \(grants.isEmpty ? HTML("<p class=\"empty\">Tài khoản chưa được cấp vai trò nào.</p>") : """
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Vai trò</th><th scope="col">Phạm vi</th><th \
            scope="col">Người cấp</th><th scope="col">Ngày cấp</th><th scope="col"></th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            """)
            \(refusal.map { HTML("<p class=\"hint\">\($0)</p>") } ?? actions(req, userID: userID, roles: roles,
                                                                             mfaSince: target?.mfaEnabledAt))
            \(CatalogForms.datalists(refs, principal: svc.principal))
            """
    }

    /// Granting and the password reset, offered only on an account the user may act on.
    static func actions(_ req: Request, userID: UUID, roles: [Role], mfaSince: Date?) -> HTML {
        let mfa: HTML = mfaSince.map { since in """
            <p>Đang bật từ ngày \(DateFormatting.date(since)).</p>
            <form method="post" action="/nguoi-dung/\(userID.uuidString)/dat-lai-xac-thuc" data-confirm="Đặt lại xác thực hai \
            bước của tài \
            khoản này? Chỉ làm khi đã xác minh trực tiếp người dùng mất điện thoại.">\(req.csrfField)
            <p class="hint">Khi người dùng mất điện thoại và mã khôi phục: xóa khóa cũ, kết thúc mọi phiên; \
            người dùng thiết lập lại ở lần \
            đăng nhập sau. Thao tác được ghi nhật ký và báo cho người dùng.</p>
            <button>Đặt lại xác thực hai bước</button></form>
            """ } ?? "<p class=\"hint\">Tài khoản chưa bật xác thực hai bước.</p>"
        return """
            <form method="post" action="/nguoi-dung/\(userID.uuidString)/quyen" class="filters">\(req.csrfField)
            \(FormField("vai_tro", "Vai trò", .select(roles.map { .init($0.rawValue, $0.label) })).html)
            \(FormField("don_vi", "Phạm vi: mã đơn vị (để trống: toàn hệ thống)", list: "orgs", width: .grow).html)
            <div class="field"><button class="primary">Cấp quyền</button></div></form>
            <h2>Mật khẩu</h2>
            <form method="post" action="/nguoi-dung/\(userID.uuidString)/dat-lai-mat-khau">\(req.csrfField)
            <p class="hint">Đặt lại sẽ tạo mật khẩu tạm, đóng mọi phiên đăng nhập của tài khoản; người \
            dùng phải đổi mật khẩu ở lần đăng \
            nhập sau.</p>
            <button>Đặt lại mật khẩu</button></form>
            <h2>Phiên đăng nhập</h2>
            <form method="post" action="/nguoi-dung/\(userID.uuidString)/ket-thuc-phien" data-confirm="Kết thúc mọi phiên đăng \
            nhập của \
            tài khoản này?">\(req.csrfField)
            <p class="hint">Mọi thiết bị đang đăng nhập bằng tài khoản này phải đăng nhập lại (ví dụ khi máy \
            bị mất hoặc người dùng nghỉ \
            việc).</p>
            <button>Kết thúc mọi phiên đăng nhập</button></form>
            <h2>Xác thực hai bước</h2>
            \(mfa)
            """
    }

    struct GrantForm: Content {
        var vai_tro: String?
        var don_vi: String?
    }

    @Sendable static func grant(_ req: Request) async throws -> Response {
        let userID = try uuid(req, "id")
        // Who may act on the account is settled before the form is read.
        _ = try await service(req).user(userID)
        let form = try req.content.decode(GrantForm.self)
        guard let role = Role(rawValue: form.vai_tro ?? "") else { throw Abort(.badRequest,
                                                                               reason: """
                                                                                   Vai trò không hợp lệ: chọn một vai trò trong \
                                                                                   danh sách.
                                                                                   """) }
        do {
            try await service(req).grant(userID: userID, role: role, orgCode: (form.don_vi ?? "").trimmingCharacters(in: .whitespaces))
            return req.redirect(to: back(userID) + "?luu=1")
        } catch let p as CatalogProblems {
            return try await CatalogController.showPage(req, catalog: "nguoi-dung", id: userID,
                                                        problems: p.problems.map(\.sentence), status: .unprocessableEntity)
        }
    }

    @Sendable static func confirmRevoke(_ req: Request) async throws -> Response {
        let userID = try uuid(req, "id"), grantID = try uuid(req, "grant")
        _ = try await service(req).user(userID)
        return req.page(Page(title: "Thu hồi quyền", breadcrumbs: [("Tổng quan", "/"), ("Người dùng", "/danh-muc/nguoi-dung")],
                             body: """
            <p>Người dùng sẽ mất ngay các chức năng của vai trò này trong phạm vi đã cấp.</p>
            <form method="post" action="/nguoi-dung/\(userID.uuidString)/quyen/\(grantID.uuidString)/thu-hoi">\(req.csrfField)
            <div class="actions"><button class="primary danger">Xác nhận thu hồi</button> <a href="\(back(userID))">Quay lại</a>\
            </div>\
            </form>
            """))
    }

    @Sendable static func revoke(_ req: Request) async throws -> Response {
        let userID = try uuid(req, "id")
        try await service(req).revoke(userID: userID, grantID: try uuid(req, "grant"))
        return req.redirect(to: back(userID) + "?luu=1")
    }

    @Sendable static func resetPassword(_ req: Request) async throws -> Response {
        let userID = try uuid(req, "id")
        let hasher = req.password.async
        let temporary = try await service(req).resetPassword(userID: userID) { try await hasher.hash($0) }
        return req.page(Page(title: "Đã đặt lại mật khẩu", breadcrumbs: [("Tổng quan", "/"), ("Người dùng",
            "/danh-muc/nguoi-dung")],
                             body: """
            <p>Mật khẩu tạm (chỉ hiển thị một lần, hãy trao trực tiếp cho người dùng):</p>
            <p class="flash"><strong><code>\(temporary)</code></strong></p>
            <p><a href="\(back(userID))">Về trang tài khoản</a></p>
            """))
    }
}
