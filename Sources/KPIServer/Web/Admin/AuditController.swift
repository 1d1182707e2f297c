import Fluent
import KPICore
import Vapor

/// Nhật ký hệ thống: the audit trail of the user's scope, filtered, newest first.
enum AuditController {
    static func register(_ r: any RoutesBuilder) {
        r.get("nhat-ky", use: list).reads(.page, .text("nguoi", max: 100, "Người thực hiện"), .text("hanh_dong", max: 100,
            "Hành động"),
                                          .text("doi_tuong", max: 100, "Đối tượng"))
        r.get("nhat-ky", "xuat", use: export).reads(.format, .text("nguoi", max: 100, "Người thực hiện"), .text("hanh_dong",
            max: 100,
            "Hành động"), .text("doi_tuong", max: 100, "Đối tượng"))
    }

    /// The actions and kinds of record the trail can be filtered by.
    static let actionOptions = (AuditViews.actions.keys.sorted() + AuditViews.entities.keys.sorted()).map { code in
        FormField.Option(code, AuditViews.actions[code] ?? AuditViews.entities[code] ?? code)
    }

    struct Filters {
        var actor: String
        var action: String
        var entity: String
        var query: String { "nguoi=\(actor)&hanh_dong=\(action)&doi_tuong=\(entity)" }
    }

    /// The entries of the user's scope that match the page's filters.
    static func query(_ req: Request) throws -> (QueryBuilder<AuditEntry>, Filters) {
        let p = try req.requirePrincipal()
        try p.requireAnywhere(.viewAudit)
        let scopes = p.scopes(.viewAudit)
        let actor = req.input.text("nguoi")
        let action = req.input.text("hanh_dong")
        let entity = req.input.text("doi_tuong")
        let q = AuditEntry.query(on: req.db)
        q.group(.or) { or in
            for s in scopes { or.filter(\.$scopePath, .custom("LIKE"), s + "%") }
            // Entries without a place in the tree (sign-ins of unknown names, exports) are for system-wide scopes.
            if scopes.contains("/") { or.filter(\.$scopePath == "/") }
        }
        if !actor.isEmpty { q.filter(\.$actor == actor) }
        // A named action matches exactly; an entity name matches all of its actions.
        if AuditViews.actions[action] != nil {
            q.filter(\.$action == action)
        } else if !action.isEmpty {
            q.filter(\.$action, .custom("LIKE"), action + "%")
        }
        if !entity.isEmpty { q.filter(\.$entityID == entity) }
        return (q, Filters(actor: actor, action: action, entity: entity))
    }

    @Sendable static func export(_ req: Request) async throws -> Response {
        let (q, f) = try query(req)
        let entries = try await q.sort(\.$id, .descending).limit(100_000).all()
        let rows = [["Số", "Thời gian", "Người thực hiện", "IP", "Thao tác", "Đối tượng", "Mã đối tượng",
                     "Trước", "Sau", "Mã băm"]]
            + entries.map { e in
                [String(e.id ?? 0), DateFormatting.dateTime(Date(timeIntervalSince1970: Double(e.atMillis) / 1000)), e.actor, e.ip,
                 AuditViews.action(e.action), AuditViews.entities[e.entityType] ?? e.entityType, e.entityID, e.before, e.after, e.hash]
            }
        let actor = req.actor
        try await req.store.write { db in
            try await AuditLog.append(on: db, actor: actor, action: "audit.export", entityType: "audit", entityID: "-",
                                      scopePath: "/", after: ["rows": String(entries.count), "filters": f.query])
        }
        return try Download.table(rows, name: "nhat-ky", format: req.input.text("dinh_dang").nonEmpty(or: "xlsx"), at: req.now)
    }

    @Sendable static func list(_ req: Request) async throws -> Response {
        let (q, f) = try query(req)
        let (actor, action, entity) = (f.actor, f.action, f.entity)
        let page = req.input.page
        let total = try await q.count()
        let entries = try await q.sort(\.$id, .descending).range(lower: (page - 1) * 50, upper: page * 50).all()
        let rows = entries.map { e -> HTML in
            let when = DateFormatting.dateTime(Date(timeIntervalSince1970: Double(e.atMillis) / 1000))
            return """
                <tr><td data-label="Số">\(e.id ?? 0)</td><td data-label="Thời gian">\(when)</td><td data-label="Người thực \
                hiện">\(e.actor)</td>
                <td data-label="IP">\(e.ip)</td><td data-label="Thao tác">\(AuditViews.action(e.action))</td>
                <td data-label="Đối tượng">\(AuditViews.entities[e.entityType] ?? e.entityType)<br><a class="id" \
                href="/nhat-ky?doi_tuong=\(e.entityID)">\(e.entityID)</a></td>
                <td data-label="Trước">\(AuditViews.snapshot(e.before, entity: e.entityType))</td><td \
                data-label="Sau">\(AuditViews.snapshot(e.after, entity: e.entityType))</td></tr>
                """
        }
        func link(_ n: Int) -> String {
            "/nhat-ky?nguoi=\(actor)&hanh_dong=\(action)&doi_tuong=\(entity)&trang=\(n)"
        }
        return req.page(Page(title: "Nhật ký hệ thống", breadcrumbs: [("Tổng quan", "/")], body: """
            <form class="filters" method="get" role="search">
            \(FormField("nguoi", "Người thực hiện", value: actor).html)
            \(FormField("hanh_dong", "Thao tác", value: action, .select(actionOptions, blank: "Tất cả")).html)
            \(FormField("doi_tuong", "Mã đối tượng", value: entity).html)
            <div class="field"><button>Lọc</button></div></form>
            <div class="actions"><a href="/nhat-ky/xuat?\(f.query)&dinh_dang=xlsx">Xuất Excel</a> <a \
            href="/nhat-ky/xuat?\(f.query)&dinh_dang=csv">Xuất CSV</a></div>
            <p class="count">\(VNNumber.format(total)) mục</p>
            <div class="table-wrap"><table class="list audit"><thead><tr><th scope="col">Số</th><th scope="col">Thời gian</th><th \
            scope="col">Người thực hiện</th>
            <th scope="col">IP</th><th scope="col">Thao tác</th><th scope="col">Đối tượng</th><th scope="col">Trước</th><th \
            scope="col">Sau</th></tr></thead>
            <tbody>\(rows)</tbody></table></div>
            \(Widgets.pager(page: page, perPage: 50, total: total, link: link))
            """))
    }
}
