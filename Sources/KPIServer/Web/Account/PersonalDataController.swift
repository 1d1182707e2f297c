import Foundation
import KPICore
import Vapor

/// Dữ liệu của tôi (/du-lieu-cua-toi): what the system holds about the signed-in person, on a page and
/// as one JSON file; and the acknowledgement of the personal-data notice every page shows until then.
enum PersonalDataController {
    static func register(_ r: any RoutesBuilder) {
        r.get("du-lieu-cua-toi", use: show).reads(.choice("dinh_dang", ["json"], "Định dạng tệp"))
        r.post("du-lieu-cua-toi", "da-doc", use: acknowledge)
    }

    /// The notice of Nghị định 13/2023, shown on every page until the person acknowledges it.
    static func banner(_ req: Request) -> HTML {
        guard let p = req.principal, !p.privacyAcknowledged else { return .empty }
        return HTML("""
            <section class="privacy" aria-label="Thông báo về dữ liệu cá nhân"><p><strong>Dữ liệu cá nhân.</strong> Hệ \
            thống \
            xử lý dữ liệu cá nhân của anh/chị \
            (họ tên, đơn vị, chức vụ, thư điện tử, nhiệm vụ, kết quả đánh giá, nhật ký \
            thao tác) để theo dõi công việc, đánh giá và xếp loại theo Quy định 366-QĐ/TW và Nghị định \
            335/2025/NĐ-CP, \
            theo Nghị định 13/2023/NĐ-CP về bảo vệ dữ liệu cá nhân; chỉ người có thẩm quyền xem được, \
            mọi lần xem và \
            sửa đều ghi nhật ký. <a href="/du-lieu-cua-toi">Xem và tải dữ liệu của tôi</a>.</p>
            <form method="post" action="/du-lieu-cua-toi/da-doc" class="inline">\(req.csrfField)<button>Tôi đã \
            đọc</button></form></section>
            """)
    }

    @Sendable static func show(_ req: Request) async throws -> Response {
        let p = try req.requirePrincipal()
        let sections = try await PersonalData(store: req.store, principal: p).sections()
        if req.input.text("dinh_dang") == "json" {
            let doc: [String: Any] = [
                "tai_lieu": "Dữ liệu cá nhân của \(p.username) trên KPI Công vụ",
                "luc": ISO8601DateFormatter().string(from: req.now),
                "muc": sections.map { s in
                    ["ma": s.key, "ten": s.title,
                     "dong": s.rows.map { row in Dictionary(zip(s.columns, row).map { ($0, $1) }) { a, _ in a } }] as [String: Any]
                },
            ]
            let data = try JSONSerialization.data(withJSONObject: doc, options: [.prettyPrinted, .sortedKeys])
            let res = Download.file(data, name: "du-lieu-ca-nhan-\(p.username).json", type: "application/json; charset=utf-8")
            try await req.store.write { db in
                try await AuditLog.append(on: db, actor: req.actor, action: "privacy.download", entityType: "user",
                                          entityID: p.userID.uuidString, scopePath: p.scopePath)
            }
            return res
        }
        let body = sections.map { s -> HTML in
            let shown = s.rows.prefix(100)
            let rows = shown.map { r in
                HTML("<tr>\(zip(s.columns, r).map { c, v in HTML("<td data-label=\"\(c)\">\(v)</td>") })</tr>")
            }
            return HTML("""
                <section class="panel"><h2 id="\(s.key)">\(s.title)\(s.total > 0 ? " (\(s.total))" : "")</h2>
                \(s.rows.isEmpty ? HTML("<p class=\"empty\">Không có.</p>") : HTML("""
                    <div class="table-wrap"><table class="list"><thead><tr>\(s.columns.map { HTML("<th scope=\"col\">\($0)</th>") })\
                    </tr></thead><tbody>\(rows)</tbody></table></div>
                    """))
                \(HTML.when(s.rows.count > shown.count, HTML("""
                    <p class="hint">Hiện \(shown.count) dòng đầu; tệp tải về có đủ \(s.rows.count) dòng.</p>
                    """)))
                </section>
                """)
        }
        return req.page(Page(title: "Dữ liệu của tôi", breadcrumbs: [("Tổng quan", "/")], body: """
            <p>Toàn bộ dữ liệu hệ thống lưu về anh/chị (Nghị định 13/2023/NĐ-CP). Thấy dữ liệu sai \
            (hồ sơ, đơn vị, thư \
            điện tử): báo quản trị đơn vị; kết quả đánh giá: gửi kiến nghị trên phiếu trong thời gian \
            công khai.</p>
            <p><a class="button" href="/du-lieu-cua-toi?dinh_dang=json">Tải toàn bộ (tệp JSON)</a></p>
            \(body)
            """))
    }

    @Sendable static func acknowledge(_ req: Request) async throws -> Response {
        try await PersonalData(store: req.store, principal: try req.requirePrincipal()).acknowledge(actor: req.actor)
        let back = req.headers.first(name: .referer).flatMap { URL(string: $0)?.path }.flatMap(WebRules.localPath) ?? "/"
        return req.redirect(to: back)
    }
}
