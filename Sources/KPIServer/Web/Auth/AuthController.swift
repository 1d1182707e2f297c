import KPICore
import Vapor

/// Đăng nhập, đăng xuất, đổi mật khẩu.
struct AuthController {
    static func register(public r: any RoutesBuilder, signedIn s: any RoutesBuilder) {
        r.get("dang-nhap", use: loginForm).reads(.next, .flag("het-han", "Hết hạn phiên"))
        r.post("dang-nhap", use: login).reads(.next, .text("username", max: 64, "Tên đăng nhập", in: .form), .text("password",
            max: 256,
            "Mật khẩu", in: .form))
        s.post("dang-xuat", use: logout)
        s.get("doi-mat-khau", use: passwordForm).reads(.saved)
        s.post("doi-mat-khau", use: changePassword).reads(.saved, .text("current", max: 256, "Mật khẩu hiện tại", in: .form),
                                                          .text("new",
            max: 256, "Mật khẩu mới", in: .form), .text("confirm", max: 256, "Nhập lại mật khẩu mới", in: .form))
    }

    static func loginPage(_ req: Request, message: String?, username: String = "", token: String, status: HTTPStatus = .ok) -> Response {
        let next = WebRules.localPath(req.input.text("next")) ?? "/"
        let sso: HTML = req.application.settings.singleSignOn.map { c in
            let closed = c.localForAll ? "" : " (dành cho quản trị)"
            return """
                <p class="actions"><a class="button primary" href="/dang-nhap/sso?next=\(next.addingPercentEncoding(withAllowedCharacters:
                .alphanumerics) ?? "/")">\(c.label)</a></p>
                <p class="hint">Hoặc đăng nhập bằng tên đăng nhập và mật khẩu riêng\(closed):</p>
                """
        } ?? .empty
        let page = Page(title: "Đăng nhập", flash: message, flashIsError: message != nil && status != .ok, body: """
            \(sso)<form method="post" action="/dang-nhap?next=\(next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")" \
            class="login">
            <input type="hidden" name="_csrf" value="\(token)">
            \(FormField("username", "Tên đăng nhập", value: username, required: true, autocomplete: "username").focused.html)
            \(FormField("password", "Mật khẩu", .text(.password), required: true, autocomplete: "current-password").html)
            <div class="actions"><button class="primary">Đăng nhập</button></div>
            <p class="hint"><a href="/quen-mat-khau">Quên mật khẩu?</a> Nhận liên kết đặt mật khẩu mới qua thư điện \
            tử, hoặc liên hệ quản trị đơn vị để được cấp mật khẩu tạm.</p>\
            </form>
            """)
        return req.visitorPage(page, token: token, status: status)
    }

    @Sendable static func loginForm(_ req: Request) async throws -> Response {
        if req.principal != nil { return req.redirect(to: "/") }
        let expired = req.input.flag("het-han")
        let token = req.preSignInToken
        return loginPage(req, message: expired ? "Phiên làm việc đã hết hạn. Vui lòng đăng nhập lại." : nil, token: token)
    }

    struct LoginForm: Content {
        var username: String?
        var password: String?
    }

    @Sendable static func login(_ req: Request) async throws -> Response {
        let form = try req.content.decode(LoginForm.self)
        let outcome = try await SignInService(req: req).signIn(username: form.username ?? "", password: form.password ?? "")
        // Only a path on this site: no open redirect.
        return respond(req, to: outcome, username: form.username ?? "", next: WebRules.localPath(req.input.text("next")) ?? "/")
    }

