import Foundation
import KPICore
import Vapor

/// Xác thực hai bước: the code asked after the password, and the user's own page to set it up, get
/// new recovery codes or turn it off; an administrator's reset sits on the account page.
enum TwoFactorController {
    static let challengeCookie = "kpi_mfa"
    static let path = "/xac-thuc-hai-buoc"
    /// Where a user who must set it up may still go before doing so.
    static let openBeforeEnrolment: Set<String> = [path, path + "/bat-dau", path + "/xac-nhan", "/dang-xuat", "/doi-mat-khau"]

    static let cannotDisable = "Vai trò của bạn bắt buộc xác thực hai bước nên không thể tắt. "
        + "Đổi điện thoại: nhờ quản trị đơn vị đặt lại, rồi thiết lập lại."

    static let code = ParamSpec.text("code", max: 32, "Mã xác thực", in: .form)

    static func register(public r: any RoutesBuilder, signedIn s: any RoutesBuilder) {
        r.get("dang-nhap", "ma-xac-thuc", use: challengeForm).reads(.next)
        r.post("dang-nhap", "ma-xac-thuc", use: challenge).reads(.next, code)
        s.get("xac-thuc-hai-buoc", use: page)
        s.post("xac-thuc-hai-buoc", "bat-dau", use: begin)
        s.post("xac-thuc-hai-buoc", "xac-nhan", use: confirm).reads(code)
        s.post("xac-thuc-hai-buoc", "ma-khoi-phuc", use: regenerate).reads(code)
        s.post("xac-thuc-hai-buoc", "tat", use: disable).reads(code)
        s.post("nguoi-dung", ":id", "dat-lai-xac-thuc", use: reset)
    }

    /// Lax, not strict: after the identity provider (another site) the code's page is reached by a
    /// redirect the provider began, which carries no strict cookie. The challenge is used by a POST only,
    /// which a lax cookie never accompanies from another site.
    static func challengeCookieValue(_ token: String, settings: Settings) -> HTTPCookies.Value {
        HTTPCookies.Value(string: token, maxAge: Int(SignInService.challengeLifetime), path: "/dang-nhap",
                          isSecure: settings.secureCookies, isHTTPOnly: true, sameSite: .lax)
    }

    // MARK: The second step of signing in

    static func challengePage(_ req: Request, message: String?, status: HTTPStatus = .ok) -> Response {
        let next = WebRules.localPath(req.input.text("next")) ?? "/"
        // The form's token, set again with the page: after the identity provider, this page may be the
        // first of the site the browser loads.
        let token = req.preSignInToken
        let action = "/dang-nhap/ma-xac-thuc?next=" + (next.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? "/")
        return req.visitorPage(Page(title: "Xác thực hai bước", flash: message, flashIsError: message != nil, body: """
            <form method="post" action="\(action)" class="login">
            <input type="hidden" name="_csrf" value="\(token)">
            <p>Mở ứng dụng xác thực trên điện thoại (Google Authenticator, Microsoft Authenticator, FreeOTP…)
            và nhập mã 6 số của <strong>KPI Công vụ</strong>.</p>
            \(FormField("code", "Mã xác thực", required: true, hint: """
                Mất điện thoại? Nhập một mã khôi phục (dạng xxxxx-xxxxx) được cấp khi thiết lập; mỗi mã \
                dùng một lần.
                """, maxLength: 32, inputMode: .numeric, autocomplete: "one-time-code").focused.html)
            <div class="actions"><button class="primary">Xác nhận</button> <a href="/dang-nhap">Đăng nhập lại</a></div>
            <p class="hint">Không còn điện thoại lẫn mã khôi phục? Liên hệ quản trị đơn vị để đặt lại xác \
            thực hai bước.</p></form>
            """), token: token, status: status)
    }

    @Sendable static func challengeForm(_ req: Request) async throws -> Response {
        if req.principal != nil { return req.redirect(to: "/") }
        guard req.cookies[challengeCookie] != nil else { return req.redirect(to: "/dang-nhap") }
        return challengePage(req, message: nil)
    }

