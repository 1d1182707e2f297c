import Foundation
import KPICore
import Vapor

/// Quên mật khẩu (/quen-mat-khau) and the page a link opens (/dat-mat-khau/<mã>): for people who are
/// not signed in, so each page carries the sign-in pages' form token.
enum PasswordResetController {
    static func register(public r: any RoutesBuilder) {
        r.get("quen-mat-khau", use: form)
        r.post("quen-mat-khau", use: request).reads(.text("username", max: 64, "Tên đăng nhập", in: .form))
        r.get("dat-mat-khau", ":token", use: linkForm)
        r.post("dat-mat-khau", ":token", use: setPassword).reads(.text("new", max: 256, "Mật khẩu mới", in: .form),
                                                                 .text("confirm", max: 256, "Nhập lại mật khẩu mới", in: .form))
    }


    static func formPage(_ req: Request, flash: String?, status: HTTPStatus = .ok) -> Response {
        let t = req.preSignInToken
        return req.visitorPage(Page(title: "Quên mật khẩu", breadcrumbs: [("Đăng nhập", "/dang-nhap")], flash: flash, body: """
            <p>Ghi tên đăng nhập của anh/chị. Hệ thống gửi tới địa chỉ thư điện tử trong hồ sơ cán bộ \
            một liên kết \
            đặt mật khẩu mới, dùng được một lần trong \(AccountLinks.resetMinutes) phút.</p>
            <form method="post" action="/quen-mat-khau" class="login" data-busy="Đang gửi…">
            <input type="hidden" name="_csrf" value="\(t)">
            \(FormField("username", "Tên đăng nhập", required: true, maxLength: 64, autocomplete: "username").focused.html)
            <div class="actions"><button class="primary">Gửi liên kết đặt lại</button> <a href="/dang-nhap">Quay lại đăng \
            nhập</a></div></form>
            <p class="hint">Hồ sơ chưa có địa chỉ thư, hoặc không nhận được thư: liên hệ quản trị đơn vị \
            để được cấp \
            mật khẩu tạm.</p>
            """), token: t, status: status)
    }

    @Sendable static func form(_ req: Request) async throws -> Response {
        if req.principal != nil { return req.redirect(to: "/doi-mat-khau") }
        return formPage(req, flash: nil)
    }

    /// Always the same answer, whatever the name: nobody learns which accounts exist.
    @Sendable static func request(_ req: Request) async throws -> Response {
        let name = req.input.formText("username")
        try await AccountLinks.request(username: name, ip: req.clientIP, settings: req.application.settings, store: req.store)
        return formPage(req, flash: """
            Nếu tên đăng nhập đúng và hồ sơ có địa chỉ thư điện tử, một thư có liên kết đặt mật \
            khẩu mới đã được gửi \
            (dùng trong \(AccountLinks.resetMinutes) phút). Hãy xem hộp thư, kể cả mục thư rác.
            """)
    }

    static func linkPage(_ req: Request, _ code: String, user: User, purpose: String, problems: [String],
                         status: HTTPStatus = .ok) -> Response {
        let t = req.preSignInToken
        let first = purpose == AccountLink.firstSignIn
        return req.visitorPage(Page(title: first ? "Kích hoạt tài khoản" : "Đặt mật khẩu mới", body: """
            \(Widgets.problems(problems))
            <p>Tài khoản: <strong>\(user.username)</strong>. \
            \(first ? "Đặt mật khẩu để bắt đầu dùng hệ thống." : "")</p>
            <form method="post" action="/dat-mat-khau/\(code)" class="login" data-busy="Đang lưu…">
            <input type="hidden" name="_csrf" value="\(t)">
            \(FormField("new", "Mật khẩu mới", .text(.password), required: true,
                        hint: "Ít nhất \(req.application.settings.passwordMinLength) ký tự, có chữ và số, không chứa "
                            + "tên đăng nhập.",
                        maxLength: 256, autocomplete: "new-password").html)
            \(FormField("confirm", "Nhập lại mật khẩu mới", .text(.password), required: true, maxLength: 256,
                        autocomplete: "new-password").html)
            <div class="actions"><button class="primary">Đặt mật khẩu</button></div></form>
            """), token: t, status: status)
    }

    static func code(_ req: Request) -> String { String((req.parameters.get("token") ?? "").prefix(64)) }

    static func gonePage(_ req: Request) -> Response {
        req.page(Page(title: "Liên kết không còn dùng được", body: """
            <p class="warning">\(AccountLinks.gone)</p><p><a href="/quen-mat-khau">Quên mật khẩu</a> · \
            <a href="/dang-nhap">Đăng nhập</a></p>
            """), status: .notFound)
    }

    @Sendable static func linkForm(_ req: Request) async throws -> Response {
        let c = code(req)
        guard let (link, user) = try await AccountLinks.open(c, at: req.now, on: req.db) else { return gonePage(req) }
        return linkPage(req, c, user: user, purpose: link.purpose, problems: [])
    }

    @Sendable static func setPassword(_ req: Request) async throws -> Response {
        let c = code(req)
        guard let (link, user) = try await AccountLinks.open(c, at: req.now, on: req.db) else { return gonePage(req) }
        let problems = try await AccountLinks.complete(token: c, password: req.input.formText("new"),
                                                       confirm: req.input.formText("confirm"), ip: req.clientIP, req: req)
        if problems == [AccountLinks.gone] { return gonePage(req) }
        guard problems.isEmpty else {
            return linkPage(req, c, user: user, purpose: link.purpose, problems: problems, status: .unprocessableEntity)
        }
        return req.page(Page(title: "Đã đặt mật khẩu", body: """
            <p class="flash" role="status">Đã đặt mật khẩu cho tài khoản <strong>\(user.username)</strong>. Các phiên \
            đăng nhập cũ của tài khoản đã kết thúc.</p>
            <p><a class="button primary" href="/dang-nhap">Đăng nhập</a></p>
            """))
    }
}
