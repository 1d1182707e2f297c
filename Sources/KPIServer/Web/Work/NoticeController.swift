import Foundation
import Fluent
import KPICore
import Vapor

/// Thông báo: the notification centre (/thong-bao), reading one, marking all read, and the daily
/// digest (/thong-bao/tong-hop): what is overdue, due today and due soon, and what came yesterday.
struct NoticeController {
    static func register(_ r: any RoutesBuilder) {
        r.get("thong-bao", use: list).reads(.page, .notice, .flag("chua_doc", "Chưa đọc"), .text("loai", max: 50, "Loại"))
        r.get("thong-bao", "tong-hop", use: digest)
        r.post("thong-bao", "da-doc", use: markAll)
        r.get("thong-bao", ":id", use: open)
    }

    static let kinds: [(String, String)] = [
        ("", "Tất cả"), ("qua-han", "Quá hạn"), ("den-han", "Đến hạn hôm nay"), ("sap-den-han", "Sắp đến hạn"),
        ("tao", "Được giao việc"), ("gui-nghiem-thu", "Chờ nghiệm thu"), ("xin-gia-han", "Xin gia hạn"), ("tra-lai",
            "Bị trả lại"),
        ("nghiem-thu", "Đã nghiệm thu"), ("de-xuat", "Đề xuất chờ duyệt"),
    ]

    @Sendable static func list(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        let unreadOnly = req.input.text("chua_doc") == "1"
        let kind = req.input.text("loai")
        let page = req.input.page
        let base = Notice.query(on: req.db).filter(\.$userID == p.userID)
        if unreadOnly { base.filter(\.$readAt == nil) }
        if !kind.isEmpty { base.filter(\.$kind == kind) }
        let total = try await base.copy().count()
        let notices = try await base.sort(\.$createdAt, .descending).range((page - 1) * 50 ..< page * 50).all()
        let rows = notices.map { n in
            HTML("""
                <li class="\(n.readAt == nil ? "unread" : "")"><a href="/thong-bao/\(n.id!.uuidString)">\(n.title)</a>
                <small>\(DateFormatting.dateTime(n.createdAt))\(n.readAt == nil ? " · chưa đọc" : "")</small></li>
                """)
        }
        return req.page(Page(title: "Thông báo", breadcrumbs: [("Tổng quan", "/")],
                             flash: req.input.text("tb") == "da-doc" ? "Đã đánh dấu tất cả là đã đọc." : nil, body: """
            <div class="actions"><a class="button" href="/thong-bao/tong-hop">Tổng hợp hằng ngày</a>
            <a class="button" href="/thong-bao/cai-dat">Cách nhận thông báo qua thư</a>
            <form method="post" action="/thong-bao/da-doc" class="inline">\(req.csrfField)<button>Đánh dấu tất cả đã \
            đọc</button></form>\
            </div>
            <form method="get" class="filters">\(FormField("loai", "Loại", value: kind, .select(FormField.options(kinds))).html)
            <div class="field"><label><input type="checkbox" name="chua_doc" value="1"\(HTML.when(unreadOnly, " checked"))> Chỉ thông \
            báo \
            chưa đọc</label></div>
            <div class="actions"><button>Lọc</button></div></form>
            <p class="count">\(total) thông báo · \(p.unread) chưa đọc</p>
            \(notices.isEmpty ? HTML("<p class=\"empty\">Không có thông báo nào.</p>") : HTML("<ul class=\"notices\">\(rows)</ul>"))
            \(Widgets.pager(page: page, perPage: 50, total: total) { """
                /thong-bao?loai=\(kind)&chua_doc=\(unreadOnly ? "1" : "")&trang=\($0)
                """ })
            """))
    }

