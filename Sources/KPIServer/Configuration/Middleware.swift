import Foundation
import KPICore
import Vapor

/// Turns errors into Vietnamese pages (or JSON problems for API clients), never a stack trace.
struct ErrorPageMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        do {
            return try await next.respond(to: req)
        } catch {
            let status: HTTPStatus
            let reason: String
            if let abort = error as? any AbortError {
                status = abort.status
                // A server fault, even one raised as an Abort, is for the operators' log.
                if status.code >= 500 { req.logger.error("\(status.code): \(abort.reason)") }
                reason = abort.status == .notFound && abort.reason == "Not Found"
                    ? "Không tìm thấy trang bạn yêu cầu." : Self.vietnamese(abort)
            } else if DatabaseOutage.matches(error) {
                // Not a bug: the database is restarting or changing servers; the pool reconnects by itself.
                req.logger.warning("Cơ sở dữ liệu tạm không kết nối được: \(String(reflecting: error))")
                status = .serviceUnavailable
                reason = DatabaseOutage.message
            } else {
                req.logger.report(error: error)
                status = .internalServerError
                reason = """
                    Đã có lỗi hệ thống. Thao tác chưa được thực hiện; vui lòng thử lại hoặc báo quản trị \
                    hệ \
                    thống.
                    """
            }
            if req.url.path.hasPrefix("/api/") || WebRules.prefersJSON(accept: req.headers[.accept].joined(separator: ",")) {
                var problem = APIProblem(status, APIProblem.code(of: status), reason)
                if status == .notFound, req.url.path.hasPrefix("/api/") {
                    let allowed = KPIAPI.allowedMethods(at: req.url.path, req.application)
                    // A method the address answers was refused before routing (an over-long path): not found.
                    if allowed.isEmpty || allowed.contains(req.method.rawValue) {
                        problem.detail = "Không có địa chỉ này trong API; xem các thao tác tại /api/v1 (tài liệu API)."
                    } else {
                        problem = APIProblem(.methodNotAllowed, "method-not-allowed",
                                             "Địa chỉ này chỉ nhận " + allowed.joined(separator: ", ") + ".")
                        problem.headers = [("Allow", allowed.joined(separator: ", "))]
                    }
                }
                let response = problem.response(instance: String(req.url.path.prefix(300)))
                if status == .serviceUnavailable { response.headers.replaceOrAdd(name: .retryAfter, value: DatabaseOutage.retryAfter) }
                return response
            }
            let page = Page(title: Self.title(status), body: """
                <p>\(reason)</p><p><a href="/">Về trang Tổng quan</a></p>
                """)
            let response = req.page(page, status: status)
            if status == .serviceUnavailable { response.headers.replaceOrAdd(name: .retryAfter, value: DatabaseOutage.retryAfter) }
            return response
        }
    }

    static func vietnamese(_ abort: any AbortError) -> String {
        // Vapor's own English reasons (bad form data, body too large…) get a Vietnamese sentence.
        if abort.reason.unicodeScalars.contains(where: { $0.value > 127 }) { return abort.reason }
        switch abort.status {
        case .payloadTooLarge: return "Tệp hoặc dữ liệu gửi lên quá lớn."
        case .forbidden: return "Bạn không có quyền thực hiện thao tác này."
        case .notFound: return "Không tìm thấy trang bạn yêu cầu."
        case .unauthorized: return "Vui lòng đăng nhập."
        default: return "Dữ liệu gửi lên không hợp lệ. Vui lòng kiểm tra lại biểu mẫu."
        }
    }

    static func title(_ status: HTTPStatus) -> String {
        switch status {
        case .forbidden: "Không có quyền truy cập"
        case .notFound: "Không tìm thấy"
        case .internalServerError: "Lỗi hệ thống"
        case .serviceUnavailable: "Tạm gián đoạn"
        default: "Không thực hiện được"
        }
    }

    static func json(_ s: String) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: [s])) ?? Data("[\"\"]".utf8)
        return String(String(decoding: data, as: UTF8.self).dropFirst().dropLast())
    }
}

/// Headers every response carries — pages, static files and error pages alike (this middleware
/// wraps the error pages and the file server). Responses that are not static files are never
/// stored by a browser or proxy: they hold personal data.
struct SecurityHeadersMiddleware: AsyncMiddleware {

    static let contentSecurityPolicy = "default-src 'self'; img-src 'self' data:; style-src 'self'; script-src 'self'; "
        + "frame-ancestors 'none'; form-action 'self'; base-uri 'none'; object-src 'none'"

    /// The policy in force: with single sign-on, a form (signing out) may also lead to the identity
    /// provider's origin, where its session is ended.
    static func policy(_ settings: Settings) -> String {
        guard let issuer = settings.singleSignOn?.issuer, let url = URL(string: issuer), let scheme = url.scheme,
              let host = url.host else { return contentSecurityPolicy }
        let origin = scheme + "://" + host + (url.port.map { ":\($0)" } ?? "")
        return contentSecurityPolicy.replacingOccurrences(of: "form-action 'self'", with: "form-action 'self' " + origin)
    }

    /// The policy, worked out once at start (the issuer is set in the environment only).
    let policy: String

    init(settings: Settings) { policy = Self.policy(settings) }

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let res = try await next.respond(to: req)
        res.headers.replaceOrAdd(name: "X-Content-Type-Options", value: "nosniff")
        res.headers.replaceOrAdd(name: "X-Frame-Options", value: "DENY")
        res.headers.replaceOrAdd(name: "Referrer-Policy", value: "same-origin")
        res.headers.replaceOrAdd(name: "Content-Security-Policy", value: policy)
        if req.application.settings.secureCookies {
            res.headers.replaceOrAdd(name: "Strict-Transport-Security", value: "max-age=31536000; includeSubDomains")
        }
        // The file server marks what it serves with an ETag; everything else is generated.
        if res.headers.first(name: .eTag) == nil {
            res.headers.replaceOrAdd(name: .cacheControl, value: "no-store")
        }
        return res
    }
}

/// One structured log line per request: method, path, status, duration.
struct RequestLogMiddleware: AsyncMiddleware {
    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let start = ContinuousClock.now
        var status: UInt = 500
        defer {
            let ms = (ContinuousClock.now - start).components.attoseconds / 1_000_000_000_000_000
                + (ContinuousClock.now - start).components.seconds * 1000
            req.logger.info("request", metadata: ["method": "\(req.method.rawValue)", "path": "\(req.url.path)",
                                                  "status": "\(status)", "ms": "\(ms)", "ip": "\(req.clientIP)"])
        }
        let res = try await next.respond(to: req)
        status = res.status.code
        return res
    }
}

/// An address with a part longer than any this system makes (a hostile or broken link) is not found,
/// before the static files are looked up: the file system refuses names over 255 bytes, which the
/// file middleware turned into a server error.
struct PathLengthMiddleware: AsyncMiddleware {
    static let maxSegment = 200
    static let maxPath = 2_000

    func respond(to req: Request, chainingTo next: any AsyncResponder) async throws -> Response {
        let path = req.url.path
        guard path.utf8.count <= Self.maxPath,
              path.split(separator: "/").allSatisfy({ $0.utf8.count <= Self.maxSegment }) else {
            throw Abort(.notFound, reason: "Không có trang này: địa chỉ quá dài.")
        }
        return try await next.respond(to: req)
    }
}