    @Sendable static func challenge(_ req: Request) async throws -> Response {
        let token = req.cookies[challengeCookie]?.string ?? ""
        let outcome = try await SignInService(req: req).completeSecondStep(token: token, code: req.input.formText("code") ?? "")
        switch outcome {
        case .signedIn(let session, let mustChange):
            let next = WebRules.localPath(req.input.text("next")) ?? "/"
            let res = req.redirect(to: mustChange ? "/doi-mat-khau" : next)
            res.cookies[SessionMiddleware.cookieName] = SessionMiddleware.cookie(session, settings: req.application.settings)
            res.cookies[CSRFMiddleware.preCookie] = .expired
            res.cookies[challengeCookie] = HTTPCookies.Value(string: "", expires: Date(timeIntervalSince1970: 0), path: "/dang-nhap")
            return res
        case .refused(let message):
            return challengePage(req, message: message, status: .unauthorized)
        case .throttled(let message):
            let res = challengePage(req, message: message, status: .tooManyRequests)
            res.headers.replaceOrAdd(name: .retryAfter, value: String(SignInService.ipWindow))
            return res
        case .restart(let message), .secondStep(token: let message):
            let token = req.preSignInToken
            let res = AuthController.loginPage(req, message: message, token: token, status: .unauthorized)
            res.cookies[challengeCookie] = HTTPCookies.Value(string: "", expires: Date(timeIntervalSince1970: 0), path: "/dang-nhap")
            return res
        }
    }

    // MARK: The user's own page

    static func required(_ req: Request, _ p: Principal) -> Bool {
        TwoFactorPolicy.isRequired(for: p.grants, required: req.application.settings.mfaRequiredRoles)
    }

    static func render(_ req: Request, problem: String? = nil, codes: [String]? = nil, status: HTTPStatus = .ok) async throws -> Response {
        let p = try req.requirePrincipal()
        let st = try await TwoFactorService(req: req).status(p.userID)
        let isRequired = required(req, p)
        let codeField = { (id: String) -> HTML in
            FormField("code", "Mã 6 số trên ứng dụng", id: id, required: true, maxLength: 32, inputMode: .numeric,
                      autocomplete: "one-time-code").html
        }
        var body: HTML
        if let codes {
            body = """
                <p class="flash" role="status">Đã bật xác thực hai bước. Hãy lưu các mã khôi phục dưới đây ngay bây \
                giờ:
                chúng chỉ hiển thị một lần.</p>
                <h2>Mã khôi phục</h2>
                <p>Mỗi mã dùng được một lần, thay cho mã trên điện thoại khi bạn mất hoặc đổi điện thoại.
                In ra hoặc chép vào nơi an toàn, không lưu cùng mật khẩu.</p>
                <ol class="recovery-codes">\(codes.map { HTML("<li><code>\($0)</code></li>") })</ol>
                <div class="actions no-print"><button type="button" data-print>In mã khôi phục</button>
                <a class="button primary" href="/">Tiếp tục làm việc</a></div>
                """
        } else if let enabled = st.enabledAt {
            body = """
                <p>Xác thực hai bước <strong>đang bật</strong> từ ngày \(DateFormatting.date(enabled)).
                Mỗi lần đăng nhập, sau mật khẩu bạn nhập mã 6 số trên ứng dụng xác thực.</p>
                <p>Còn <strong>\(st.recoveryLeft)</strong> mã khôi phục chưa \
                dùng.\(st.recoveryLeft <= 3 ? " Nên tạo bộ mã mới." : "")</p>
                <h2>Tạo bộ mã khôi phục mới</h2>
                <form method="post" action="\(path)/ma-khoi-phuc" class="record-form">\(req.csrfField)
                <p class="hint">Bộ mã cũ sẽ hết hiệu lực.</p>\(codeField("code_new"))
                <div class="actions"><button>Tạo mã khôi phục mới</button></div></form>
                <h2>Tắt xác thực hai bước</h2>
                \(isRequired ? HTML("<p class=\"hint\">\(Self.cannotDisable)</p>") : """
                <form method="post" action="\(path)/tat" class="record-form"
                 data-confirm="Tắt xác thực hai bước? Tài khoản sẽ chỉ còn được bảo vệ bằng mật \
                khẩu.">\(req.csrfField)
                \(codeField("code_off"))
                <div class="actions"><button class="danger">Tắt xác thực hai bước</button></div></form>
                """)
                """
        } else if let secret = st.pendingSecret {
            let uri = TOTPRules.provisioningURI(secret: secret, account: p.username, issuer: TwoFactorService.issuer)
            let qr = QRCode(uri).map { HTML(qr: $0, pixelsPerModule: 5) } ?? .empty
            body = """
                <ol class="howto">
                <li>Cài một ứng dụng xác thực trên điện thoại: Google Authenticator, Microsoft Authenticator hoặc \
                FreeOTP (miễn phí).</li>
                <li>Trong ứng dụng, chọn thêm tài khoản rồi quét mã QR này:
                <div class="qr" role="img" aria-label="Mã QR thiết lập xác thực hai bước">\(qr)</div>
                Không quét được? Chọn nhập khóa thủ công và gõ khóa:
                <code class="secret" data-secret="\(secret)">\(Base32.grouped(secret))</code> (loại: theo thời gian).</li>
                <li>Nhập mã 6 số ứng dụng hiện ra để hoàn tất:</li></ol>
                <form method="post" action="\(path)/xac-nhan" class="record-form">\(req.csrfField)
                \(codeField("code"))
                <div class="actions"><button class="primary">Xác nhận và bật</button></div></form>
                """
        } else {
            body = """
                <p>Xác thực hai bước bảo vệ tài khoản ngay cả khi lộ mật khẩu:
                sau mật khẩu, bạn nhập thêm mã 6 số do ứng dụng trên điện thoại tạo ra (đổi sau mỗi 30 giây, \
                không cần mạng).</p>
                <form method="post" action="\(path)/bat-dau">\(req.csrfField)
                <div class="actions"><button class="primary">Bắt đầu thiết lập</button></div></form>
                """
        }
        let notice = isRequired && st.enabledAt == nil && codes == nil
            ? """
                Vai trò của bạn bắt buộc xác thực hai bước: hãy thiết lập để tiếp tục sử dụng hệ thống.
                """ : nil
        let links: HTML = """
            <p><a href=\"/doi-mat-khau\">Đổi mật khẩu</a> · <a href=\"/phien-dang-nhap\">Các phiên đăng nhập</a></p>
            """
        return req.page(Page(title: "Xác thực hai bước", breadcrumbs: [("Tổng quan", "/")], flash: problem ?? notice,
                             flashIsError: problem != nil, body: body + links), status: status)
    }

