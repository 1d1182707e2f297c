import Foundation
import KPICore
import Vapor

/// /nguoi-dung/tao-hang-loat: accounts for a unit's people who have none, previewed, then made at
/// once; activation by mail or on printed letters with a QR code.
enum BulkAccountsController {
    static func register(_ r: any RoutesBuilder) {
        r.get("nguoi-dung", "tao-hang-loat", use: form).reads(.text("don_vi", max: 50, "Mã đơn vị"))
        r.post("nguoi-dung", "tao-hang-loat", use: create).reads(.text("don_vi", max: 50, "Mã đơn vị", in: .form),
                                                               .choice("cach_gui", ["thu", "in"], "Cách gửi", in: .form))
    }

    static func service(_ req: Request) throws -> BulkAccounts {
        let p = try req.requirePrincipal()
        guard p.canAnywhere(.manageUsers) else { throw Abort(.forbidden, reason: "Chỉ quản trị mới tạo được tài khoản.") }
        return BulkAccounts(store: req.store, principal: p, actor: req.actor)
    }

    @Sendable static func form(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let code = req.input.text("don_vi")
        var preview: HTML = .empty
        var problem: String?
        if !code.isEmpty {
            do {
                let (org, list) = try await svc.candidates(unitCode: code)
                let withMail = list.filter { $0.email != nil }.count
                let rows = list.prefix(200).map { c in
                    HTML("""
                        <tr><td data-label="Mã cán bộ">\(c.code)</td><td data-label="Họ tên">\(c.name)</td>
                        <td data-label="Tên đăng nhập">\(c.username)</td><td \
                        data-label="Thư điện tử">\(c.email ?? "—")</td></tr>
                        """)
                }
                preview = list.isEmpty ? HTML("""
                    <p class="empty">Mọi người đang làm việc ở \(org.name) (\(org.code)) đã có tài khoản.</p>
                    """) : HTML("""
                    <h2>\(list.count) người chưa có tài khoản ở \(org.name) (\(org.code))</h2>
                    <p>\(withMail) người có địa chỉ thư điện tử; \(list.count - withMail) người cần thư in.</p>
                    <div class="table-wrap"><table class="list"><thead><tr><th scope="col">Mã cán bộ</th><th scope="col">Họ tên</th>\
                    <th scope="col">Tên đăng nhập</th><th scope="col">Thư điện \
                    tử</th></tr></thead><tbody>\(rows)</tbody></table></div>
                    \(HTML.when(list.count > 200, HTML("<p class=\"hint\">Hiện 200 người đầu.</p>")))
                    <form method="post" action="/nguoi-dung/tao-hang-loat" data-busy="Đang tạo tài khoản…" \
                    data-confirm="Tạo \(list.count) tài khoản? Mỗi người nhận liên kết kích hoạt dùng một lần trong \
                    \(AccountLinks.firstSignInDays) ngày.">\(req.csrfField)
                    <input type="hidden" name="don_vi" value="\(org.code)">
                    <fieldset class="field"><legend>Gửi liên kết kích hoạt</legend>
                    <label class="choice"><input type="radio" name="cach_gui" value="thu" checked> Gửi thư điện tử \
                    (người không \
                    có địa chỉ thư: in thư)</label>
                    <label class="choice"><input type="radio" name="cach_gui" value="in"> In thư cho tất cả</label></fieldset>
                    <div class="actions"><button class="primary">Tạo \(list.count) tài khoản</button></div></form>
                    """)
            } catch let e as BulkAccounts.Invalid {
                problem = e.problems.first?.message
            }
        }
        return req.page(Page(title: "Tạo tài khoản hàng loạt", breadcrumbs: [("Tổng quan", "/"), ("Người dùng",
            "/danh-muc/nguoi-dung")], body: """
            \(Widgets.problems(problem.map { [$0] } ?? []))
            <p class="hint">Tạo tài khoản (vai trò cán bộ, công chức, viên chức) cho mọi người đang làm việc ở \
            một đơn vị \
            và các đơn vị trực thuộc mà chưa có tài khoản. Không ai được cấp mật khẩu: mỗi người nhận \
            một liên kết kích \
            hoạt để tự đặt mật khẩu, qua thư điện tử hoặc thư in có mã QR. Vai trò khác cấp thêm ở trang \
            từng tài khoản.</p>
            <form method="get" class="filters">\(FormField("don_vi", "Mã đơn vị", value: code, required: true, maxLength: 50,
                                                           placeholder: "BTCTU-P3").html)
            <div class="actions"><button>Xem danh sách</button></div></form>
            \(preview)
            """), status: problem == nil ? .ok : .unprocessableEntity)
    }

    @Sendable static func create(_ req: Request) async throws -> Response {
        let svc = try service(req)
        let code = req.input.formText("don_vi")
        let created: [BulkAccounts.Created]
        do {
            created = try await svc.create(unitCode: code, byMail: req.input.formText("cach_gui") != "in",
                                           settings: req.application.settings, base: req.publicBase)
        } catch let e as BulkAccounts.Invalid {
            return req.page(Page(title: "Tạo tài khoản hàng loạt", body: """
                \(Widgets.problems(e.problems.map(\.message)))<p><a href="/nguoi-dung/tao-hang-loat">Quay lại</a></p>
                """), status: .unprocessableEntity)
        }
        let base = req.publicBase
        let letters = created.filter { !$0.mailed }.map { c -> HTML in
            let link = "\(base)/dat-mat-khau/\(c.token)"
            let qr = QRCode(link).map { HTML(qr: $0, pixelsPerModule: 3) } ?? .empty
            return HTML("""
                <article class="letter"><h3>Thư kích hoạt tài khoản KPI Công vụ</h3>
                <p>Kính gửi <strong>\(c.candidate.name)</strong> (\(c.candidate.code)).</p>
                <p>Tên đăng nhập: <strong>\(c.candidate.username)</strong></p>
                <p>Quét mã QR hoặc mở địa chỉ dưới đây để đặt mật khẩu \
                (dùng một lần, trong \(AccountLinks.firstSignInDays) \
                ngày):</p>\(qr)<p class="link"><code>\(link)</code></p>
                <p class="hint">Giữ thư này riêng: ai có liên kết đều đặt được mật khẩu cho tài \
                khoản.</p></article>
                """)
        }
        let mailed = created.filter(\.mailed).count
        return req.page(Page(title: "Đã tạo \(created.count) tài khoản", breadcrumbs: [("Tổng quan", "/"),
            ("Người dùng", "/danh-muc/nguoi-dung")], body: """
            <div class="screen-only">
            <p class="flash" role="status">Đã tạo \(created.count) tài khoản: \(mailed) người nhận liên kết kích hoạt \
            qua thư \
            điện tử, \(created.count - mailed) người cần thư in dưới đây.</p>
            \(HTML.when(!letters.isEmpty, HTML("""
                <p class="warning">In thư ngay: liên kết chỉ hiện một lần ở trang này. Mất thư thì đặt lại \
                mật khẩu ở trang tài khoản.</p>
                <p><button type="button" data-print>In \(letters.count) thư</button></p>
                """)))
            <p><a href="/danh-muc/nguoi-dung">Danh sách người dùng</a></p></div>
            \(HTML.when(!letters.isEmpty, HTML("<section class=\"letters\">\(letters)</section>")))
            """))
    }
}