    /// Opening a notice marks it read and goes to its task.
    @Sendable static func open(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        guard let id = req.parameters.get("id").flatMap(UUID.init(uuidString:)),
              let n = try await Notice.find(id, on: req.db), n.userID == p.userID else {
            throw Abort(.notFound, reason: "Không có thông báo này.")
        }
        if n.readAt == nil {
            try await req.store.write { db in
                try await Notice.query(on: db).filter(\.$id == id).set(\.$readAt, to: req.now).update()
            }
        }
        return req.redirect(to: n.taskID.map { "/viec/\($0.uuidString)" } ?? n.link.flatMap { $0.hasPrefix("/")
            && !$0.hasPrefix("//") ? $0 : nil } ?? "/thong-bao")
    }

    @Sendable static func markAll(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        try await req.store.write { db in
            try await Notice.query(on: db).filter(\.$userID == p.userID).filter(\.$readAt == nil).set(\.$readAt, to: req.now).update()
        }
        return req.redirect(to: "/thong-bao?tb=da-doc")
    }

    /// Tổng hợp hằng ngày: my open work by urgency, what waits for my decision, and yesterday's notices.
    @Sendable static func digest(_ req: Request) async throws -> Response {
        let svc = try WorkController.service(req)
        let today = req.today
        var mine: [WorkService.Row] = []
        if svc.principal.personID != nil {
            mine = try await svc.all(WorkService.ListQuery(view: .mine)).filter { $0.warning != nil }
        }
        let awaiting = svc.principal.canAnywhere(.leadWork) ? try await svc.all(WorkService.ListQuery(view: .awaiting)) : []
        let since = req.now.addingTimeInterval(-36 * 3600)
        let recent = try await Notice.query(on: req.db).filter(\.$userID == svc.principal.userID).filter(\.$createdAt >= since)
            .sort(\.$createdAt, .descending).limit(100).all()
        func section(_ title: String, _ rows: [WorkService.Row]) -> HTML {
            guard !rows.isEmpty else { return .empty }
            return HTML("""
                <h3>\(title) (\(rows.count))</h3>\
                <ul>\(rows.map { r in HTML("""
                    <li><a href=\"/viec/\(r.task.id.uuidString)\">\(r.task.code) — \(r.task.title)</a> · \
                    hạn \(WorkViews.date(r.task.due)) \
                    · \(r.assigneeName)</li>
                    """) })</ul>
                """)
        }
        let overdue = mine.filter { $0.warning == .overdue }
        let dueToday = mine.filter { $0.warning == .dueToday }
        let soon = mine.filter { $0.warning == .dueSoon }
        return req.page(Page(title: "Tổng hợp ngày \(today.display)", breadcrumbs: [("Tổng quan", "/"), ("Thông báo",
            "/thong-bao")],
                             body: """
            <section class="panel"><h2>Việc của tôi cần chú ý</h2>
            \(mine.isEmpty ? HTML("<p>Không có việc quá hạn, đến hạn hoặc sắp đến hạn.</p>") : HTML("""
                \(section("Quá hạn", overdue))\(section("Đến hạn hôm nay", dueToday))\(section("Sắp đến hạn", soon))
                """))
            </section>
            \(HTML.when(svc.principal.canAnywhere(.leadWork), HTML("""
            <section class="panel"><h2>Chờ tôi xử \
            lý</h2>\(awaiting.isEmpty ? HTML("""
                <p>Không có đề xuất, đề nghị gia hạn hay kết quả nào chờ xử lý.</p>
                """) : section("Đề xuất, gia hạn, nghiệm thu", awaiting))</section>
            """)))
            <section class="panel"><h2>Thông báo từ hôm qua (\(recent.count))</h2>
            \(recent.isEmpty ? HTML("<p>Không có thông báo mới.</p>") : HTML("""
                <ul>\(recent.map { HTML("""
                    <li><a href=\"/thong-bao/\($0.id!.uuidString)\">\($0.title)</a> \
                    <small>\(DateFormatting.dateTime($0.createdAt))</small></li>
                    """) })</ul>
                """))</section>
            <p><button type="button" data-print>In trang này</button></p>
            """))
    }
}