    @Sendable static func page(_ req: Request) async throws -> Response {
        try await render(req)
    }

    @Sendable static func begin(_ req: Request) async throws -> Response {
        try await TwoFactorService(req: req).begin(try req.requirePrincipal().userID)
        return req.redirect(to: path)
    }

    /// Runs a step that checks a code; a wrong one shows the page again with the reason.
    static func attempt(_ req: Request, _ body: (TwoFactorService, Principal, String) async throws -> [String]?) async throws -> Response {
        let p = try req.requirePrincipal()
        do {
            if let codes = try await body(TwoFactorService(req: req), p, req.input.formText("code") ?? "") {
                return try await render(req, codes: codes)
            }
            return req.redirect(to: path)
        } catch let problem as TwoFactorService.Problem {
            return try await render(req, problem: problem.message, status: .unprocessableEntity)
        }
    }

    @Sendable static func confirm(_ req: Request) async throws -> Response {
        try await attempt(req) { svc, p, code in try await svc.confirm(p.userID, code: code) }
    }

    @Sendable static func regenerate(_ req: Request) async throws -> Response {
        try await attempt(req) { svc, p, code in try await svc.regenerateRecoveryCodes(p.userID, code: code) }
    }

    @Sendable static func disable(_ req: Request) async throws -> Response {
        let required = req.application.settings.mfaRequiredRoles
        return try await attempt(req) { svc, p, code in
            try await svc.disable(p.userID, grants: p.grants, required: required, code: code)
            return nil
        }
    }

    /// An administrator's reset (lost phone and lost codes): the account sets it up again at its
    /// next sign-in; its sessions end; audited; the rules of acting on another account apply.
    @Sendable static func reset(_ req: Request) async throws -> Response {
        let userID = try RoleController.uuid(req, "id")
        try await RoleController.service(req).resetTwoFactor(userID: userID)
        return req.redirect(to: RoleController.back(userID) + "?luu=1")
    }
}
