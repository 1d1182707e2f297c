import KPICore
import Vapor

/// The page shell: header with navigation by role, breadcrumbs, title, flash message, content.
struct Page {
    var title: String
    var breadcrumbs: [(String, String)] = []
    var flash: String? = nil
    var flashIsError = false
    var body: HTML

    func render(_ req: Request) -> HTML {
        let p = req.principal
        let crumbs: HTML = breadcrumbs.isEmpty ? .empty : """
            <nav class="crumbs" aria-label="Vị \
            trí">\(breadcrumbs.map { l, h in HTML("<a href=\"\(h)\">\(l)</a> › ") })<span>\(title)</span></nav>
            """
        let flashHTML: HTML = flash.map { "<p class=\"flash\(flashIsError ? " error" : "")\" role=\"status\">\($0)</p>" } ?? .empty
        return """
            <!doctype html>
            <html lang="vi"><head><meta charset="utf-8">
            <meta name="viewport" content="width=device-width, initial-scale=1">
            <title>\(title) · KPI Công vụ</title>
            <link rel="stylesheet" href="/app.css"><link rel="icon" href="/favicon.svg" type="image/svg+xml">
            </head><body>
            <a class="skip" href="#main">Bỏ qua điều hướng</a>
            <header class="top"><a class="brand" href="/">KPI Công vụ</a>
            \(p.map { Self.nav($0, path: req.url.path) } ?? .empty)
            </header>
            \(HTML.when(req.application.settings.isTraining, HTML("""
                <p class="training" role="note">Bản đào tạo: dữ liệu mẫu, được đặt lại trước mỗi lớp; không \
                nhập dữ liệu thật.</p>
                """)))
            \(PersonalDataController.banner(req))
            \(DelegationController.banner(req))
            <main id="main">\(crumbs)<h1>\(title)</h1>\(flashHTML)\(body)</main>
            <footer class="foot">KPI Công vụ · Hệ thống đánh giá hiệu quả công việc cán bộ, công chức, viên \
            chức<br>\
            <a href="\(GuideSections.link(for: req.url.path))">Hướng dẫn cho trang này</a>\
            \(p == nil ? .empty : HTML(" · ") + FeedbackController.footerLink(path: req.url.path, title: title))</footer>
            <script src="/app.js" defer></script>
            </body></html>
            """
    }

    static func nav(_ p: Principal, path: String) -> HTML {
        // The menu asks the same rule as the areas' pages (`Area.isOpen`).
        let items = [("Tổng quan", "/")] + Area.allCases.filter { $0.isOpen(to: p) }.map { ($0.label, $0.path) }
        let links = items.map { label, href in
            let current = href == "/" ? path == "/" : path.hasPrefix(href)
            return HTML("<a href=\"\(href)\"\(HTML.when(current, " aria-current=\"page\""))>\(label)</a>")
        }
        return """
            <nav class="menu" aria-label="Chức năng">\(links)</nav>
            <div class="who"><a href="/thong-bao" class="bell" title="Thông báo">Thông \
            báo\(HTML.when(p.unread > 0,
                           HTML(" <span class=\"count-badge\" aria-label=\"\(p.unread) chưa đọc\">\(p.unread)</span>")))</a>
            <a href="/doi-mat-khau" title="Đổi mật khẩu">\(p.displayName)</a>
            <form method="post" action="/dang-xuat" class="inline"><input type="hidden" name="_csrf" value="\(p.csrfToken)">
            <button class="link">Đăng xuất</button></form></div>
            """
    }
}

extension Request {
    func page(_ page: Page, status: HTTPStatus = .ok) -> Response {
        var headers = HTTPHeaders()
        headers.contentType = .html
        headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        return Response(status: status, headers: headers, body: .init(string: page.render(self).html))
    }

    /// The pre-sign-in form token: the visitor's cookie, or a new one (`visitorPage` sets it).
    var preSignInToken: String { cookies[CSRFMiddleware.preCookie]?.string ?? SessionMiddleware.newToken() }

    /// A page for someone not signed in whose forms carry `token`, set as the pre-sign-in form cookie
    /// (lax: a page reached back from the identity provider must find it; no other site's POST carries it).
    func visitorPage(_ page: Page, token: String, status: HTTPStatus = .ok) -> Response {
        let res = self.page(page, status: status)
        res.cookies[CSRFMiddleware.preCookie] = HTTPCookies.Value(string: token, maxAge: 3600, path: "/",
            isSecure: application.settings.secureCookies, isHTTPOnly: true, sameSite: .lax)
        return res
    }

    /// The hidden CSRF field for a form.
    var csrfField: HTML {
        let token = principal?.csrfToken ?? (cookies[CSRFMiddleware.preCookie]?.string ?? "")
        return "<input type=\"hidden\" name=\"_csrf\" value=\"\(token)\">"
    }
}

/// Small pieces shared by the pages.
enum Widgets {
    static func problems(_ messages: [String]) -> HTML {
        guard !messages.isEmpty else { return .empty }
        return """
            <div class="problems" role="alert"><p><strong>Chưa lưu được. Vui lòng sửa các lỗi sau:</strong></p>
            <ul>\(messages.map { HTML("<li>\($0)</li>") })</ul></div>
            """
    }

    static func status(_ active: Bool) -> HTML {
        active ? "<span class=\"badge ok\">✓ Đang hoạt động</span>" : "<span class=\"badge off\">⏸ Ngừng hoạt động</span>"
    }

    static func pager(page: Int, perPage: Int, total: Int, link: (Int) -> String) -> HTML {
        let pages = max(1, (total + perPage - 1) / perPage)
        guard pages > 1 else { return .empty }
        var parts: [HTML] = []
        if page > 1 { parts.append("<a href=\"\(link(page - 1))\" rel=\"prev\">‹ Trước</a>") }
        parts.append("<span>Trang \(page)/\(pages)</span>")
        if page < pages { parts.append("<a href=\"\(link(page + 1))\" rel=\"next\">Sau ›</a>") }
        return "<nav class=\"pager\" aria-label=\"Phân trang\">\(parts)</nav>"
    }

    /// "Hủy ghi nhận" folded away: a reason, then a confirmed post to `action`.
    static func voidForm(_ req: Request, action: String, id: UUID) -> HTML {
        HTML("""
            <details><summary>Hủy ghi nhận</summary><form method="post" action="\(action)" data-confirm="Hủy ghi nhận \
            này?">\(req.csrfField)
            \(FormField("ly_do", "Lý do", id: "ly-do-\(id.uuidString)", required: true, maxLength: 500).html)\
            <button>Hủy ghi nhận</button></form></details>
            """)
    }

    /// A list's filters as a query string (keys in order, values percent-encoded), for its export and pager links.
    static func query(_ values: KeyValuePairs<String, String>) -> String {
        values.map { "\($0.key)=\($0.value.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "")" }.joined(separator: "&")
    }
}
