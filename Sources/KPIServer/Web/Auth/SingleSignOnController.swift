import KPICore
import Vapor

/// Đăng nhập một lần: the button's start (GET /dang-nhap/sso) and the identity provider's return
/// (GET /dang-nhap/sso/ve). Both answer 404 when single sign-on is not configured.
struct SingleSignOnController {
    static func register(public r: any RoutesBuilder) {
        r.get("dang-nhap", "sso", use: begin).reads(.next)
        r.get("dang-nhap", "sso", "ve", use: finish).reads(
            .text("code", max: 2_048, "Mã cấp quyền"), .text("state", max: 128, "Mã phiên đăng nhập"),
            .text("error", max: 200, "Lỗi của hệ thống định danh"), .text("error_description", max: 1_000, "Mô tả lỗi"),
            .text("iss", max: 500, "Hệ thống định danh"), .next)
    }

    @Sendable static func begin(_ req: Request) async throws -> Response {
        let next = WebRules.localPath(req.input.text("next")) ?? "/"
        do {
            switch try await SingleSignOnService(req: req).begin(next: next) {
            case .throttled:
                let res = AuthController.loginPage(req, message: SignInService.throttledMessage, token: req.preSignInToken,
                                                   status: .tooManyRequests)
                res.headers.replaceOrAdd(name: .retryAfter, value: String(SignInService.ipWindow))
                return res
            case .redirect(let url, let browser):
                let res = req.redirect(to: url)
                res.cookies[SingleSignOnService.browserCookie] = HTTPCookies.Value(
                    string: browser, maxAge: Int(SingleSignOnService.attemptLifetime), path: SingleSignOnService.returnPath,
                    isSecure: req.application.settings.secureCookies, isHTTPOnly: true, sameSite: .lax)
                return res
            }
        } catch let problem as SingleSignOnProblem {
            return AuthController.loginPage(req, message: problem.message, token: req.preSignInToken, status: .badGateway)
        }
    }

    @Sendable static func finish(_ req: Request) async throws -> Response {
        let service = SingleSignOnService(req: req)
        do {
            let given = { (name: String) -> String? in
                let v = req.input.text(name)
                return v.isEmpty ? nil : v
            }
            // RFC 9207: a provider that names itself on the return must be the one configured.
            if let iss = given("iss"), let config = req.application.settings.singleSignOn, iss != config.issuer {
                throw SingleSignOnProblem.wrongIssuer
            }
            let (outcome, next) = try await service.finish(browser: req.cookies[SingleSignOnService.browserCookie]?.string,
                                                           state: given("state"), code: given("code"), error: given("error"))
            let res = AuthController.respond(req, to: outcome, username: "", next: next)
            res.cookies[SingleSignOnService.browserCookie] = expiredCookie
            return res
        } catch let problem as SingleSignOnProblem {
            try await service.refused(problem)
            let status: HTTPStatus = problem == .providerUnreachable ? .badGateway : .unauthorized
            let res = AuthController.loginPage(req, message: problem.message, token: req.preSignInToken, status: status)
            res.cookies[SingleSignOnService.browserCookie] = expiredCookie
            return res
        }
    }

    /// The browser's cookie removed (on the path it was set for).
    static let expiredCookie = HTTPCookies.Value(string: "", expires: Date(timeIntervalSince1970: 0), maxAge: 0,
                                                 path: SingleSignOnService.returnPath, isHTTPOnly: true, sameSite: .lax)
}