    /// The answer to a sign-in's outcome, by password or through the identity provider.
    static func respond(_ req: Request, to outcome: SignInService.Outcome, username: String, next: String) -> Response {
        switch outcome {
        case .refused(let message), .restart(let message):
            let token = req.preSignInToken
            return loginPage(req, message: message, username: username, token: token, status: .unauthorized)
        case .throttled(let message):
            let token = req.preSignInToken
            let res = loginPage(req, message: message, username: username, token: token, status: .tooManyRequests)
            res.headers.replaceOrAdd(name: .retryAfter, value: String(SignInService.ipWindow))
            return res
        case .signedIn(let token, let mustChange):
            let res = req.redirect(to: mustChange ? "/doi-mat-khau" : next)
            res.cookies[SessionMiddleware.cookieName] = SessionMiddleware.cookie(token, settings: req.application.settings)
            res.cookies[CSRFMiddleware.preCookie] = .expired
            return res
        case .secondStep(let challenge):
            // The pre-sign-in CSRF cookie stays: the code's form carries it.
            let res = req.redirect(to: "/dang-nhap/ma-xac-thuc?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics)
                ?? "/"))
            res.cookies[TwoFactorController.challengeCookie] = TwoFactorController.challengeCookieValue(challenge,
                settings: req.application.settings)
            return res
        }
    }

    @Sendable static func logout(_ req: Request) async throws -> Response {
        // A session opened through the identity provider ends there too (RP-initiated logout).
        var hint: String?
        if let sid = req.principal?.sessionID { hint = try await WebSession.find(sid, on: req.db)?.idTokenHint }
        try await SignInService(req: req).signOut()
        var target = "/dang-nhap"
        if let hint, let end = await SingleSignOnService(req: req).endSessionURL(idToken: hint) { target = end }
        let res = req.redirect(to: target)
        res.cookies[SessionMiddleware.cookieName] = .expired
        return res
    }

    static func passwordPage(_ req: Request, problems: [String], status: HTTPStatus = .ok) throws -> Response {
        let p = try req.requirePrincipal()
        let intro: HTML = p.mustChangePassword
            ? """
                <p class=\"flash\">Đây là lần đăng nhập đầu hoặc mật khẩu vừa được cấp lại: vui lòng đặt \
                mật khẩu mới để tiếp tục.</p>
                """
            : .empty
        let saved = req.input.flag("luu")
        return req.page(Page(title: "Đổi mật khẩu", flash: saved ? "Đã đổi mật khẩu." : nil, body: """
            \(intro)\(Widgets.problems(problems))
            <form method="post" action="/doi-mat-khau" class="record-form">\(req.csrfField)
            \(FormField("current", "Mật khẩu hiện tại", .text(.password), required: true, autocomplete: "current-password").html)
            \(FormField("new", "Mật khẩu mới", .text(.password), required: true, hint: """
                Ít nhất \(req.application.settings.passwordPolicy.minLength) ký tự, có cả chữ và số, không chứa tên \
                đăng nhập, không phải \
                mật khẩu phổ biến. Nên dùng một cụm từ dễ nhớ của riêng bạn.
                """, autocomplete: "new-password").html)
            \(FormField("confirm", "Nhập lại mật khẩu mới", .text(.password), required: true, autocomplete: "new-password").html)
            <div class="actions"><button class="primary">Đổi mật khẩu</button></div></form>
            <p><a href="/xac-thuc-hai-buoc">Xác thực hai bước</a> · <a href="/phien-dang-nhap">Xem các phiên đăng nhập của \
            bạn</a> · <a href="/du-lieu-cua-toi">Dữ liệu của tôi</a></p>
            """), status: status)
    }

    @Sendable static func passwordForm(_ req: Request) async throws -> Response {
        try passwordPage(req, problems: [])
    }

    struct PasswordForm: Content {
        var current: String?
        var new: String?
        var confirm: String?
    }

    @Sendable static func changePassword(_ req: Request) async throws -> Response {
        let f = try req.content.decode(PasswordForm.self)
        let problems = try await SignInService(req: req).changePassword(current: f.current ?? "", new: f.new ?? "",
                                                                        confirm: f.confirm ?? "")
        if problems.isEmpty { return req.redirect(to: "/doi-mat-khau?luu=1") }
        return try passwordPage(req, problems: problems, status: .unprocessableEntity)
    }
}
