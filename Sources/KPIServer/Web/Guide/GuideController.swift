import Foundation
import KPICore
import Vapor

/// /huong-dan: the user guide, open to everyone (one who cannot sign in needs it most), and its
/// screenshots under /huong-dan/anh/<tên>.png.
enum GuideController {
    static func register(public web: any RoutesBuilder) {
        web.get("huong-dan", use: show)
        web.get("huong-dan", "anh", ":file", use: picture)
    }

    @Sendable static func show(_ req: Request) async throws -> Response {
        guard let guide = try Guide.current(req.application) else {
            return req.page(Page(title: "Hướng dẫn sử dụng", body: """
                <p class="warning">Máy chủ này không có tệp hướng dẫn (docs/huong-dan-su-dung.md). Người cài \
                đặt đặt thư mục docs/ cạnh tệp chạy hoặc chỉ tới nó bằng biến môi trường \
                <code>KPI_DOCS_DIR</code> (tài liệu vận \
                hành).</p>
                """), status: .notFound)
        }
        let toc = guide.headings.map { h in
            HTML("<li class=\"toc-\(h.level)\"><a href=\"#\(h.id)\">\(h.title)</a></li>")
        }
        // The file's own title is the page's; the rest is the guide.
        var body = guide.html
        if let end = body.range(of: "</h1>") { body = String(body[end.upperBound...]) }
        return req.page(Page(title: "Hướng dẫn sử dụng", breadcrumbs: req.principal == nil ? [] : [("Tổng quan", "/")], body: """
            <nav class="guide-toc" aria-label="Mục lục hướng dẫn"><details open><summary>Mục lục</summary>\
            <ul>\(toc)</ul></details></nav>
            <p><button type="button" data-print>In hướng dẫn</button></p>
            <article class="guide">\(HTML(projectMarkup: body))</article>
            """))
    }

    /// A screenshot of docs/anh: a plain file name only (letters, digits, hyphens, .png).
    @Sendable static func picture(_ req: Request) async throws -> Response {
        let name = req.parameters.get("file") ?? ""
        guard name.hasSuffix(".png"), name.count <= 80,
              name.dropLast(4).allSatisfy({ $0.isASCII && ($0.isLowercase || $0.isNumber || $0 == "-") }),
              let dir = Guide.directory(req.application.settings),
              let data = FileManager.default.contents(atPath: dir + "/anh/" + name) else {
            throw Abort(.notFound, reason: "Không có hình này trong hướng dẫn.")
        }
        var headers = HTTPHeaders()
        headers.contentType = .png
        headers.replaceOrAdd(name: .cacheControl, value: "public, max-age=3600")
        return Response(status: .ok, headers: headers, body: .init(data: data))
    }
}
