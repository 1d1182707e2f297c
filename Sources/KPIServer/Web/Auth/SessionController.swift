import Foundation
import KPICore
import Vapor

/// Phiên đăng nhập (/phien-dang-nhap): the signed-in user's active sessions, each with when it began,
/// when it was last used and from where; any one, or all the others, can be ended.
enum SessionController {
    static func register(_ r: any RoutesBuilder) {
        r.get("phien-dang-nhap", use: list).reads(.notice, .format)
        r.post("phien-dang-nhap", "ket-thuc-khac", use: endOthers)
        r.post("phien-dang-nhap", ":id", "ket-thuc", use: end)
        r.post("nguoi-dung", ":id", "ket-thuc-phien", use: endForUser)
    }

    static func service(_ req: Request) throws -> SessionService {
        SessionService(store: req.store, principal: try req.requirePrincipal(), actor: req.actor)
    }

    @Sendable static func list(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        let rows = try await service(req).mine(idleMinutes: req.application.settings.idleMinutes(for: p.grants.map(\.role)))
        if !req.input.text("dinh_dang").isEmpty {
            let table = [["Bắt đầu", "Dùng lần cuối", "Địa chỉ mạng", "Ghi chú"]] + rows.map {
                [DateFormatting.dateTime($0.createdAt), DateFormatting.dateTime($0.lastSeenAt), $0.ip, $0.current ? "Phiên này" : ""]
            }
            return try Download.table(table, name: "phien-dang-nhap", format: req.input.text("dinh_dang"), at: req.now)
        }
        let flash: String? = switch req.input.text("tb") {
        case "ket-thuc": "Đã kết thúc phiên đăng nhập."
        case "ket-thuc-khac": "Đã kết thúc mọi phiên khác."
        default: nil
        }
        let body = rows.map { r -> HTML in
            let action: HTML = r.current ? "<strong>Phiên này</strong>" : """
                <form method="post" action="/phien-dang-nhap/\(r.id.uuidString)/ket-thuc" class="inline" data-confirm="Kết thúc phiên \
                này? \
                Thiết bị đó sẽ phải đăng nhập lại.">\(req.csrfField)<button>Kết thúc</button></form>
                """
            return """
                <tr><td data-label="Bắt đầu">\(DateFormatting.dateTime(r.createdAt))</td><td data-label="Dùng lần \
                cuối">\(DateFormatting.dateTime(r.lastSeenAt))</td>
                <td data-label="Địa chỉ mạng">\(r.ip)</td><td data-label="">\(action)</td></tr>
                """
        }
        let others = rows.filter { !$0.current }.count
        return req.page(Page(title: "Phiên đăng nhập", breadcrumbs: [("Tổng quan", "/")], flash: flash, body: """
            <p class="hint">Các thiết bị đang đăng nhập bằng tài khoản của bạn. Nếu thấy một phiên lạ, hãy \
            kết thúc nó rồi
            <a href="/doi-mat-khau">đổi mật khẩu</a>.</p>
            <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Bắt đầu</th><th scope="col">Dùng lần cuối</th>
            <th scope="col">Địa chỉ mạng</th><th scope="col"></th></tr></thead><tbody>\(body)</tbody></table></div>
            <p class="count">\(rows.count) phiên · <a href="/phien-dang-nhap?dinh_dang=xlsx">Xuất Excel</a></p>
            \(HTML.when(others > 0, HTML("""
                <form method="post" action="/phien-dang-nhap/ket-thuc-khac" data-confirm="Kết thúc \(others) phiên \
                khác?">\(req.csrfField)<button>Kết thúc mọi phiên khác</button></form>
                """)))
            """))
    }

    @Sendable static func end(_ req: Request) async throws -> Response {
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)) else { throw Abort(.notFound) }
        try await service(req).end(id)
        return req.redirect(to: "/phien-dang-nhap?tb=ket-thuc")
    }

    @Sendable static func endOthers(_ req: Request) async throws -> Response {
        _ = try await service(req).endOthers()
        return req.redirect(to: "/phien-dang-nhap?tb=ket-thuc-khac")
    }

    /// An administrator ends every session of an account within their reach.
    @Sendable static func endForUser(_ req: Request) async throws -> Response {
        let userID = try RoleController.uuid(req, "id")
        let n = try await RoleController.service(req).endSessions(userID: userID)
        return req.redirect(to: RoleController.back(userID) + "?phien=\(n)")
    }
}
