import Fluent
import KPICore
import Vapor

/// Tổng quan: what the signed-in user can reach, with counts of their scope.
enum HomeController {
    @Sendable static func home(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        let scopes = p.scopes(.viewCatalog)
        func inScope<M: Model>(_ q: QueryBuilder<M>, _ key: KeyPath<M, FieldProperty<M, String>>) -> QueryBuilder<M> {
            q.group(.or) { or in
                for s in scopes { or.filter(key, .custom("LIKE"), s + "%") }
                if scopes.isEmpty { or.filter(key, .equal, "\u{0}") }
            }
        }
        let orgs = try await inScope(Organization.query(on: req.db).filter(\.$active == true), \.$path).count()
        let people = try await inScope(Person.query(on: req.db).filter(\.$active == true), \.$scopePath).count()
        let roles = Set(p.grants.map(\.role)).map(\.label).sorted().joined(separator: ", ")
        var cards: [HTML] = [
            "<a class=\"card\" href=\"/danh-muc/co-quan\"><strong>\(VNNumber.format(orgs))</strong><span>cơ quan, đơn vị trong phạm vi</span></a>",
            "<a class=\"card\" href=\"/danh-muc/co-quan\"><strong>\(VNNumber.format(people))</strong><span>cán bộ, công chức, viên chức</span></a>",
        ]
        if p.canAnywhere(.manageCatalog) {
            cards.append("<a class=\"card\" href=\"/nhap-du-lieu\"><strong>Nhập dữ liệu</strong><span>từ tệp CSV hoặc Excel</span></a>")
        }
        if p.canAnywhere(.viewAudit) {
            cards.append("<a class=\"card\" href=\"/nhat-ky\"><strong>Nhật ký hệ thống</strong><span>mọi thao tác, có kiểm tra toàn vẹn</span></a>")
        }
        return req.page(Page(title: "Tổng quan", body: """
            <p>Xin chào <strong>\(p.displayName)</strong>. Vai trò: \(roles.isEmpty ? "chưa được phân quyền" : roles).</p>
            <div class="cards">\(cards)</div>
            """))
    }
}

/// Nhật ký hệ thống: the audit trail of the user's scope, filtered, newest first.
enum AuditController {
    static func register(_ r: any RoutesBuilder) {
        r.get("nhat-ky", use: list)
    }

    @Sendable static func list(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        try p.requireAnywhere(.viewAudit)
        let scopes = p.scopes(.viewAudit)
        let actor = (try? req.query.get(String.self, at: "nguoi")) ?? ""
        let action = (try? req.query.get(String.self, at: "hanh_dong")) ?? ""
        let entity = (try? req.query.get(String.self, at: "doi_tuong")) ?? ""
        let page = max(1, (try? req.query.get(Int.self, at: "trang")) ?? 1)
        let q = AuditEntry.query(on: req.db)
        q.group(.or) { or in
            for s in scopes { or.filter(\.$scopePath, .custom("LIKE"), s + "%") }
            // Entries without a place in the tree (sign-ins of unknown names, exports) are for system-wide scopes.
            if scopes.contains("/") { or.filter(\.$scopePath == "/") }
        }
        if !actor.isEmpty { q.filter(\.$actor == actor) }
        if !action.isEmpty { q.filter(\.$action, .custom("LIKE"), action + "%") }
        if !entity.isEmpty { q.filter(\.$entityID == entity) }
        let total = try await q.count()
        let entries = try await q.sort(\.$id, .descending).range(lower: (page - 1) * 50, upper: page * 50).all()
        let rows = entries.map { e -> HTML in
            let when = DateFormatting.dateTime(Date(timeIntervalSince1970: Double(e.atMillis) / 1000))
            return """
                <tr><td data-label="Số">\(e.id ?? 0)</td><td data-label="Thời gian">\(when)</td><td data-label="Người thực hiện">\(e.actor)</td>
                <td data-label="IP">\(e.ip)</td><td data-label="Thao tác">\(e.action)</td><td data-label="Đối tượng">\(e.entityType) \(e.entityID)</td>
                <td data-label="Trước"><code>\(e.before)</code></td><td data-label="Sau"><code>\(e.after)</code></td></tr>
                """
        }
        func link(_ n: Int) -> String {
            "/nhat-ky?nguoi=\(actor)&hanh_dong=\(action)&doi_tuong=\(entity)&trang=\(n)"
        }
        return req.page(Page(title: "Nhật ký hệ thống", breadcrumbs: [("Tổng quan", "/")], body: """
            <form class="filters" method="get" role="search">
            <div class="field"><label for="nguoi">Người thực hiện</label><input id="nguoi" name="nguoi" value="\(actor)"></div>
            <div class="field"><label for="hanh_dong">Thao tác (bắt đầu bằng)</label><input id="hanh_dong" name="hanh_dong" value="\(action)" placeholder="login, organization…"></div>
            <div class="field"><label for="doi_tuong">Mã đối tượng</label><input id="doi_tuong" name="doi_tuong" value="\(entity)"></div>
            <div class="field"><button>Lọc</button></div></form>
            <p class="count">\(VNNumber.format(total)) mục</p>
            <div class="table-wrap"><table class="list audit"><thead><tr><th scope="col">Số</th><th scope="col">Thời gian</th><th scope="col">Người thực hiện</th>
            <th scope="col">IP</th><th scope="col">Thao tác</th><th scope="col">Đối tượng</th><th scope="col">Trước</th><th scope="col">Sau</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            \(Widgets.pager(page: page, perPage: 50, total: total, link: link))
            """))
    }
}
